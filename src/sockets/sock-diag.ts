// The TCP socket table straight from the kernel through netlink NETLINK_SOCK_DIAG (inet_diag),
// the interface `ss` uses, instead of the text of /proc/net/tcp{,6}. Why: at 100,000 sockets the
// kernel spends most of a /proc read formatting ~150 bytes of text per socket and the reader
// parses it back; a dump sends 88 binary bytes per socket, filtered by state in the kernel
// (inet_diag_req_v2.idiag_states), and is read in place from one reused buffer.
//
// Wire format (include/uapi/linux/netlink.h, sock_diag.h, inet_diag.h):
//   request  = nlmsghdr (16) + inet_diag_req_v2 (56)
//   response = a stream of nlmsghdr-framed records, each an inet_diag_msg (72) plus optional
//              attributes (INET_DIAG_*; never asked for here, but some are always sent, so
//              records are walked by nlmsg_len, never by a fixed stride), ended by NLMSG_DONE.
// nlmsghdr and the non-address u32 fields are host order; ports and addresses are network order.
// The offsets below are proven on the running kernel by selfCheck() before a reader is handed
// out: a listener made here must come back with the port, address, uid and inode that
// /proc/net/tcp prints for it. One file past 400 lines on purpose: the layout, the check that
// proves it and the readers of each field change together, and split they could drift apart.
import fs from 'node:fs';
import os from 'node:os';
import { AF_INET, AF_INET6, IPPROTO_TCP, SOCK_CLOEXEC, SOCK_STREAM, TCP_LISTEN } from './constants.js';
import { DumpRepeats } from './dump-repeats.js';
import { errnoName } from './errors.js';
import { bindCheckPort } from './check-port.js';
import { loadRawSockets } from './raw.js';
import type { RawSyscalls } from './native.js';
import { encodeSockaddr, SOCKADDR_STORAGE_SIZE } from './structs.js';
import { ExpectedError } from '../util/expected-error.js';

// <linux/socket.h>, <linux/netlink.h>, <linux/sock_diag.h>
const AF_NETLINK = 16;
const SOCK_RAW = 3;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
/**
 * <linux/inet_diag.h>: the request before sock_diag had families. The kernel answers its dump
 * with sdiag_family = AF_UNSPEC (net/ipv4/inet_diag.c, inet_diag_dump_compat), so one walk of
 * the established hash returns IPv4 and IPv6 sockets alike, and each record says its family.
 */
const TCPDIAG_GETSOCK = 18;
const NLM_F_REQUEST = 0x1;
/** NLM_F_ROOT | NLM_F_MATCH: the whole table, not one socket. */
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 0x2;
const NLMSG_DONE = 0x3;
/** <bits/socket.h>: fail with EAGAIN instead of blocking (the receive loop of dump() below). */
const MSG_DONTWAIT = 0x40;

const NLMSG_HDRLEN = 16;
const REQ_V2_SIZE = 56;
/** inet_diag_req: family, src_len, dst_len, ext (u8 each), inet_diag_sockid (48), states, dbs. */
const REQ_COMPAT_SIZE = 60;
const REQ_COMPAT_STATES = 52;
export const INET_DIAG_MSG_SIZE = 72;
/** struct rtattr { u16 rta_len; u16 rta_type; } before each attribute's value. */
const RTA_HDRLEN = 4;
/** enum inet_diag_attrs: INET_DIAG_SKV6ONLY (u8). */
const INET_DIAG_SKV6ONLY = 11;
// inet_diag_msg: family u8 @0, state u8 @1, timer u8 @2, retrans u8 @3, then inet_diag_sockid
// { sport be16 @4, dport be16 @6, src be32[4] @8, dst be32[4] @24, if u32 @40, cookie u32[2] @44 },
// expires @52, rqueue @56, wqueue @60, uid @64, inode @68.
const OFF_FAMILY = 0;
const OFF_STATE = 1;
const OFF_SPORT = 4;
const OFF_DPORT = 6;
const OFF_SRC = 8;
const OFF_DST = 24;
const OFF_COOKIE = 44;
const OFF_EXPIRES = 52;
const OFF_UID = 64;
const OFF_INODE = 68;

