/**
 * One look at the TCP sockets of the current network namespace, straight from the kernel
 * (/proc/net/tcp{,6}, /proc/net/snmp, /proc/net/netstat, /proc/net/sockstat and the port
 * range sysctls): counts per state and family, which side each socket is on, who the
 * TIME_WAIT (or any state) belongs to, and how close each destination is to running out of
 * ephemeral ports.
 *
 * Why per destination: an unbound connect() needs a unique 4-tuple, so the ephemeral range
 * is spent separately for every (source address, destination address, destination port)
 * (__inet_hash_connect checks the 4-tuple, not the port alone). 28,000 TIME_WAIT sockets
 * spread over 100 destinations are harmless; 28,000 to one destination are an outage. A
 * global count hides which of the two you have.
 */

import { performance } from 'node:perf_hooks';
import {
  TCP_STATES,
  decodeAddressHex,
  forEachTcpSocket,
  tcpStateName,
  type StateCounts,
  type TcpSocketRow,
  type TcpStateName,
} from '../observe/tcp-table.js';
import { parseCounterTable } from '../observe/counters.js';
import { parseSockstat } from '../observe/sockstat.js';
import { DEFAULT_PROC_ROOT, readProcNet, readTcpTables } from '../observe/procfs.js';
import { forEachTcpSocketInode, scanSocketOwners } from '../observe/socket-owners.js';
import { readSysctl } from '../environment/sysctl.js';

export const GROUP_BYS = ['local-port', 'remote', 'remote-port', 'process'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/** Every state /proc/net/tcp can print, in the kernel's numeric order. */
export const STATE_NAMES: readonly TcpStateName[] = Object.freeze(Object.values(TCP_STATES));

/**
 * The counters that tell a TIME_WAIT story while it happens (per namespace, both families
 * share one TCP MIB): reuse of TIME_WAIT ports, TIME_WAIT destroyed because
 * tcp_max_tw_buckets was full, resets sent, failed connection attempts, TIME_WAITs
 * entered, and new outgoing connections.
 */
export const WATCH_COUNTERS: readonly string[] = Object.freeze([
  'TcpExtTWRecycled',
  'TcpExtTCPTimeWaitOverflow',
  'TcpOutRsts',
  'TcpAttemptFails',
  'TcpExtTW',
  'TcpActiveOpens',
]);

export interface SnapshotOptions {
  /** Group the sockets in `state` by this key. */
  by?: GroupBy;
  /** The state `by` looks at (default TIME_WAIT); 'all' for every state. */
  state?: TcpStateName | 'all';
  /** How many groups and destinations to keep (default 10). */
  top?: number;
  procRoot?: string;
}

export interface PortRange {
  low: number;
  high: number;
  size: number;
  /** Ports of the range listed in net.ipv4.ip_local_reserved_ports: connect() skips them. */
  reserved: number;
  /** Ports an unbound connect() can pick, per source address and destination. */
  usable: number;
}

export interface DestinationUsage {
  /** "127.0.0.1:7000" or "[::1]:7000". */
  destination: string;
  address: string;
  port: number;
  /** Local ports held towards this destination (every state but LISTEN). */
  inUse: number;
  /** Of those, the ones from the ephemeral range: the ones that count against `usable`. */
  inRange: number;
  timeWait: number;
  /** Distinct local addresses used towards it: each has its own port range. */
  sourceAddresses: number;
  /** usable ports × source addresses; null when the range is unknown. */
  usable: number | null;
  /** inRange / usable (0–1), null when the range is unknown. */
  share: number | null;
}

export interface GroupRow {
  key: string;
  count: number;
}

export interface Grouping {
  by: GroupBy;
  state: TcpStateName | 'all';
  rows: GroupRow[];
  /** Sockets in groups beyond the top N. */
  others: number;
  /** How many groups there were in all. */
  groups: number;
  /** Sockets that matched the state. */
  matched: number;
  /** For `process`: processes whose sockets could not be read (not root). */
  unreadableProcesses?: number;
}

export interface StatesSnapshot {
  schema: 'twstorm/states@1';
  /** ISO time of the reading. */
  at: string;
  /** Sockets listed by the kernel, both families. */
  total: number;
  /** Every state with its count, zeros included, so scripts see a fixed shape. */
  states: Record<TcpStateName, number>;
  ipv4: Record<TcpStateName, number>;
  ipv6: Record<TcpStateName, number>;
  /**
   * Server side: local port is a port something listens on (accepted connections and the
   * TIME_WAIT they leave); client side: everything else.
   */
  side: { client: StateCounts; server: StateCounts };
  listeningPorts: number[];
  portRange: PortRange | null;
  /** Top destinations by local ports in use. */
  destinations: DestinationUsage[];
  /** How many destinations there were in all. */
  destinationCount: number;
  group: Grouping | null;
  /** Absolute values of WATCH_COUNTERS (since boot / since the namespace was made). */
  counters: Record<string, number>;
  /** sockstat `tw`: live TIME_WAIT, plus orphaned FIN_WAIT2 (the kernel parks both in timewait socks). */
  sockstatTw: number | null;
  /** Time to read and digest everything above. */
  tookMs: number;
}

function zeroStates(): Record<TcpStateName, number> {
  const out = {} as Record<TcpStateName, number>;
  for (const name of STATE_NAMES) out[name] = 0;
  return out;
}

function fromCodes(counts: Uint32Array): Record<TcpStateName, number> {
  const out = zeroStates();
  for (let code = 0; code < counts.length; code++) {
    const name = tcpStateName(code);
    if (name !== undefined) out[name] = counts[code] ?? 0;
  }
  return out;
}

function nonZero(counts: Uint32Array): StateCounts {
  const out: StateCounts = {};
  for (let code = 0; code < counts.length; code++) {
    const name = tcpStateName(code);
    const n = counts[code] ?? 0;
    if (name !== undefined && n > 0) out[name] = n;
  }
  return out;
}

/** "a-b,c" as the kernel prints ip_local_reserved_ports → ports of it inside [low, high]. */
export function countReserved(list: string, low: number, high: number): number {
  let n = 0;
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const a = Math.max(Number(m[1]), low);
    const b = Math.min(Number(m[2] ?? m[1]), high);
    if (b >= a) n += b - a + 1;
  }
  return n;
}

