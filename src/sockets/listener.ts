// Listening sockets made natively, so that SO_REUSEADDR can be *off* (libuv sets it on every
// bind it does, so no Node listener can ever show "bind: address already in use" after a
// restart over TIME_WAIT) and SO_REUSEPORT can be on (Node 20 ignores listen({ reusePort })).
// The fd is then handed to Node with server.listen({ fd }): Node leaves the options alone.
import type net from 'node:net';
import {
  AF_INET,
  AF_INET6,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from './constants.js';
import { check } from './fd.js';
import { nativeFor } from './features.js';
import type { NativeSockets } from './native.js';
import { decodeSockaddr, encodeInt, encodeSockaddr, familyOf, SOCKADDR_STORAGE_SIZE, type Family } from './structs.js';

export interface ListenerOptions {
  /** IP address to bind (no names): "127.0.0.1", "::1", "0.0.0.0", "::". */
  host: string;
  /** 0 lets the kernel pick a free port (reported back in `port`). */
  port: number;
  /** SO_REUSEADDR, set explicitly either way. Node's own listeners always have it on. */
  reuseAddr: boolean;
  /** SO_REUSEPORT (Linux 3.9): several listeners on one port; every one must set it. */
  reusePort?: boolean;
  /**
   * listen() backlog. Default 511, as Node. Node calls listen() again when it takes the fd: pass
   * the same number as server.listen({ fd }, backlog) — in the options object it is ignored.
   */
  backlog?: number;
  /** For messages: which scenario setting asked for a native listener. */
  why?: string;
}

export interface NativeListener {
  /** A listening, non-blocking, close-on-exec fd. The caller owns it until Node takes it. */
  fd: number;
  family: Family;
  host: string;
  /** The bound port (the kernel's choice when `port` was 0). */
  port: number;
  backlog: number;
  reuseAddr: boolean;
  reusePort: boolean;
}

const DEFAULT_BACKLOG = 511;

/**
 * socket → SO_REUSEADDR on/off → SO_REUSEPORT on/off → bind → listen. A failure closes the fd
 * and throws a SocketCallError with Node's shape: `code` ("EADDRINUSE", "EADDRNOTAVAIL",
 * "EACCES"…), `syscall` ("socket", "setsockopt", "bind", "listen"), `address`, `port`.
 * Throws SocketFeatureError first when the native layer (or SO_REUSEPORT) is unavailable.
 */
export function createListenerFd(options: ListenerOptions): NativeListener {
  const why = options.why ?? (options.reusePort ? 'server.reusePort' : 'server.reuseAddr');
  const native = nativeFor(options.reusePort ? 'reusePort' : 'reuseAddrOff', why);
  const family = familyOf(options.host);
  const backlog = options.backlog ?? DEFAULT_BACKLOG;
  if (!Number.isInteger(backlog) || backlog < 0) throw new RangeError(`backlog must be a whole number >= 0, got ${backlog}`);
  const address = encodeSockaddr(options.host, options.port); // validates before anything opens
  const context = { address: options.host, port: options.port, role: 'listener' as const };
  const fd = check(
    'socket',
    native.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
    { ...context, what: 'create the listening socket' },
  );
  try {
    check('setsockopt', native.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, encodeInt(options.reuseAddr ? 1 : 0)), {
      ...context,
      what: `set SO_REUSEADDR ${options.reuseAddr ? 'on' : 'off'}`,
    });
    if (options.reusePort) {
      check('setsockopt', native.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, encodeInt(1)), { ...context, what: 'set SO_REUSEPORT' });
    }
    check('bind', native.bind(fd, address), { ...context, what: 'bind the listening socket' });
    check('listen', native.listen(fd, backlog), { ...context, what: `listen with backlog ${backlog}` });
    const port = boundPort(native, fd, context);
    return { fd, family, host: options.host, port, backlog, reuseAddr: options.reuseAddr, reusePort: options.reusePort ?? false };
  } catch (err) {
    native.close(fd);
    throw err;
  }
}

function boundPort(native: NativeSockets, fd: number, context: { address: string; port: number }): number {
  const buf = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
  const r = native.getsockname(fd, buf);
  check('getsockname', r, { ...context, what: 'read the bound port' });
  return decodeSockaddr(buf, r.length).port;
}

/**
 * Makes the native listening socket and hands it to `server`. Resolves once Node is listening
 * (server.address() then works as usual); rejects with the SocketCallError of the failed call,
 * e.g. `code: 'EADDRINUSE'`, leaving no fd behind. Node calls listen() on the fd once more with
 * the backlog given here, which only updates the queue length (Linux inet_listen()).
 */
export function listenNative(server: net.Server, options: ListenerOptions): Promise<NativeListener> {
  let listener: NativeListener;
  try {
    listener = createListenerFd(options);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(listener);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // Node 20 reads the backlog of an fd listen only from the second argument; a `backlog`
    // inside the options object is ignored there (it would listen() again with 511).
    server.listen({ fd: listener.fd }, listener.backlog);
  });
}

/**
 * N listening sockets on one port with SO_REUSEPORT (the kernel spreads new connections over
 * them by a hash of the 4-tuple). The first one picks the port when `port` is 0. All or none:
 * a failure closes the fds already made. Each fd goes to its own server.listen({ fd }, backlog).
 */
export function createReusePortGroup(count: number, options: Omit<ListenerOptions, 'reusePort'>): NativeListener[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`listener count must be >= 1, got ${count}`);
  const made: NativeListener[] = [];
  try {
    for (let i = 0; i < count; i++) {
      made.push(createListenerFd({ ...options, port: made[0]?.port ?? options.port, reusePort: true }));
    }
    return made;
  } catch (err) {
    for (const l of made) closeFd(l.fd);
    throw err;
  }
}

/** Closes an fd this layer made that was never handed to Node. */
export function closeFd(fd: number): void {
  const native = nativeFor('reuseAddrOff', 'a native socket');
  check('close', native.close(fd), { what: `close fd ${fd}` });
}