/**
 * Every state /proc/net/tcp prints, as an idiag_states mask: bits 1 (ESTABLISHED) … 12
 * (NEW_SYN_RECV). Bit 13 (TCP_BOUND_INACTIVE, 6.7+) would add bound-but-idle sockets that /proc
 * never shows, so it stays off and the two sources count the same sockets.
 */
export const ALL_TCP_STATES = 0x1ffe;

/**
 * Which sockets a dump walks: one family, or both in a single walk. A walk visits every bucket
 * of the established hash, which is sized for the whole host (262,144 buckets on a 24 GiB
 * machine, shared by every namespace): ~5 ms of kernel CPU per walk even with no socket in it,
 * measured here. Two per-family walks doubled that for every census; 'both' pays it once.
 */
export type DumpFamily = 4 | 6 | 'both';

/** A dump buffer. The kernel fills at most ~32 KiB per recv (netlink_recvmsg caps its skb). */
const BUFFER_SIZE = 64 * 1024;

const LE = os.endianness() === 'LE';

/**
 * One socket of a dump. Like /proc's row (observe/tcp-table.ts) it is a cursor reused for every
 * record: read what you need inside the callback. Address getters return the text /proc prints
 * (each 32-bit word of the network-order address as a host-order %08X), so the same decoder and
 * the same keys serve both sources.
 */
export class SockDiagRow {
  /** @internal */ view: DataView;
  /** @internal */ at = 0;
  /** @internal The end of this record (its attributes run from at + INET_DIAG_MSG_SIZE to here). */ end = 0;
  constructor(view: DataView) {
    this.view = view;
  }
  get family(): 4 | 6 {
    return this.view.getUint8(this.at + OFF_FAMILY) === AF_INET6 ? 6 : 4;
  }
  /** Numeric kernel state, as /proc prints it (request sockets report SYN_RECV, 3). */
  get state(): number {
    return this.view.getUint8(this.at + OFF_STATE);
  }
  get localPort(): number {
    return this.view.getUint16(this.at + OFF_SPORT, false);
  }
  get remotePort(): number {
    return this.view.getUint16(this.at + OFF_DPORT, false);
  }
  get uid(): number {
    return this.view.getUint32(this.at + OFF_UID, LE);
  }
  /**
   * idiag_expires: milliseconds until the socket's pending timer fires (host order, 0 when
   * overdue or none). For TIME_WAIT it is the TIME_WAIT timer (tcp_twsk_diag_fill: idiag_timer 3,
   * tw_timer.expires - jiffies), set to TCP_TIMEWAIT_LEN when the socket entered TIME_WAIT, so
   * `states` can tell a TIME_WAIT's age, which decides whether tcp_tw_reuse may take it over.
   */
  get expiresMs(): number {
    return this.view.getUint32(this.at + OFF_EXPIRES, LE);
  }
  /** 0 for TIME_WAIT and request sockets (no struct socket behind them), as in /proc. */
  get inode(): number {
    return this.view.getUint32(this.at + OFF_INODE, LE);
  }
  /** The kernel's unique id of the socket (sock_gen_cookie), as a number (< 2^53 in practice). */
  get cookie(): number {
    const a = this.view.getUint32(this.at + OFF_COOKIE, LE);
    const b = this.view.getUint32(this.at + OFF_COOKIE + 4, LE);
    return LE ? b * 0x1_0000_0000 + a : a * 0x1_0000_0000 + b;
  }
  /**
   * IPV6_V6ONLY of an IPv6 socket in LISTEN (or CLOSE): the INET_DIAG_SKV6ONLY attribute the
   * kernel always sends for those (inet_diag_msg_attrs_fill); null where the record has none.
   * A listener on [::] with it set takes no IPv4 (nginx's `listen [::]:80` sets it by default).
   */
  get v6only(): boolean | null {
    let off = this.at + INET_DIAG_MSG_SIZE;
    while (off + RTA_HDRLEN <= this.end) {
      const len = this.view.getUint16(off, LE);
      const type = this.view.getUint16(off + 2, LE);
      if (len < RTA_HDRLEN || off + len > this.end) return null;
      if (type === INET_DIAG_SKV6ONLY && len >= RTA_HDRLEN + 1) return this.view.getUint8(off + RTA_HDRLEN) !== 0;
      off += (len + 3) & ~3; // RTA_ALIGN
    }
    return null;
  }
  /** First 32-bit word of the local address in network order (the whole IPv4 address). */
  localWord0(): number {
    return this.view.getUint32(this.at + OFF_SRC, false);
  }
  remoteWord0(): number {
    return this.view.getUint32(this.at + OFF_DST, false);
  }
  localAddressHex(): string {
    return this.hexAt(OFF_SRC);
  }
  remoteAddressHex(): string {
    return this.hexAt(OFF_DST);
  }
  /** "local:port remote:port" as /proc/net/tcp prints it. */
  endpointsKey(): string {
    return `${this.localAddressHex()}:${hex4(this.localPort)} ${this.remoteAddressHex()}:${hex4(this.remotePort)}`;
  }
  /**
   * A table holds few distinct address words (a storm has a handful of endpoints), so each
   * word's text is made once and reused: `states` asks every socket for its addresses. Rows in
   * hash order mostly repeat the previous row's words, so each word position (local 0-3, remote
   * 4-7) remembers its last word and text first (no map lookup), and an IPv4 address is that
   * one text (no concatenation): the census compares the returned strings by reference.
   */
  private readonly wordText = new Map<number, string>();
  private readonly lastWord = new Float64Array(8).fill(-1);
  private readonly lastText = ['', '', '', '', '', '', '', ''];
  private wordAt(offset: number, w: number): string {
    const word = this.view.getUint32(this.at + offset + 4 * w, LE);
    const position = offset === OFF_SRC ? w : 4 + w;
    if (word === this.lastWord[position]) return this.lastText[position]!;
    let text = this.wordText.get(word);
    if (text === undefined) {
      if (this.wordText.size >= 4096) this.wordText.clear();
      text = word.toString(16).toUpperCase().padStart(8, '0');
      this.wordText.set(word, text);
    }
    this.lastWord[position] = word;
    this.lastText[position] = text;
    return text;
  }
  private hexAt(offset: number): string {
    if (this.family === 4) return this.wordAt(offset, 0);
    return this.wordAt(offset, 0) + this.wordAt(offset, 1) + this.wordAt(offset, 2) + this.wordAt(offset, 3);
  }
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

export type SockDiagVisitor = (row: SockDiagRow) => void;

export class SockDiagError extends ExpectedError {}

/** Reads TCP socket tables of this thread's network namespace. One per thread; not reentrant. */
export class SockDiagReader {
  private readonly buffer = Buffer.alloc(BUFFER_SIZE);
  private readonly view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private readonly request = Buffer.alloc(NLMSG_HDRLEN + Math.max(REQ_V2_SIZE, REQ_COMPAT_SIZE));
  private seq = 0;