export function parsePortRange(range: string | null, reserved: string | null): PortRange | null {
  if (range === null) return null;
  const [low, high] = range.split(/\s+/).map(Number);
  if (low === undefined || high === undefined || !Number.isInteger(low) || !Number.isInteger(high) || high < low) return null;
  const size = high - low + 1;
  const res = reserved ? countReserved(reserved, low, high) : 0;
  return { low, high, size, reserved: res, usable: size - res };
}

export async function readPortRange(): Promise<PortRange | null> {
  const [range, reserved] = await Promise.all([
    readSysctl('net.ipv4.ip_local_port_range'),
    readSysctl('net.ipv4.ip_local_reserved_ports'),
  ]);
  return parsePortRange(range, reserved);
}

function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

const STATE_CODE_BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(TCP_STATES).map(([hex, name]) => [name, parseInt(hex, 16)]),
);

export function stateCode(name: TcpStateName): number {
  const code = STATE_CODE_BY_NAME.get(name);
  if (code === undefined) throw new Error(`unknown TCP state ${name}`);
  return code;
}

const LISTEN = 0x0a;
const TIME_WAIT = 0x06;

/**
 * Digests already-read table texts (tcp first, then tcp6). Split from the reading so tests
 * and the benchmark can time and feed it directly.
 */
