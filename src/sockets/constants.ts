// Linux values of the socket constants this layer passes to libc. They are hand-written (no
// header is read at run time), so selfcheck.ts proves each one against the running kernel by
// read-back before the layer is used. The values are those of the generic architectures
// (x86, arm, arm64, riscv, loongarch); alpha, mips, parisc and sparc differ, and there the
// self-check fails and the layer says so instead of setting the wrong option.

/** <linux/socket.h> address families. */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** <linux/net.h> socket type, with the flags socket(2) accepts since Linux 2.6.27. */
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
/** Same bit as O_NONBLOCK: libuv expects non-blocking fds and would set it anyway. */
export const SOCK_NONBLOCK = 0o4000;
/** Same bit as O_CLOEXEC: a spawned child (the server, ss, ip) must not inherit our sockets. */
export const SOCK_CLOEXEC = 0o2000000;

/** <asm-generic/socket.h> */
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_ACCEPTCONN = 30;
export const SO_DOMAIN = 39;

/** <linux/in.h> */
export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
/** Linux 4.2: bind() records the address only; the port is chosen at connect() per 4-tuple. */
export const IP_BIND_ADDRESS_NO_PORT = 24;
/**
 * Linux 6.3: a per-socket ephemeral range, a u32 with the low port in bits 0-15 and the high
 * port in bits 16-31 (include/uapi/linux/in.h; net/ipv4/ip_sockglue.c takes exactly 4 bytes and
 * refuses low > high with EINVAL; 0 in either half means "the namespace's bound"). Each bound
 * applies only where it lies inside net.ipv4.ip_local_port_range (inet_sk_get_local_port_range).
 */
export const IP_LOCAL_PORT_RANGE = 51;

/** <linux/tcp.h> */
export const TCP_CORK = 3;
export const TCP_INFO = 11;

/** <asm-generic/fcntl.h> */
export const F_GETFD = 1;
export const F_GETFL = 3;
export const FD_CLOEXEC = 1;
/** F_LINUX_SPECIFIC_BASE (1024) + 6: dup with close-on-exec set atomically. */
export const F_DUPFD_CLOEXEC = 1030;

/**
 * <linux/sockios.h>, <net/if.h>: read and write a network interface's flags through any socket
 * (struct ifreq: a 16-byte name, then the flags as a short). IFF_UP is what `ip link set … up`
 * sets; the kernel then brings the device up (dev_change_flags).
 */
export const SIOCGIFFLAGS = 0x8913;
export const SIOCSIFFLAGS = 0x8914;
export const IFF_UP = 0x1;
export const IFNAMSIZ = 16;
/** sizeof(struct ifreq) on 64-bit Linux: the name and a 24-byte union (struct ifmap is the widest). */
export const IFREQ_SIZE = 40;

/** <net/tcp_states.h>: the values of tcp_info.tcpi_state (and of /proc/net/tcp's `st`). */
export const TCP_STATES = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW_SYN_RECV',
} as const;
export type TcpStateName = (typeof TCP_STATES)[keyof typeof TCP_STATES];
export const TCP_LISTEN = 10;

export function tcpStateName(state: number): TcpStateName | `UNKNOWN(${number})` {
  return (TCP_STATES as Record<number, TcpStateName>)[state] ?? `UNKNOWN(${state})`;
}

/** <asm-generic/socket.h>: the pending error of a socket (a non-blocking connect's outcome). */
export const SO_ERROR = 4;
/** <linux/net.h> shutdown(2): stop sending (our FIN), keep reading. */
export const SHUT_WR = 1;
/** <linux/socket.h>: no SIGPIPE from send() on a reset connection; the error comes as EPIPE. */
export const MSG_NOSIGNAL = 0x4000;

/** <uapi/linux/eventpoll.h> */
export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
/** The peer sent FIN (Linux 2.6.17). */
export const EPOLLRDHUP = 0x2000;
/** Edge-triggered: one wake-up per change, so a paused reader does not spin. */
export const EPOLLET = 0x80000000;

/** unshare(2)'s flag for a new network namespace (linux/sched.h). */
export const CLONE_NEWNET = 0x40000000;