  constructor(private readonly raw: RawSyscalls) {}

  /**
   * Calls `visit` once per TCP socket of `family` (4, 6, or 'both' in one walk) whose state bit
   * is set in `states` (default: every state /proc shows), in the kernel's hash order. Returns
   * how many were visited.
   *
   * The kernel resumes its hash walk by position (between two recv() calls, and every 16 sockets
   * of a bucket), so while sockets come and go one can be sent twice, close to where it was first
   * sent — the same hazard as /proc's seq_file. A socket's cookie is unique: a record that
   * repeats one of the last few hundred is dropped (dump-repeats.ts). A socket can also be
   * missed there, which no reader of a moving table avoids.
   */
  dump(family: DumpFamily, visit: SockDiagVisitor, states: number = ALL_TCP_STATES): number {
    const fd = this.raw.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) throw new SockDiagError(`socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed with ${errnoName(this.raw.errno())}`);
    try {
      return this.dumpOn(fd, family, states, visit);
    } finally {
      this.raw.close(fd);
    }
  }

  private dumpOn(fd: number, family: DumpFamily, states: number, visit: SockDiagVisitor): number {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const req = this.request;
    req.fill(0);
    const rv = new DataView(req.buffer, req.byteOffset, req.byteLength);
    // The kernel answers with the request's nlmsg_type, so records are matched against it.
    const type = family === 'both' ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY;
    const length = NLMSG_HDRLEN + (family === 'both' ? REQ_COMPAT_SIZE : REQ_V2_SIZE);
    rv.setUint32(0, length, LE); // nlmsg_len
    rv.setUint16(4, type, LE); // nlmsg_type
    rv.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, LE); // nlmsg_flags
    rv.setUint32(8, seq, LE); // nlmsg_seq; nlmsg_pid 0: the kernel fills in our port id
    if (family === 'both') {
      // inet_diag_req: idiag_family is ignored by a dump, idiag_ext 0 (no optional attributes),
      // the socket id stays zero (a dump), idiag_dbs unused.
      rv.setUint32(NLMSG_HDRLEN + REQ_COMPAT_STATES, states >>> 0, LE); // idiag_states
    } else {
      rv.setUint8(16, family === 6 ? AF_INET6 : AF_INET); // sdiag_family
      rv.setUint8(17, IPPROTO_TCP); // sdiag_protocol; idiag_ext 0: no optional attributes
      rv.setUint32(20, states >>> 0, LE); // idiag_states; the socket id stays zero (a dump)
    }
    // An unconnected netlink socket sends to the kernel (port id 0): send() needs no address.
    if (this.raw.send(fd, req, length, 0) !== length) {
      throw new SockDiagError(`sending the sock_diag request failed with ${errnoName(this.raw.errno())}`);
    }
    const row = new SockDiagRow(this.view);
    const repeats = new DumpRepeats();
    let count = 0;
    for (;;) {
      // The kernel builds the first buffer inside send() and each next one inside the recv()
      // that drains the previous (netlink_recvmsg → netlink_dump), so data is always queued
      // during a dump: MSG_DONTWAIT cannot cut it short, and a census can never hang here.
      let n = this.raw.recv(fd, this.buffer, this.buffer.length, MSG_DONTWAIT);
      while (n < 0 && this.raw.errno() === os.constants.errno.EINTR) n = this.raw.recv(fd, this.buffer, this.buffer.length, MSG_DONTWAIT);
      if (n < 0) throw new SockDiagError(`reading the sock_diag dump failed with ${errnoName(this.raw.errno())}`);
      if (n === 0) throw new SockDiagError('the sock_diag dump ended without NLMSG_DONE');
      let off = 0;
      while (off + NLMSG_HDRLEN <= n) {
        const len = this.view.getUint32(off, LE);
        const msgType = this.view.getUint16(off + 4, LE);
        const msgSeq = this.view.getUint32(off + 8, LE);
        if (len < NLMSG_HDRLEN || off + len > n) throw new SockDiagError(`malformed netlink message (length ${len} at ${off} of ${n})`);
        if (msgSeq === seq) {
          if (msgType === NLMSG_DONE) return count;
          if (msgType === NLMSG_ERROR) {
            const code = -this.view.getInt32(off + NLMSG_HDRLEN, LE);
            // No handler for IPv6 (absent from this kernel): no such sockets. For IPv4 or both, a
            // missing handler is a failure, so the census falls back to /proc instead of
            // reporting an empty table.
            if (code === os.constants.errno.ENOENT && family === 6) return count;
            throw new SockDiagError(`the kernel refused the sock_diag dump: ${errnoName(code)}`);
          }
          if (msgType === type && len >= NLMSG_HDRLEN + INET_DIAG_MSG_SIZE) {
            const at = off + NLMSG_HDRLEN;
            if (!repeats.repeats(this.view.getUint32(at + OFF_COOKIE, LE), this.view.getUint32(at + OFF_COOKIE + 4, LE))) {
              row.at = at;
              row.end = off + len;
              count++;
              visit(row);
            }
          }
        }
        off += (len + 3) & ~3; // NLMSG_ALIGN
      }
    }
  }
}

