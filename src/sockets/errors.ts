// Errors of the socket layer, shaped like Node's own (code, errno, syscall, address, port) so
// callers count a native bind failure exactly like a libuv one: by `err.code`.
import os from 'node:os';
import util from 'node:util';
import { ExpectedError } from '../util/expected-error.js';

// Reverse map of the kernel's errno numbers. Where two names share a number (EAGAIN and
// EWOULDBLOCK, EDEADLK and EDEADLOCK, ENOTSUP and EOPNOTSUPP) the first one os.constants lists
// wins, which is the name libuv reports too.
const ERRNO_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(os.constants.errno)) {
  if (!ERRNO_NAMES.has(value)) ERRNO_NAMES.set(value, name);
}

/** 98 → "EADDRINUSE" (Linux numbering); unknown numbers → "E<number>". */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

/** libuv's text for an errno ("address already in use"). */
export function errnoDescription(errno: number): string {
  return util.getSystemErrorMap().get(-errno)?.[1] ?? `errno ${errno}`;
}

/** What to do about the common failures, by syscall and code. */
/** What a failed socket call's errno means for the user, and what to do; '' when there is nothing to add. */
export function hintFor(syscall: string, code: string, role: 'listener' | 'client' | 'socket'): string {
  switch (code) {
    case 'EADDRINUSE':
      if (syscall === 'bind' && role === 'listener') {
        return (
          'another socket holds this address: a listener, or connections in TIME_WAIT left by an earlier ' +
          'listener on this port (they last 60 s). Set reuseAddr on both the old and the new listener ' +
          '(TIME_WAIT sockets keep the old listener\'s flag), wait for TIME_WAIT to end, or pick another port'
        );
      }
      if (syscall === 'bind') {
        return (
          'the source port is held by another socket (open, or in TIME_WAIT); with port 0 every port of ' +
          'net.ipv4.ip_local_port_range is taken. Choose another port, widen the range, add source ' +
          'addresses, or use bindAddressNoPort so ports are shared between destinations'
        );
      }
      return 'the address is taken by another socket';
    case 'EADDRNOTAVAIL':
      if (syscall === 'bind') {
        return (
          'the address is not configured on any interface of this network namespace: bring lo up, ' +
          'or add the address (ip addr add 127.0.0.2/8 dev lo)'
        );
      }
      return 'no free local port for this destination (net.ipv4.ip_local_port_range is exhausted)';
    case 'EACCES':
      return 'ports below net.ipv4.ip_unprivileged_port_start need root or CAP_NET_BIND_SERVICE';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files: raise the limit (ulimit -n) or open fewer connections at once';
    case 'EAFNOSUPPORT':
      return 'this address family is not available (IPv6 disabled?); use an IPv4 address';
    case 'ENOPROTOOPT':
      return 'the running kernel does not know this socket option';
    case 'EINVAL':
      return syscall === 'bind' ? 'the socket is already bound, or the address does not fit its family' : 'the kernel refused the arguments';
    case 'EBADF':
      return 'the file descriptor is not open (the socket was already closed)';
    default:
      return '';
  }
}

export interface SocketCallContext {
  /** What the layer was doing, e.g. "bind the listening socket". */
  what: string;
  address?: string;
  port?: number;
  role?: 'listener' | 'client' | 'socket';
}

/** A failed libc call, as a Node-style ErrnoException (errno is negative, as libuv's are). */
export class SocketCallError extends Error implements NodeJS.ErrnoException {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly address?: string;
  readonly port?: number;

  constructor(syscall: string, errno: number, context: SocketCallContext) {
    const code = errnoName(errno);
    const where = context.address !== undefined ? ` ${context.address}${context.port !== undefined ? `:${context.port}` : ''}` : '';
    const hint = hintFor(syscall, code, context.role ?? 'socket');
    super(
      `${syscall} ${code}${where}: could not ${context.what}: ${errnoDescription(errno)}` + (hint ? `. ${hint}` : ''),
    );
    this.name = 'SocketCallError';
    this.code = code;
    this.errno = -errno;
    this.syscall = syscall;
    if (context.address !== undefined) this.address = context.address;
    if (context.port !== undefined) this.port = context.port;
  }
}

export type SocketFeatureName = 'reuseAddrOff' | 'reusePort' | 'bindAddressNoPort' | 'linger' | 'tcpInfo' | 'localPortRange';

/** How each feature is named to a person. */
export const FEATURE_LABELS: Record<SocketFeatureName, string> = {
  reuseAddrOff: 'A native socket (listener without SO_REUSEADDR, client bind-before-connect)',
  reusePort: 'SO_REUSEPORT',
  bindAddressNoPort: 'IP_BIND_ADDRESS_NO_PORT',
  linger: 'SO_LINGER n with a contained close',
  tcpInfo: 'TCP_INFO',
  localPortRange: 'IP_LOCAL_PORT_RANGE (a per-socket ephemeral port range, Linux 6.3+)',
};

/** An option the scenario needs is not available here. Thrown before anything runs. */
export class SocketFeatureError extends ExpectedError {
  readonly code = 'ERR_SOCKET_FEATURE';
  readonly feature: SocketFeatureName;
  readonly reason: string;

  constructor(feature: SocketFeatureName, reason: string, why: string) {
    super(`${FEATURE_LABELS[feature]} is not available: ${reason}. Scenarios that do not set ${why} still run.`);
    this.name = 'SocketFeatureError';
    this.feature = feature;
    this.reason = reason;
  }
}
