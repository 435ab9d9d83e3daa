// The environment of twstorm's own Node processes: the run process, the bundled server child,
// a routed lab's client hosts. NODE_EXTRA_CA_CERTS makes Node read that CA bundle and build its
// whole root store in node::crypto::UseExtraCaCerts, at every process start and before any
// JavaScript runs: 40 ms of CPU per process on a machine that sets it (node -e 0 took 60 ms
// with it, 20 ms without; perf put 8 % of a small run's CPU there). These processes make no TLS
// connection (twstorm loads plain TCP and HTTP), so they start without it. A `server.command`
// is the user's own program and keeps the user's environment whole.
export function ownNodeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env['NODE_EXTRA_CA_CERTS'] === undefined) return env;
  const { NODE_EXTRA_CA_CERTS: _unused, ...rest } = env;
  return rest;
}
