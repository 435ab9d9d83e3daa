// Byte layouts of the structs passed to and from the kernel, per the kernel's uapi headers
// (<linux/in.h>, <linux/in6.h>, <linux/socket.h>, <linux/tcp.h>). Pure Buffer code, no FFI:
// it is unit-tested byte for byte, and selfcheck.ts holds it against the kernel's read-backs.
import net from 'node:net';
import os from 'node:os';
import { AF_INET, AF_INET6, tcpStateName, type TcpStateName } from './constants.js';

// Host-order fields (sa_family, ints, sin6_scope_id) follow the CPU; ports and addresses are
// always network order (big-endian).
const LE = os.endianness() === 'LE';

export function writeHostU16(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}
export function readHostU16(buf: Buffer, offset: number): number {
  return LE ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
}
function readHostU32(buf: Buffer, offset: number): number {
  return LE ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}
function readHostU64(buf: Buffer, offset: number): number {
  // Counters and rates fit in 2^53 for any run this tool makes; numbers are easier to report.
  return Number(LE ? buf.readBigUInt64LE(offset) : buf.readBigUInt64BE(offset));
}

/** A C `int` (4 bytes, host order): the value type of most boolean socket options. */
export function encodeInt(value: number): Buffer {
  const buf = Buffer.alloc(4);
  if (LE) buf.writeInt32LE(value, 0);
  else buf.writeInt32BE(value, 0);
  return buf;
}
export function decodeInt(buf: Buffer): number {
  return LE ? buf.readInt32LE(0) : buf.readInt32BE(0);
}

/** IP_LOCAL_PORT_RANGE's value: a u32 in host order, low port in the low 16 bits, high in the high 16. */
export const PORT_RANGE_SIZE = 4;
export function encodePortRange(low: number, high: number, into = Buffer.alloc(PORT_RANGE_SIZE)): Buffer {
  if (!(Number.isInteger(low) && Number.isInteger(high) && low >= 0 && high >= 0 && low <= 65535 && high <= 65535)) {
    throw new RangeError(`a port range takes two ports from 0 to 65535, got ${low}-${high}`);
  }
  const value = ((high << 16) | low) >>> 0;
  if (LE) into.writeUInt32LE(value, 0);
  else into.writeUInt32BE(value, 0);
  return into;
}
export function decodePortRange(buf: Buffer): { low: number; high: number } {
  const value = LE ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
  return { low: value & 0xffff, high: value >>> 16 };
}

// ------------------------------------------------------------------------------ addresses

export type Family = 4 | 6;

