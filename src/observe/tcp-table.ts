/**
 * Reader for /proc/net/tcp and /proc/net/tcp6: per-socket local/remote endpoints and state,
 * and a census of states split into client and server side.
 *
 * Format facts (net/ipv4/tcp_ipv4.c get_tcp4_sock / get_timewait4_sock, net/ipv6/tcp_ipv6.c):
 * - the first column is `%4d:`, so past 9,999 entries it widens and shifts every column;
 *   fields are therefore found by whitespace, never by offset;
 * - addresses are the raw network-order words printed with %08X in host byte order
 *   (8 hex chars for IPv4, 4×8 for IPv6), ports are %04X in host order (plain numbers);
 * - TIME_WAIT and NEW_SYN_RECV entries are mini-sockets printed by other functions with
 *   fewer trailing columns, but the first four columns are the same.
 *
 * At 30,000 sockets this file is the expensive part of sampling (reading it costs the kernel
 * most of the time), so the scan below walks the text with indexOf/charCodeAt and reuses one
 * row object for every line: the census itself makes no object per line. Asking a row for its
 * addresses or endpoints slices the line (a string each), which `states` does per socket.
 */

import { endianness } from 'node:os';
import { TCP_STATES, type TcpStateName } from '../sockets/constants.js';
import { formatIPv6 } from '../sockets/structs.js';

// The one state table is the kernel's own (<net/tcp_states.h>), kept with the other uapi
// constants; /proc/net/tcp prints the same numbers in hex in its `st` column.
export { TCP_STATES, type TcpStateName };

/** The table indexed by the numeric state; index 0 and unknown states are undefined. */
const STATE_BY_CODE: readonly (TcpStateName | undefined)[] = (() => {
  const table: (TcpStateName | undefined)[] = new Array<TcpStateName | undefined>(16).fill(undefined);
  for (const [code, name] of Object.entries(TCP_STATES)) table[Number(code)] = name;
  return table;
})();

/** Every state /proc/net/tcp can print, in the kernel's numeric order. */
export const STATE_NAMES: readonly TcpStateName[] = Object.freeze(Object.values(TCP_STATES));

const STATE_CODE_BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(TCP_STATES).map(([code, name]) => [name, Number(code)]),
);

/** The numeric code of a state name (TIME_WAIT → 6). */
export function stateCode(name: TcpStateName): number {
  const code = STATE_CODE_BY_NAME.get(name);
  if (code === undefined) throw new Error(`unknown TCP state ${name}`);
  return code;
}

/** The two codes the scans test on every line (include/net/tcp_states.h). */
export const LISTEN_CODE = 0x0a;
export const TIME_WAIT_CODE = 0x06;

/** Name of a numeric state code, or undefined for a code the kernel does not print. */
export function tcpStateName(code: number): TcpStateName | undefined {
  return STATE_BY_CODE[code];
}

/** Only states with a non-zero count are present. */
export type StateCounts = Partial<Record<TcpStateName, number>>;

export interface TcpCensus {
  client: StateCounts;
  server: StateCounts;
  total: StateCounts;
}

/**
 * One socket line. The object passed to the visitor is reused for every line: read what you
 * need inside the callback. The address getters slice the line only when called, so a
 * census that never asks for addresses allocates nothing per socket.
 */
export interface TcpSocketRow {
  /** Local port (host order). */
  readonly localPort: number;
  /** Remote port (host order); 0 for listeners. */
  readonly remotePort: number;
  /** Numeric kernel state (1 = ESTABLISHED … 12 = NEW_SYN_RECV); see tcpStateName(). */
  readonly state: number;
  /** Local address exactly as printed: 8 hex chars (IPv4) or 32 (IPv6). */
  localAddressHex(): string;
  /** Remote address exactly as printed. */
  remoteAddressHex(): string;
  /** "local:port remote:port" exactly as printed: unique per connection within a namespace. */
  endpointsKey(): string;
  /**
   * The socket's family, when its source says so: a sock_diag dump of both families does on
   * every record; /proc's text says it by file (tcp, tcp6), so its rows leave it out.
   */
  readonly family?: 4 | 6;
  /**
   * Milliseconds left on the socket's timer: for a TIME_WAIT, TCP_TIMEWAIT_LEN less its age,
   * which decides whether tcp_tw_reuse may take it over (states/tw-reuse.ts). A sock_diag row
   * reads idiag_expires; a /proc row parses its `tr:tm->when` column only when asked.
   */
  readonly expiresMs?: number;
}

