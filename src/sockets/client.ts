// Client sockets bound before connect, made natively so that the bind is exactly what the
// scenario asks for: libuv sets SO_REUSEADDR whenever Node binds a client (localAddress or
// localPort), and cannot set IP_BIND_ADDRESS_NO_PORT at all. The bound fd is then connected by
// Node, non-blocking, like any net.connect().
import net from 'node:net';
import {
  AF_INET,
  AF_INET6,
  IP_BIND_ADDRESS_NO_PORT,
  IPPROTO_IP,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from './constants.js';
import { check } from './fd.js';
import { nativeFor } from './features.js';
import { encodeInt, encodeSockaddr, familyOf } from './structs.js';

export interface BoundClientOptions {
  /** Destination. An IP address, or a name resolved in the source address's family. */
  host: string;
  port: number;
  /** Source address; default the wildcard of the destination's family ("0.0.0.0" or "::"). */
  localAddress?: string;
  /** Source port; 0 (default) lets the kernel choose from net.ipv4.ip_local_port_range. */
  localPort?: number;
  /** SO_REUSEADDR on the client socket (default off; Node would have set it). */
  reuseAddr?: boolean;
  /**
   * IP_BIND_ADDRESS_NO_PORT (Linux 4.2), only with localPort 0: bind() records the address and
   * connect() picks the port for the full 4-tuple, so one port serves many destinations. A
   * plain bind(port 0) takes a port for every destination at once.
   */
  bindAddressNoPort?: boolean;
  /** Passed to net.Socket / socket.connect as with net.connect(). */
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  /** For messages: which scenario setting asked for a native client socket. */
  why?: string;
}

/**
 * socket → options → bind, then `new net.Socket({ fd }).connect()` in the same tick (a bound,
 * unconnected fd given to Node starts reading at the next tick, gets ENOTCONN and is destroyed
 * unless connect() has set `connecting` first). Returns the connecting net.Socket: 'connect',
 * 'error' (e.g. EADDRNOTAVAIL when bindAddressNoPort finds no port for this destination,
 * ECONNREFUSED) and 'close' arrive as with net.connect().
 *
 * Throws synchronously, with the fd already closed, when the socket cannot be made or bound: a
 * SocketCallError with `code` EADDRINUSE (port held; or with port 0, no port left in the range),
 * EADDRNOTAVAIL (source address not on any interface), EMFILE…, and `syscall` "socket",
 * "setsockopt" or "bind" (count it as the bind phase). SocketFeatureError when the native layer
 * or IP_BIND_ADDRESS_NO_PORT is unavailable.
 */
export function connectBound(options: BoundClientOptions): net.Socket {
  const localPort = options.localPort ?? 0;
  if (options.bindAddressNoPort && localPort !== 0) {
    throw new TypeError(`bindAddressNoPort applies to localPort 0 only (the kernel ignores it for port ${localPort})`);
  }
  const why = options.why ?? (options.bindAddressNoPort ? 'client.bindAddressNoPort' : 'client bind options');
  const native = nativeFor(options.bindAddressNoPort ? 'bindAddressNoPort' : 'reuseAddrOff', why);
  const destFamily = net.isIP(options.host) as 0 | 4 | 6;
  const family = options.localAddress !== undefined ? familyOf(options.localAddress) : destFamily === 0 ? familyOf(options.host) : destFamily;
  if (destFamily !== 0 && destFamily !== family) {
    throw new TypeError(`source ${options.localAddress} (IPv${family}) cannot reach ${options.host} (IPv${destFamily})`);
  }
  const localAddress = options.localAddress ?? (family === 4 ? '0.0.0.0' : '::');
  const address = encodeSockaddr(localAddress, localPort);
  const context = { address: localAddress, port: localPort, role: 'client' as const };

  const fd = check('socket', native.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), {
    ...context,
    what: 'create the client socket',
  });
  let socket: net.Socket;
  try {
    if (options.reuseAddr) {
      check('setsockopt', native.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, encodeInt(1)), { ...context, what: 'set SO_REUSEADDR' });
    }
    if (options.bindAddressNoPort) {
      // IPPROTO_IP level works on AF_INET6 sockets too (inet6 passes it to the IPv4 handler).
      check('setsockopt', native.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, encodeInt(1)), {
        ...context,
        what: 'set IP_BIND_ADDRESS_NO_PORT',
      });
    }
    check('bind', native.bind(fd, address), { ...context, what: 'bind the client socket' });
    // readable/writable: Node's default for an fd is false; connect() would turn them on, but
    // say it outright.
    socket = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: options.allowHalfOpen ?? false });
  } catch (err) {
    native.close(fd);
    throw err;
  }
  // Same tick as the constructor: see the doc comment. `family` keeps a name's lookup in the
  // bound family; no localAddress/localPort here, or Node would bind again (with SO_REUSEADDR).
  socket.connect({ host: options.host, port: options.port, family, noDelay: options.noDelay ?? false, autoSelectFamily: false });
  return socket;
}