/** 4 bytes, network order. Throws on anything but dotted-quad IPv4. */
export function parseIPv4(address: string): Buffer {
  if (!net.isIPv4(address)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(address)}`);
  return Buffer.from(address.split('.').map(Number));
}

/**
 * 16 bytes, network order. Accepts the forms inet_pton(AF_INET6) accepts: "::" compression,
 * an embedded dotted quad at the end ("::ffff:127.0.0.1"); a "%zone" suffix is not an
 * address and must be split off first (encodeSockaddr takes it as its scopeId).
 */
export function parseIPv6(address: string): Buffer {
  if (!net.isIPv6(address) || address.includes('%')) throw new TypeError(`not an IPv6 address: ${JSON.stringify(address)}`);
  let text = address;
  // An embedded dotted quad ("::ffff:127.0.0.1") is the last two words written in decimal:
  // rewrite it as two hex words and parse the rest uniformly.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const q = parseIPv4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const head = words(halves[0] ?? '');
  const rest = halves.length > 1 ? words(halves[1] ?? '') : [];
  const zeros = halves.length > 1 ? 8 - head.length - rest.length : 0;
  const all = [...head, ...new Array<number>(Math.max(0, zeros)).fill(0), ...rest];
  if (all.length !== 8) throw new TypeError(`not an IPv6 address: ${JSON.stringify(address)}`);
  const buf = Buffer.alloc(16);
  all.forEach((w, i) => buf.writeUInt16BE(w, i * 2));
  return buf;
}

/** RFC 5952 text: lower case, the longest run (≥ 2) of zero words as "::", v4-mapped as a quad. */
export function formatIPv6(bytes: Buffer): string {
  const w = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

export function familyOf(address: string): Family {
  if (net.isIPv4(address)) return 4;
  if (net.isIPv6(address.split('%')[0] ?? '')) return 6;
  throw new TypeError(
    `${JSON.stringify(address)} is not an IP address: the native socket layer binds addresses, not names ` +
      `(use 127.0.0.1 or ::1 instead of localhost)`,
  );
}

export interface SockAddr {
  family: Family;
  address: string;
  port: number;
  /** IPv6 only (sin6_flowinfo, network order on the wire, as RFC 3493 says). */
  flowinfo?: number;
  /** IPv6 only: the interface index of a link-local address. */
  scopeId?: number;
}

export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;
/** Big enough for either family: getsockname() writes at most this. */
export const SOCKADDR_STORAGE_SIZE = 128;

/**
 * struct sockaddr_in  { sa_family_t sin_family (host u16) @0; __be16 sin_port @2;
 *                       struct in_addr sin_addr @4; unsigned char sin_zero[8] @8 }  = 16
 * struct sockaddr_in6 { sa_family_t sin6_family @0; __be16 sin6_port @2; __be32 sin6_flowinfo @4;
 *                       struct in6_addr sin6_addr @8; __u32 sin6_scope_id (host) @24 } = 28
 */
export function encodeSockaddr(address: string, port: number, scopeId = 0): Buffer {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0-65535, got ${port}`);
  if (familyOf(address) === 4) {
    const buf = Buffer.alloc(SOCKADDR_IN_SIZE);
    writeHostU16(buf, AF_INET, 0);
    buf.writeUInt16BE(port, 2);
    parseIPv4(address).copy(buf, 4);
    return buf;
  }
  const [bare = '', zone] = address.split('%');
  const buf = Buffer.alloc(SOCKADDR_IN6_SIZE);
  writeHostU16(buf, AF_INET6, 0);
  buf.writeUInt16BE(port, 2);
  buf.writeUInt32BE(0, 4);
  parseIPv6(bare).copy(buf, 8);
  const scope = zone !== undefined && /^\d+$/.test(zone) ? Number(zone) : scopeId;
  if (LE) buf.writeUInt32LE(scope, 24);
  else buf.writeUInt32BE(scope, 24);
  return buf;
}

export function decodeSockaddr(buf: Buffer, length = buf.length): SockAddr {
  const family = readHostU16(buf, 0);
  if (family === AF_INET && length >= SOCKADDR_IN_SIZE) {
    return { family: 4, address: [...buf.subarray(4, 8)].join('.'), port: buf.readUInt16BE(2) };
  }
  if (family === AF_INET6 && length >= SOCKADDR_IN6_SIZE) {
    return {
      family: 6,
      address: formatIPv6(buf.subarray(8, 24)),
      port: buf.readUInt16BE(2),
      flowinfo: buf.readUInt32BE(4),
      scopeId: readHostU32(buf, 24),
    };
  }
  throw new Error(`unexpected sockaddr: family ${family}, length ${length} (expected AF_INET ${AF_INET} or AF_INET6 ${AF_INET6})`);
}

// ------------------------------------------------------------------------------ linger

/** struct linger { int l_onoff @0; int l_linger @4 } = 8 (seconds, <linux/socket.h>). */
export interface Linger {
  onoff: boolean;
  seconds: number;
}
export const LINGER_SIZE = 8;

export function encodeLinger(linger: Linger): Buffer {
  if (!Number.isInteger(linger.seconds) || linger.seconds < 0 || linger.seconds > 2 ** 31 - 1) {
    throw new RangeError(`SO_LINGER takes whole seconds >= 0, got ${linger.seconds}`);
  }
  const buf = Buffer.alloc(LINGER_SIZE);
  if (LE) {
    buf.writeInt32LE(linger.onoff ? 1 : 0, 0);
    buf.writeInt32LE(linger.seconds, 4);
  } else {
    buf.writeInt32BE(linger.onoff ? 1 : 0, 0);
    buf.writeInt32BE(linger.seconds, 4);
  }
  return buf;
}

export function decodeLinger(buf: Buffer): Linger {
  const onoff = LE ? buf.readInt32LE(0) : buf.readInt32BE(0);
  const seconds = LE ? buf.readInt32LE(4) : buf.readInt32BE(4);
  return { onoff: onoff !== 0, seconds };
}

// ------------------------------------------------------------------------------ tcp_info

/**
 * The part of struct tcp_info (<linux/tcp.h>) this tool reports. The kernel copies
 * min(optlen, its own sizeof) bytes and returns that length: fields past the returned length
 * are absent on older kernels and come out undefined here. Times are microseconds where the
 * kernel keeps microseconds (rto, ato, rtt, rttvar, min_rtt), milliseconds for the last_* ages.
 */
