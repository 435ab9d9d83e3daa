/**
 * The census `twstorm states` takes: one look at the TCP sockets of the current network
 * namespace, straight from the kernel (/proc/net/tcp{,6}, /proc/net/snmp, /proc/net/netstat,
 * /proc/net/sockstat and the port range sysctls): counts per state and family, which side each
 * socket is on, who the TIME_WAIT (or any state) belongs to, and how close each destination is
 * to running out of ephemeral ports (census-tables.ts; by owner: by-process.ts).
 */

import { performance } from 'node:perf_hooks';
import { STATE_NAMES, type TcpStateName } from '../observe/tcp-table.js';
import { KERNEL_COUNTERS, parseCounterTable } from '../observe/counters.js';
import { parseSockstat, sockstatSockets } from '../observe/sockstat.js';
import { DEFAULT_PROC_ROOT, readProcNet, readTcpTables } from '../observe/procfs.js';
import { fromTcpTable, type TcpTableWalk } from '../observe/tcp-source.js';
import { readPortRange } from '../observe/port-range.js';
import { readSysctlSync } from '../environment/sysctl.js';
import { parseReservedPorts } from '../scenario/port-range.js';
import type { CensusOptions, CensusSettings, StatesCensus } from './types.js';
import { readTwReuse } from './tw-reuse.js';

export {
  GROUP_BYS,
  type CensusOptions,
  type CensusSettings,
  type DestinationUsage,
  type GroupBy,
  type GroupRow,
  type Grouping,
  type RangeUse,
  type StatesCensus,
  type TwReuseSettings,
} from './types.js';
import { censusFromTables, zeroStates } from './census-tables.js';
import { roundMs } from '../util/round.js';

export { STATE_NAMES };

/**
 * The counters that tell a TIME_WAIT story while it happens (per namespace, both families
 * share one TCP MIB): the registry's `watch` ones.
 */
export const WATCH_COUNTERS: readonly string[] = Object.freeze(
  KERNEL_COUNTERS.filter((c) => c.watch !== undefined)
    .sort((a, b) => a.watch! - b.watch!)
    .map((c) => c.key),
);

/**
 * What the census judges ports by, besides the range: tcp_tw_reuse and its companions, and the
 * reserved ports (connect() never picks them; readPortRange() only counts them).
 */
export function readCensusSettings(): CensusSettings {
  return { twReuse: readTwReuse(), reservedPorts: parseReservedPorts(readSysctlSync('net.ipv4.ip_local_reserved_ports') ?? '').ranges };
}

/** Reads everything and takes the census: what `twstorm states` shows once. */
export async function takeCensus(options: CensusOptions = {}): Promise<StatesCensus> {
  const started = performance.now();
  // The reading's time is when it began: the counters are read first, and --watch starts each
  // census on its grid (watch.ts untilNextRefresh), so rates between two readings span the grid's
  // period. Stamped at the end, a slow first census (a cold process on a busy CI machine) and a
  // quick second one read 0.05 s apart on a 100 ms watch, and their "/s" rates 20× too big.
  const at = new Date().toISOString();
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  // --by process needs each socket's inode next to /proc/*/fd, so it reads /proc's text; every
  // other view takes the table from sock_diag when the native layer is on (tcp-source.ts).
  const byProcess = options.by === 'process';
  const net = await readProcNet(procRoot);
  const range = readPortRange();
  const settings = readCensusSettings();
  const sizeHint = sockstatSockets(net.sockstat, net.sockstat6);
  let census: ReturnType<typeof censusFromTables>;
  if (byProcess) {
    const texts = await readTcpTables(procRoot);
    census = censusFromTables(texts, range, options, sizeHint, settings);
    // Loaded only here: the /proc/*/fd scan is the one view that needs it.
    const { groupByProcess } = await import('./by-process.js');
    census.group = groupByProcess(texts, options.state ?? 'TIME_WAIT', options.top ?? 10, procRoot);
  } else {
    // A refused dump falls back to /proc's text there, as the sampler's census does.
    const fromDump = (dump: TcpTableWalk): typeof census => censusFromTables([dump], range, options, sizeHint, settings);
    census = (await fromTcpTable(procRoot, fromDump, (texts) => censusFromTables(texts, range, options, sizeHint, settings))).value;
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
    at,
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