export type SockDiagLoad = { ok: true; reader: SockDiagReader; checks: string[] } | { ok: false; reason: string };

let cached: SockDiagLoad | undefined;

/**
 * A checked reader for this thread, or why there is none (native layer off or missing, netlink
 * refused, a layout that does not match /proc). Never throws; the outcome is kept per thread.
 */
export function loadSockDiag(procRoot = '/proc'): SockDiagLoad {
  if (cached) return cached;
  const loaded = loadRawSockets();
  if (!loaded.ok) return (cached = { ok: false, reason: loaded.reason });
  const reader = new SockDiagReader(loaded.raw);
  try {
    const checks = selfCheck(loaded.raw, reader, procRoot);
    cached = { ok: true, reader, checks };
  } catch (err) {
    cached = { ok: false, reason: `the sock_diag self-check failed: ${(err as Error).message}` };
  }
  return cached;
}

/** For tests that swap the FFI. */
export function resetSockDiag(): void {
  cached = undefined;
}

/**
 * Proves the layout on this kernel: a listener on 127.0.0.1 (a LISTEN socket moves no counter a
 * run measures) must come back from a LISTEN-only dump with its family, state, port, address,
 * uid and inode exactly as /proc/net/tcp prints them for the same socket.
 */
function selfCheck(raw: RawSyscalls, reader: SockDiagReader, procRoot: string): string[] {
  const fail = (what: string): never => {
    throw new Error(`${what} failed with ${errnoName(raw.errno())}`);
  };
  const fd = raw.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail('socket');
  try {
    const bound = bindCheckPort((port) => {
      const addr = encodeSockaddr('127.0.0.1', port);
      return raw.bind(fd, addr, addr.length) < 0 ? errnoName(raw.errno()) : null;
    });
    if (bound.error !== null) throw new Error(`bind(127.0.0.1:${bound.port}) failed with ${bound.error}`);
    if (raw.listen(fd, 1) < 0) fail('listen');
    const name = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
    const nameLen = Buffer.alloc(4);
    if (LE) nameLen.writeUInt32LE(name.length, 0);
    else nameLen.writeUInt32BE(name.length, 0);
    if (raw.getsockname(fd, name, nameLen) < 0) fail('getsockname');
    const port = name.readUInt16BE(2); // sin_port, network order
    const line = procLineFor(procRoot, port);
    if (line === undefined) throw new Error(`/proc/net/tcp does not list the check's listener on port ${port}`);

    let seen: { family: number; state: number; local: string; remote: string; uid: number; inode: number } | undefined;
    reader.dump(
      4,
      (row) => {
        if (row.localPort === port && row.localAddressHex() === line.local) {
          seen = { family: row.family, state: row.state, local: row.localAddressHex(), remote: `${row.remoteAddressHex()}:${row.remotePort}`, uid: row.uid, inode: row.inode };
        }
      },
      1 << TCP_LISTEN,
    );
    if (seen === undefined) throw new Error(`a LISTEN dump did not return the check's listener on 127.0.0.1:${port}`);
    const want = { family: 4, state: TCP_LISTEN, local: line.local, remote: '00000000:0', uid: line.uid, inode: line.inode };
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      if (seen[key] !== want[key]) throw new Error(`inet_diag_msg ${key} read ${String(seen[key])}, /proc/net/tcp says ${String(want[key])}`);
    }
    return [...(bound.note === null ? [] : [bound.note]), `sock_diag: a LISTEN dump returns 127.0.0.1:${port} with the family, state, address, uid (${line.uid}) and inode (${line.inode}) /proc/net/tcp prints`];
  } finally {
    raw.close(fd);
  }
}

