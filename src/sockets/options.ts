// Options on sockets Node already has open: SO_LINGER with any timeout (Node offers only
// {1, 0}, through resetAndDestroy()) and TCP_INFO (the kernel's own view of the connection:
// state, retransmissions, RTT). Both act on the fd libuv holds; neither blocks.
import type net from 'node:net';
import { IPPROTO_TCP, SO_LINGER, SOL_SOCKET, TCP_INFO } from './constants.js';
import { check, fdOf } from './fd.js';
import { nativeFor } from './features.js';
import { decodeLinger, decodeTcpInfo, encodeLinger, LINGER_SIZE, TCP_INFO_REQUEST_SIZE, type Linger, type TcpInfo } from './structs.js';

/**
 * SO_LINGER on an open socket. `seconds`:
 * - `null`: off, the default. close() returns at once; the kernel sends the rest and the FIN
 *   on its own (an orphan socket).
 * - `0`: {1, 0}. close() discards unsent data and sends RST: no TIME_WAIT on this side.
 * - `n > 0`: {1, n}. close() waits until unsent data and the FIN are acknowledged or n seconds
 *   pass — *blocking the calling thread even on a non-blocking socket* (Linux tcp_close →
 *   sk_stream_wait_close). Closing such a socket from Node's main thread freezes the event
 *   loop; use lingerClose(), which closes in a worker thread. On Linux the timeout expiring
 *   changes nothing on the wire: the socket is orphaned and goes on as after a plain close.
 */
export function setLinger(target: net.Socket | number, seconds: number | null, why = 'close.linger'): void {
  const native = nativeFor('linger', why);
  const fd = fdOf(target);
  const linger: Linger = seconds === null ? { onoff: false, seconds: 0 } : { onoff: true, seconds };
  check('setsockopt', native.setsockopt(fd, SOL_SOCKET, SO_LINGER, encodeLinger(linger)), {
    what: `set SO_LINGER ${seconds === null ? 'off' : `{1, ${seconds}}`} on fd ${fd}`,
  });
}

/** SO_LINGER as the kernel holds it. */
export function getLinger(target: net.Socket | number, why = 'close.linger'): Linger {
  const native = nativeFor('linger', why);
  const fd = fdOf(target);
  const buf = Buffer.alloc(LINGER_SIZE);
  check('getsockopt', native.getsockopt(fd, SOL_SOCKET, SO_LINGER, buf), { what: `read SO_LINGER of fd ${fd}` });
  return decodeLinger(buf);
}

/**
 * The kernel's tcp_info for a socket or a listening server: `state`/`stateName` (10 LISTEN,
 * 1 ESTABLISHED, 5 FIN_WAIT2, 8 CLOSE_WAIT…), `retransmits` (current run), `totalRetrans`,
 * `rttUs`, and for a listener `unacked` = accept-queue length, `sacked` = backlog in force.
 * About 1 µs per call through koffi: cheap enough per connection, not per packet.
 */
export function getTcpInfo(target: net.Socket | net.Server | number, why = 'tcp_info sampling'): TcpInfo {
  const native = nativeFor('tcpInfo', why);
  const fd = fdOf(target);
  const buf = Buffer.alloc(TCP_INFO_REQUEST_SIZE);
  const r = native.getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf);
  check('getsockopt', r, { what: `read TCP_INFO of fd ${fd}` });
  return decodeTcpInfo(buf, r.length);
}