export function digestTables(
  tables: readonly string[],
  range: PortRange | null,
  options: Omit<SnapshotOptions, 'procRoot'> = {},
): Omit<StatesSnapshot, 'schema' | 'at' | 'counters' | 'sockstatTw' | 'tookMs'> {
  const top = Math.max(1, options.top ?? 10);
  const groupState = options.state ?? 'TIME_WAIT';
  const wantCode = groupState === 'all' ? -1 : stateCode(groupState);
  const by = options.by;

  const perFamily = [new Uint32Array(16), new Uint32Array(16)];
  const listening = new Uint8Array(65536);
  let total = 0;

  // Non-listening sockets are kept in flat arrays so that the side (which needs the full
  // set of listening ports, and tcp6 listeners can own IPv4-mapped connections) is decided
  // after the pass instead of in a second parse.
  let capacity = 1024;
  let ports = new Uint16Array(capacity);
  let states = new Uint8Array(capacity);
  let dests = new Int32Array(capacity);
  let sources = new Int32Array(capacity);
  let n = 0;
  const destIndex = new Map<string, number>();
  const destKeys: string[] = [];
  const sourceIndex = new Map<string, number>();

  const groupCounts = new Map<string | number, number>();
  let matched = 0;

  for (let family = 0; family < tables.length && family < 2; family++) {
    const counts = perFamily[family]!;
    forEachTcpSocket(tables[family]!, (row: TcpSocketRow) => {
      total++;
      const code = row.state;
      if (code < 16) counts[code]! += 1;
      if (code === LISTEN) {
        listening[row.localPort] = 1;
      } else {
        if (n === capacity) {
          capacity *= 2;
          const grow = <T extends Uint16Array | Uint8Array | Int32Array>(old: T, make: (size: number) => T): T => {
            const next = make(capacity);
            next.set(old);
            return next;
          };
          ports = grow(ports, (s) => new Uint16Array(s));
          states = grow(states, (s) => new Uint8Array(s));
          dests = grow(dests, (s) => new Int32Array(s));
          sources = grow(sources, (s) => new Int32Array(s));
        }
        const destKey = `${row.remoteAddressHex()}:${row.remotePort}`;
        let d = destIndex.get(destKey);
        if (d === undefined) {
          d = destKeys.length;
          destIndex.set(destKey, d);
          destKeys.push(destKey);
        }
        const srcKey = row.localAddressHex();
        let s = sourceIndex.get(srcKey);
        if (s === undefined) {
          s = sourceIndex.size;
          sourceIndex.set(srcKey, s);
        }
        ports[n] = row.localPort;
        states[n] = code;
        dests[n] = d;
        sources[n] = s;
        n++;
      }
      if (by !== undefined && by !== 'process' && (wantCode < 0 || code === wantCode)) {
        matched++;
        const key = by === 'local-port' ? row.localPort : by === 'remote-port' ? row.remotePort : row.remoteAddressHex();
        groupCounts.set(key, (groupCounts.get(key) ?? 0) + 1);
      }
    });
  }

  const client = new Uint32Array(16);
  const server = new Uint32Array(16);
  for (const counts of perFamily) server[LISTEN]! += counts[LISTEN] ?? 0;
  const destInUse = new Uint32Array(destKeys.length);
  const destInRange = new Uint32Array(destKeys.length);
  const destTw = new Uint32Array(destKeys.length);
  const destSources: Array<Set<number> | undefined> = new Array(destKeys.length);
  const low = range?.low ?? 0;
  const high = range?.high ?? -1;
  for (let i = 0; i < n; i++) {
    const port = ports[i]!;
    const code = states[i]!;
    if (listening[port] === 1) {
      server[code]! += 1;
      continue;
    }
    client[code]! += 1;
    const d = dests[i]!;
    destInUse[d]! += 1;
    if (port >= low && port <= high) destInRange[d]! += 1;
    if (code === TIME_WAIT) destTw[d]! += 1;
    const set = destSources[d] ?? new Set<number>();
    set.add(sources[i]!);
    destSources[d] = set;
  }

  const destOrder: number[] = [];
  for (let d = 0; d < destKeys.length; d++) if (destInUse[d]! > 0) destOrder.push(d);
  destOrder.sort((a, b) => destInRange[b]! - destInRange[a]! || destInUse[b]! - destInUse[a]!);
  const destinations: DestinationUsage[] = destOrder.slice(0, top).map((d) => {
    const key = destKeys[d]!;
    const colon = key.lastIndexOf(':');
    const address = decodeAddressHex(key.slice(0, colon));
    const port = Number(key.slice(colon + 1));
    const sourceAddresses = destSources[d]?.size ?? 0;
    const usable = range === null ? null : range.usable * Math.max(1, sourceAddresses);
    return {
      destination: formatEndpoint(address, port),
      address,
      port,
      inUse: destInUse[d]!,
      inRange: destInRange[d]!,
      timeWait: destTw[d]!,
      sourceAddresses,
      usable,
      share: usable === null || usable === 0 ? null : destInRange[d]! / usable,
    };
  });

  let group: Grouping | null = null;
  if (by !== undefined && by !== 'process') {
    const entries = [...groupCounts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
    const rows = entries.slice(0, top).map(([key, count]) => ({
      key: by === 'remote' ? decodeAddressHex(String(key)) : String(key),
      count,
    }));
    const shown = rows.reduce((sum, r) => sum + r.count, 0);
    group = { by, state: groupState, rows, others: matched - shown, groups: entries.length, matched };
  }

  const listeningPorts: number[] = [];
  for (let p = 0; p < 65536; p++) if (listening[p] === 1) listeningPorts.push(p);
  const all = new Uint32Array(16);
  for (const counts of perFamily) for (let i = 0; i < 16; i++) all[i]! += counts[i] ?? 0;

  return {
    total,
    states: fromCodes(all),
    ipv4: fromCodes(perFamily[0]!),
    ipv6: fromCodes(perFamily[1]!),
    side: { client: nonZero(client), server: nonZero(server) },
    listeningPorts,
    portRange: range,
    destinations,
    destinationCount: destOrder.length,
    group,
  };
}

/**
 * Groups by owning process. TIME_WAIT and pending-request sockets have no owner (inode 0,
 * see socket-owners.ts): a server-side one is attributed to the process that listens on its
 * local port, because that is whose clients left it behind; a client-side one stays
 * "(no process: kernel-held after close)".
 */
export function groupByProcess(
  tables: readonly string[],
  state: TcpStateName | 'all',
  top: number,
  procRoot: string = DEFAULT_PROC_ROOT,
): Grouping {
  const wantCode = state === 'all' ? -1 : stateCode(state);
  const listenerInode = new Map<number, number>();
  const socketInodes: number[] = [];
  const orphanPorts: number[] = [];
  for (const text of tables) {
    forEachTcpSocketInode(text, (code, localPort, inode) => {
      if (code === LISTEN && inode > 0 && !listenerInode.has(localPort)) listenerInode.set(localPort, inode);
      if (wantCode >= 0 && code !== wantCode) return;
      if (inode > 0) socketInodes.push(inode);
      else orphanPorts.push(localPort);
    });
  }
  const wanted = new Set<number>([...socketInodes, ...listenerInode.values()]);
  const { owners, unreadable } = wanted.size > 0 ? scanSocketOwners(wanted, procRoot) : { owners: new Map(), unreadable: 0 };
  const counts = new Map<string, number>();
  const add = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const inode of socketInodes) {
    const owner = owners.get(inode);
    add(owner ? `${owner.pid}/${owner.command}` : '(owner not visible)');
  }
  for (const port of orphanPorts) {
    const inode = listenerInode.get(port);
    const owner = inode === undefined ? undefined : owners.get(inode);
    if (owner) add(`${owner.pid}/${owner.command} (listener on :${port})`);
    else if (inode !== undefined) add(`(listener on :${port}, owner not visible)`);
    else add('(no process: kernel-held after close)');
  }
  const entries = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rows = entries.slice(0, Math.max(1, top)).map(([key, count]) => ({ key, count }));
  const matched = socketInodes.length + orphanPorts.length;
  const shown = rows.reduce((sum, r) => sum + r.count, 0);
  return { by: 'process', state, rows, others: matched - shown, groups: entries.length, matched, unreadableProcesses: unreadable };
}

