# twstorm in a container, from the published package (or a tarball made with `npm pack`).
#
#   docker build -t twstorm .                                   # from the registry
#   docker build -t twstorm --build-arg TWSTORM=./twstorm-0.1.0.tgz .   # from a local tarball
#   docker run --rm --cap-add NET_ADMIN --cap-add SYS_ADMIN -v "$PWD/reports:/reports" \
#       twstorm run client-closes-first --out /reports
#
# What it needs to run its network namespaces: every run happens in a fresh namespace made with
# `unshare -n` (as root in the container), where it also sets its sysctls
# (net.ipv4.tcp_tw_reuse, ip_local_port_range…). That takes CAP_SYS_ADMIN (unshare, and
# mounting a private /run/netns for named inner namespaces) and CAP_NET_ADMIN (bringing up lo,
# veth pairs, nftables rules inside the namespace). Give the container
#   --cap-add NET_ADMIN --cap-add SYS_ADMIN      (Docker; also a default seccomp profile that
#                                                  allows unshare: Docker's does for SYS_ADMIN)
# or --privileged, or in Kubernetes securityContext.capabilities.add: [NET_ADMIN, SYS_ADMIN]
# (see examples/kubernetes-indexed-job.yaml). Nothing is changed outside the namespaces: the
# host's (and the pod's) own sysctls stay as they are, and a killed run leaves nothing behind.
# Without those capabilities `environment.isolation: auto` falls back to the container's own
# network with a warning, and sysctls are not applied.
FROM node:20-bookworm-slim

# unshare (util-linux) makes the namespaces; ip/ss (iproute2) bring up lo and cross-check
# sockets; nftables and conntrack for the fault and NAT scenarios.
RUN apt-get update \
 && apt-get install -y --no-install-recommends util-linux iproute2 nftables conntrack ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ARG TWSTORM=twstorm
COPY . /tmp/build-context/
# TWSTORM is a registry spec ("twstorm", "twstorm@0.1.0") or a path to a tarball in the context.
RUN cd /tmp/build-context \
 && npm install --global --no-audit --no-fund "${TWSTORM}" \
 && rm -rf /tmp/build-context /root/.npm

WORKDIR /work
ENTRYPOINT ["twstorm"]
CMD ["--help"]