/**
 * The /proc/net/tcp line of the listener on `port`: local address hex, uid, inode. The kernel
 * prints listening sockets before all others (tcp_seq_start: TCP_SEQ_STATE_LISTENING first), so
 * the file is read a chunk at a time only until the listeners end: the check costs the same at
 * 100,000 sockets as at ten.
 */
function procLineFor(procRoot: string, port: number): { local: string; uid: number; inode: number } | undefined {
  const fd = fs.openSync(`${procRoot}/net/tcp`, 'r');
  try {
    const chunk = Buffer.alloc(16 * 1024);
    const portHex = `:${hex4(port)}`;
    let pending = '';
    let header = true;
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      const text = pending + chunk.toString('latin1', 0, n);
      const lines = text.split('\n');
      pending = n === 0 ? '' : lines.pop()!;
      for (const line of lines) {
        if (header) {
          header = false;
          continue;
        }
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
        const cols = line.trim().split(/\s+/);
        if (cols.length < 10) continue;
        if (cols[3] !== '0A') return undefined; // past the listeners
        if (cols[1]!.endsWith(portHex)) return { local: cols[1]!.slice(0, -5), uid: Number(cols[7]), inode: Number(cols[9]) };
      }
      if (n === 0) return undefined;
    }
  } finally {
    fs.closeSync(fd);
  }
}
