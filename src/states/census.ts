/**
 * The census `twstorm states` takes: one look at the TCP sockets of the current network
 * namespace, straight from the kernel (/proc/net/tcp{,6}, /proc/net/snmp, /proc/net/netstat,
 * /proc/net/sockstat and the port range sysctls): counts per state and family, which side each
 * socket is on, who the TIME_WAIT (or any state) belongs to, and how close each destination is
 * to running out of ephemeral ports (census-tables.ts; by owner: by-process.ts).
 */

import { performance } from 'node:perf_hooks';
import { STATE_NAMES, type StateCounts, type TcpStateName } from '../observe/tcp-table.js';
import { KERNEL_COUNTERS, parseCounterTable } from '../observe/counters.js';
import { parseSockstat } from '../observe/sockstat.js';
import { DEFAULT_PROC_ROOT, readProcNet, readTcpTables } from '../observe/procfs.js';
import { readPortRange, type PortRange } from '../observe/port-range.js';
import { groupByProcess } from './by-process.js';
import { censusFromTables, zeroStates } from './census-tables.js';
import { roundMs } from '../util/round.js';

export { STATE_NAMES };

export const GROUP_BYS = ['local-port', 'remote', 'remote-port', 'process'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/**
 * The counters that tell a TIME_WAIT story while it happens (per namespace, both families
 * share one TCP MIB): the registry's `watch` ones.
 */
export const WATCH_COUNTERS: readonly string[] = Object.freeze(
  KERNEL_COUNTERS.filter((c) => c.watch !== undefined)
    .sort((a, b) => a.watch! - b.watch!)
    .map((c) => c.key),
);

export interface CensusOptions {
  /** Group the sockets in `state` by this key. */
  by?: GroupBy;
  /** The state `by` looks at (default TIME_WAIT); 'all' for every state. */
  state?: TcpStateName | 'all';
  /** How many groups and destinations to keep (default 10). */
  top?: number;
  procRoot?: string;
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

export interface StatesCensus {
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
  /** Time to read everything above and take the census. */
  tookMs: number;
}

/** Reads everything and takes the census: what `twstorm states` shows once. */
export async function takeCensus(options: CensusOptions = {}): Promise<StatesCensus> {
  const started = performance.now();
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const [tables, net, range] = await Promise.all([readTcpTables(procRoot), readProcNet(procRoot), readPortRange()]);
  const census = censusFromTables(tables, range, options);
  if (options.by === 'process') {
    census.group = groupByProcess(tables, options.state ?? 'TIME_WAIT', options.top ?? 10, procRoot);
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
    ...census,
    counters,
    sockstatTw,
    tookMs: roundMs(performance.now() - started),
  };
}

export interface Rates {
  seconds: number;
  /** Change per second of each state's count (negative: draining). */
  states: Record<TcpStateName, number>;
  /** Increase per second of each WATCH_COUNTER. */
  counters: Record<string, number>;
}

export function ratesBetween(before: StatesCensus, after: StatesCensus): Rates {
  const seconds = Math.max(1e-3, (Date.parse(after.at) - Date.parse(before.at)) / 1000);
  const states = zeroStates();
  for (const name of STATE_NAMES) states[name] = (after.states[name] - before.states[name]) / seconds;
  const counters: Record<string, number> = {};
  for (const key of WATCH_COUNTERS) counters[key] = ((after.counters[key] ?? 0) - (before.counters[key] ?? 0)) / seconds;
  return { seconds, states, counters };
}