export interface TcpInfo {
  /** Bytes the kernel returned (104 on 3.x kernels, 232+ on 6.x). */
  length: number;
  state: number;
  stateName: TcpStateName | `UNKNOWN(${number})`;
  /** Congestion-avoidance state: 0 open, 1 disorder, 2 CWR, 3 recovery, 4 loss. */
  caState: number;
  /** Consecutive retransmissions of the current segment (resets on ACK). */
  retransmits: number;
  /** Unanswered zero-window probes. */
  probes: number;
  backoff: number;
  /** TCPI_OPT_* bits: 1 timestamps, 2 SACK, 4 window scaling, 8 ECN. */
  options: number;
  sndWscale: number;
  rcvWscale: number;
  rtoUs: number;
  atoUs: number;
  sndMss: number;
  rcvMss: number;
  /** Segments sent, not yet acked; on a listener: the accept queue's current length. */
  unacked: number;
  /** SACKed segments; on a listener: the accept queue's limit (the backlog in force). */
  sacked: number;
  lost: number;
  retrans: number;
  lastDataSentMs: number;
  lastDataRecvMs: number;
  lastAckRecvMs: number;
  pmtu: number;
  rcvSsthresh: number;
  rttUs: number;
  rttVarUs: number;
  sndSsthresh: number;
  sndCwnd: number;
  advmss: number;
  reordering: number;
  rcvSpace: number;
  /** Retransmitted segments over the connection's life. */
  totalRetrans: number;
  bytesAcked?: number;
  bytesReceived?: number;
  segsOut?: number;
  segsIn?: number;
  notsentBytes?: number;
  minRttUs?: number;
  deliveryRate?: number;
  bytesSent?: number;
  bytesRetrans?: number;
  sndWnd?: number;
}

/** Ask for more than we decode: the kernel copies only what it has, and says how much. */
export const TCP_INFO_REQUEST_SIZE = 512;

export function decodeTcpInfo(buf: Buffer, length = buf.length): TcpInfo {
  if (length < 104) throw new Error(`tcp_info too short: ${length} bytes (expected at least 104)`);
  const u8 = (o: number): number => buf[o]!;
  const u32 = (o: number): number => readHostU32(buf, o);
  const opt32 = (o: number): number | undefined => (o + 4 <= length ? readHostU32(buf, o) : undefined);
  const opt64 = (o: number): number | undefined => (o + 8 <= length ? readHostU64(buf, o) : undefined);
  // Bitfields in the low bits first: GCC's layout on little-endian targets (the kernel's own).
  const wscale = u8(6);
  const info: TcpInfo = {
    length,
    state: u8(0),
    stateName: tcpStateName(u8(0)),
    caState: u8(1),
    retransmits: u8(2),
    probes: u8(3),
    backoff: u8(4),
    options: u8(5),
    sndWscale: LE ? wscale & 0x0f : wscale >> 4,
    rcvWscale: LE ? wscale >> 4 : wscale & 0x0f,
    rtoUs: u32(8),
    atoUs: u32(12),
    sndMss: u32(16),
    rcvMss: u32(20),
    unacked: u32(24),
    sacked: u32(28),
    lost: u32(32),
    retrans: u32(36),
    lastDataSentMs: u32(44),
    lastDataRecvMs: u32(52),
    lastAckRecvMs: u32(56),
    pmtu: u32(60),
    rcvSsthresh: u32(64),
    rttUs: u32(68),
    rttVarUs: u32(72),
    sndSsthresh: u32(76),
    sndCwnd: u32(80),
    advmss: u32(84),
    reordering: u32(88),
    rcvSpace: u32(96),
    totalRetrans: u32(100),
  };
  const extra: Partial<TcpInfo> = {
    bytesAcked: opt64(120),
    bytesReceived: opt64(128),
    segsOut: opt32(136),
    segsIn: opt32(140),
    notsentBytes: opt32(144),
    minRttUs: opt32(148),
    deliveryRate: opt64(160),
    bytesSent: opt64(200),
    bytesRetrans: opt64(208),
    sndWnd: opt32(228),
  };
  for (const [k, v] of Object.entries(extra)) if (typeof v === 'number') (info as unknown as Record<string, number>)[k] = v;
  return info;
}