/** Reads everything and digests it: what `twstorm states` shows once. */
export async function takeSnapshot(options: SnapshotOptions = {}): Promise<StatesSnapshot> {
  const started = performance.now();
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const [tables, net, range] = await Promise.all([readTcpTables(procRoot), readProcNet(procRoot), readPortRange()]);
  const digest = digestTables(tables, range, options);
  if (options.by === 'process') {
    digest.group = groupByProcess(tables, options.state ?? 'TIME_WAIT', options.top ?? 10, procRoot);
  }
  const all = parseCounterTable(`${net.snmp}\n${net.netstat}`);
  const counters: Record<string, number> = {};
  for (const key of WATCH_COUNTERS) counters[key] = all[key] ?? 0;
  let sockstatTw: number | null = null;
  try {
    sockstatTw = parseSockstat(net.sockstat).tw;
  } catch {
    sockstatTw = null;
  }
  return {
    schema: 'twstorm/states@1',
    at: new Date().toISOString(),
    ...digest,
    counters,
    sockstatTw,
    tookMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

export interface Rates {
  seconds: number;
  /** Change per second of each state's count (negative: draining). */
  states: Record<TcpStateName, number>;
  /** Increase per second of each WATCH_COUNTER. */
  counters: Record<string, number>;
}

export function ratesBetween(before: StatesSnapshot, after: StatesSnapshot): Rates {
  const seconds = Math.max(1e-3, (Date.parse(after.at) - Date.parse(before.at)) / 1000);
  const states = zeroStates();
  for (const name of STATE_NAMES) states[name] = (after.states[name] - before.states[name]) / seconds;
  const counters: Record<string, number> = {};
  for (const key of WATCH_COUNTERS) counters[key] = ((after.counters[key] ?? 0) - (before.counters[key] ?? 0)) / seconds;
  return { seconds, states, counters };
}