/**
 * USER_HZ: /proc/net/tcp prints a TIME_WAIT's timer in clock ticks (jiffies_delta_to_clock_t in
 * get_timewait4_sock), 100 a second on every architecture Node runs on.
 */
const PROC_TICKS_PER_SECOND = 100;

export type TcpSocketVisitor = (row: TcpSocketRow) => void;

const SPACE = 32;
const LISTEN = LISTEN_CODE;
const COLON = 58;

/** Value of one hex digit char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 70) return c - 55; // A-F (what the kernel prints)
  if (c >= 97 && c <= 102) return c - 87; // a-f
  return -1;
}

/** Hex number in text[from, to), or -1 if empty or not hex. */
function hexAt(text: string, from: number, to: number): number {
  if (to <= from) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

function skipSpaces(text: string, pos: number, end: number): number {
  while (pos < end && text.charCodeAt(pos) === SPACE) pos++;
  return pos;
}

/** End of the token starting at pos (first space or line end). */
function tokenEnd(text: string, pos: number, lineEnd: number): number {
  const sp = text.indexOf(' ', pos);
  return sp < 0 || sp > lineEnd ? lineEnd : sp;
}

/** Index of the last ':' in text[from, to), or -1. */
function lastColon(text: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (text.charCodeAt(i) === COLON) return i;
  return -1;
}

class RowCursor implements TcpSocketRow {
  text = '';
  localPort = 0;
  remotePort = 0;
  state = 0;
  localStart = 0;
  localColon = 0;
  remoteStart = 0;
  remoteColon = 0;
  stateEnd = 0;
  lineEnd = 0;
  /** After the state: "tx_queue:rx_queue tr:tm->when", the ticks after the last colon; undefined if the line lacks them. */
  get expiresMs(): number | undefined {
    const queuesStart = skipSpaces(this.text, this.stateEnd, this.lineEnd);
    const timerStart = skipSpaces(this.text, tokenEnd(this.text, queuesStart, this.lineEnd), this.lineEnd);
    const timerEnd = tokenEnd(this.text, timerStart, this.lineEnd);
    const colon = lastColon(this.text, timerStart, timerEnd);
    const ticks = colon < 0 ? -1 : hexAt(this.text, colon + 1, timerEnd);
    return ticks < 0 ? undefined : (ticks * 1000) / PROC_TICKS_PER_SECOND;
  }
  localAddressHex(): string {
    return this.text.slice(this.localStart, this.localColon);
  }
  remoteAddressHex(): string {
    return this.text.slice(this.remoteStart, this.remoteColon);
  }
  endpointsKey(): string {
    // Ports are always printed as exactly four hex digits (%04X).
    return this.text.slice(this.localStart, this.remoteColon + 5);
  }
}

/**
 * Calls `visit` once per socket line of a /proc/net/tcp or tcp6 text. The header line and
 * malformed lines are skipped (a header's first token does not end in ':').
 */
export function forEachTcpSocket(text: string, visit: TcpSocketVisitor): void {
  const row = new RowCursor();
  row.text = text;
  const len = text.length;
  let pos = 0;
  while (pos < len) {
    let lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = len;
    const next = lineEnd + 1;

    // sl column: "  12:" or "12345:"
    const slStart = skipSpaces(text, pos, lineEnd);
    const slEnd = tokenEnd(text, slStart, lineEnd);
    if (slEnd === slStart || text.charCodeAt(slEnd - 1) !== COLON) {
      pos = next;
      continue;
    }

    const localStart = skipSpaces(text, slEnd, lineEnd);
    const localEnd = tokenEnd(text, localStart, lineEnd);
    const localColon = lastColon(text, localStart, localEnd);

    const remoteStart = skipSpaces(text, localEnd, lineEnd);
    const remoteEnd = tokenEnd(text, remoteStart, lineEnd);
    const remoteColon = lastColon(text, remoteStart, remoteEnd);

    const stateStart = skipSpaces(text, remoteEnd, lineEnd);
    const stateEnd = tokenEnd(text, stateStart, lineEnd);

    if (localColon < 0 || remoteColon < 0) {
      pos = next;
      continue;
    }
    const localPort = hexAt(text, localColon + 1, localEnd);
    const remotePort = hexAt(text, remoteColon + 1, remoteEnd);
    const state = hexAt(text, stateStart, stateEnd);
    if (localPort < 0 || remotePort < 0 || state < 0) {
      pos = next;
      continue;
    }

    row.localPort = localPort;
    row.remotePort = remotePort;
    row.state = state;
    row.localStart = localStart;
    row.localColon = localColon;
    row.remoteStart = remoteStart;
    row.remoteColon = remoteColon;
    row.stateEnd = stateEnd;
    row.lineEnd = lineEnd;
    visit(row);
    pos = next;
  }
}

/** Counts indexed by state code → StateCounts with only non-zero states. */
export function stateCounts(counts: Uint32Array): StateCounts {
  const out: StateCounts = {};
  for (let code = 0; code < counts.length; code++) {
    const n = counts[code] ?? 0;
    const name = STATE_BY_CODE[code];
    if (n > 0 && name !== undefined) out[name] = n;
  }
  return out;
}

/**
 * Census of socket states over several table texts (tcp and tcp6). A socket whose LOCAL port
 * is one of `serverPorts` is server side (listeners, accepted connections and the TIME_WAIT
 * they leave); every other socket is client side. Unknown state codes are ignored.
 */
export function censusTcpTable(texts: readonly string[], serverPorts: ReadonlySet<number>): TcpCensus {
  // The kernel produces these files through seq_file a page at a time and, between two read()
  // calls, resumes its walk of the connection hash by position; while sockets come and go (a
  // storm in progress) a line can be printed twice. A connection's 4-tuple is unique in a
  // namespace at any instant, so repeats are dropped.
  return censusOfRows((visit) => {
    for (const text of texts) forEachTcpSocket(text, visit);
  }, serverPorts, true);
}

/**
 * The same split over the rows a walk visits: /proc's texts (censusTcpTable) or one sock_diag
 * dump of every family (observe/tcp-source.ts), which drops a socket sent twice by its cookie
 * itself, so `dropRepeatedEndpoints` is false there.
 */
export function censusOfRows(walk: (visit: TcpSocketVisitor) => void, serverPorts: ReadonlySet<number>, dropRepeatedEndpoints: boolean): TcpCensus {
  // A flat lookup beats Set#has in the per-row loop and costs 64 KiB once per census.
  const isServer = new Uint8Array(65536);
  for (const port of serverPorts) if (port >= 0 && port < 65536) isServer[port] = 1;

  const client = new Uint32Array(STATE_BY_CODE.length);
  const server = new Uint32Array(STATE_BY_CODE.length);
  // Listeners are exempt from the repeat check: several SO_REUSEPORT listeners share one local
  // address and all show remote 0.0.0.0:0.
  const seen = new Set<string>();
  walk((row: TcpSocketRow): void => {
    const code = row.state;
    if (code >= client.length) return;
    if (dropRepeatedEndpoints && code !== LISTEN) {
      const key = row.endpointsKey();
      if (seen.has(key)) return;
      seen.add(key);
    }
    if (isServer[row.localPort] === 1) server[code]! += 1;
    else client[code]! += 1;
  });

  const total = new Uint32Array(client.length);
  for (let i = 0; i < total.length; i++) total[i] = (client[i] ?? 0) + (server[i] ?? 0);
  return { client: stateCounts(client), server: stateCounts(server), total: stateCounts(total) };
}

/**
 * Turns a printed address (8 or 32 hex chars) into text form ("127.0.0.1", "::1").
 * The kernel prints each 32-bit word of the network-order address with %08X as a host-order
 * integer, so on little-endian machines the bytes of every word appear reversed.
 */
export function decodeAddressHex(hex: string): string {
  if (hex.length !== 8 && hex.length !== 32) throw new Error(`not a /proc/net/tcp address: "${hex}"`);
  const little = endianness() === 'LE';
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word: number[] = [];
    for (let b = 0; b < 8; b += 2) {
      const v = hexAt(hex, w + b, w + b + 2);
      if (v < 0) throw new Error(`not a /proc/net/tcp address: "${hex}"`);
      word.push(v);
    }
    if (little) word.reverse();
    bytes.push(...word);
  }
  if (bytes.length === 4) return bytes.join('.');
  // The one RFC 5952 formatter (sockets/structs.ts), as sock_diag's addresses are written.
  return formatIPv6(Buffer.from(bytes));
}
