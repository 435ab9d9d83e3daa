// Options on sockets Node already has open: SO_LINGER with any timeout (Node offers only
// {1, 0}, through resetAndDestroy()) and TCP_INFO (the kernel's own view of the connection:
// state, retransmissions, RTT). Both act on the fd libuv holds; neither blocks. And
// IP_LOCAL_PORT_RANGE on a descriptor that is not connected yet (the engine's, or one made here).
import type net from 'node:net';
import { IP_LOCAL_PORT_RANGE, IPPROTO_IP, IPPROTO_TCP, SO_LINGER, SOL_SOCKET, TCP_CORK, TCP_INFO } from './constants.js';
import { check, fdOf } from './fd.js';
import { nativeFor, socketFeatures } from './features.js';
import {
  decodeLinger,
  decodePortRange,
  decodeTcpInfo,
  encodeInt,
  encodeLinger,
  encodePortRange,
  LINGER_SIZE,
  PORT_RANGE_SIZE,
  TCP_INFO_REQUEST_SIZE,
  type Linger,
  type TcpInfo,
} from './structs.js';

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

/**
 * TCP_CORK on an open socket that is about to write its last bytes and close (tcp(7)): the
 * kernel holds a partial segment back while corked, and close() puts the FIN on the last queued
 * segment and pushes it out (tcp_send_fin), so the data and the FIN leave in one segment. The
 * peer then sees the end of the data and the FIN at once and cannot close before it: measured
 * with curl against a server that wrote its response and closed a few JS calls later, curl
 * closed first on 23 of 40 connections; corked, on none. Best effort: false, and nothing
 * changed, when the native layer cannot set options on Node's sockets (the one SO_LINGER uses).
 */
export function corkUntilClose(target: net.Socket | number): boolean {
  if (!socketFeatures().options.linger) return false;
  const native = nativeFor('linger', 'TCP_CORK');
  const fd = fdOf(target);
  return native.setsockopt(fd, IPPROTO_TCP, TCP_CORK, encodeInt(1)).ret === 0;
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

/**
 * IP_LOCAL_PORT_RANGE (Linux 6.3) on a native fd that has not connected (or bound to port 0) yet:
 * its next automatic port comes from [low, high] instead of the whole
 * net.ipv4.ip_local_port_range. Each bound counts only where it lies inside the namespace's
 * range (the kernel keeps the namespace's bound otherwise), and with a per-socket range the
 * kernel scans every port in turn instead of even ports first (__inet_hash_connect: step 1).
 * Ports in net.ipv4.ip_local_reserved_ports are still skipped. `null` clears it (0 = unset).
 */
export function setLocalPortRange(fd: number, range: { low: number; high: number } | null, why = 'client.portRange'): void {
  const native = nativeFor('localPortRange', why);
  const [low, high] = range === null ? [0, 0] : [range.low, range.high];
  check('setsockopt', native.setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, encodePortRange(low, high)), {
    what: `set IP_LOCAL_PORT_RANGE ${range === null ? 'off' : `${low}-${high}`} on fd ${fd}`,
  });
}

/** IP_LOCAL_PORT_RANGE as the kernel holds it; null when unset (both halves 0). */
export function getLocalPortRange(fd: number, why = 'client.portRange'): { low: number; high: number } | null {
  const native = nativeFor('localPortRange', why);
  const buf = Buffer.alloc(PORT_RANGE_SIZE);
  check('getsockopt', native.getsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, buf), { what: `read IP_LOCAL_PORT_RANGE of fd ${fd}` });
  const range = decodePortRange(buf);
  return range.low === 0 && range.high === 0 ? null : range;
}
