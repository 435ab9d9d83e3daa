// A routed-lab run's result beyond one run's: each host's figures and the router's NAT and
// conntrack, as build-lab.ts composes them (src/run/routed-run.ts runs the lab) and the reports draw them.
import type { RunResult } from './model.js';
import type { NatSpec } from '../environment/topology/nat.js';
import { CONNTRACK_TROUBLE, type ConntrackSample } from '../observe/conntrack.js';
import { CONNTRACK_TIME_WAIT_SECONDS } from '../tcp-facts.js';
import { conntrackTimeoutKey, DEFAULT_SYSCTLS, routerSysctls } from '../scenario/sysctls.js';
import { roundMs } from '../util/round.js';

export interface LabHostSummary {
  name: string;
  role: 'client' | 'server';
  address: string;
  /** Client hosts: that host's own run summary (its census, its counters, its driver). */
  summary?: RunResult['summary'];
  /**
   * Client hosts: when its port range ran out, in ms since its own load began (null: it did not;
   * absent in older results). Its summary's exhaustedAtMs is on its own run clock, beside no load
   * start: with this its count before the shortage has its own time (figures.ts shortageHosts).
   */
  exhaustedAfterMs?: number | null;
  /** Server host: peak TIME_WAIT, the count at its last census and sockstat's peak `tw`, and the counter deltas read in its namespace. */
  timeWaitPeak?: number;
  timeWaitEnd?: number;
  sockstatPeak?: number;
  kernel?: Record<string, number>;
}

export interface LabFacts {
  topology: 'routed';
  hosts: LabHostSummary[];
  router: {
    nat: (NatSpec & { pool: string[]; tuples: number }) | null;
    conntrack: {
      samples: ConntrackSample[];
      peakEntries: number;
      peakTimeWait: number;
      counters: Record<string, number>;
      /** The emulated full table (conntrack.limit): the limit and the SYNs its rule dropped. */
      limit?: { max: number; droppedSyns: number };
    };
  };
  /** The server host's census over time (its own namespace). */
  serverCensus: Array<{ t: number; states: Record<string, number> }>;
  /**
   * When the lab told its client hosts to start their loads, together, on the run's clock: once
   * every host's process was ready (its observers' baseline taken, its engine threads loaded). Absent
   * in older results, whose hosts each started when its process was ready (up to ~1 s apart).
   */
  loadsReleasedAtMs?: number;
}

export type LabResult = RunResult & { lab: LabFacts };

/** The lab facts of a result, when it came from a routed run. */
export function labOf(result: RunResult): LabFacts | null {
  const lab = (result as RunResult & { lab?: LabFacts }).lab;
  return lab && Array.isArray(lab.hosts) && lab.router ? lab : null;
}

/**
 * Whose connect-fill cells a result holds when it is a lab of several client hosts: the first
 * client host's alone (build-lab.ts: each host walks a port range of its own, and the cliff is
 * read in ports held of one range). null for one host's cells, which are the whole load. Every
 * figure drawn from them names that host: unnamed, client1's 1,000 connections read as all
 * 3,000 of several-clients (an audit).
 */
export function connectFillHost(result: RunResult): { name: string; clientHosts: number } | null {
  const clients = labOf(result)?.hosts.filter((h) => h.role === 'client') ?? [];
  return clients.length > 1 ? { name: clients[0]!.name, clientHosts: clients.length } : null;
}

/**
 * One side of the census series at the moments that side's own hosts looked. A routed lab's
 * census is added on one grid of every host's looks, the client hosts' and the server host's
 * (add.ts), each host's last count held at the others' moments: at a moment only the server
 * host looked, the client line repeated the client hosts' last count as if seen then (an audit:
 * routed-client-closes-first drew client1 TIME_WAIT 671 at 1.68 s, its look of 290 ms before,
 * where its sockstat read 2,000 since 1.60 s). So a client side keeps the moments the server
 * host did not look at and a server side the server host's own; any other run's census is one
 * look at both sides, and is kept whole.
 */
export function sideCensus(result: RunResult, side: 'client' | 'server'): { t: number[]; states: Record<string, number[]> } {
  const census = result.series.census;
  const lab = labOf(result);
  if (lab === null) return { t: census.t, states: census[side] };
  // The server host's looks are on the run's clock, added with no offset: its grid points are
  // its own times, rounded as add.ts rounds them.
  const serverLooks = new Set(lab.serverCensus.map((s) => roundMs(s.t)));
  const keep = census.t.map((t) => serverLooks.has(t) === (side === 'server'));
  const pick = (values: number[]): number[] => values.filter((_, i) => keep[i]);
  return { t: pick(census.t), states: Object.fromEntries(Object.entries(census[side]).map(([state, values]) => [state, pick(values)])) };
}

/**
 * TIME_WAIT at the end in the namespaces whose counters summary.kernel sums: a routed lab's
 * client hosts (its timeWait.end adds the server host's, counted in a kernel of its own), or
 * the one namespace of any other run.
 */
export function timeWaitEndCounted(result: RunResult): number {
  const lab = labOf(result);
  if (lab === null) return result.summary.timeWait.end;
  return lab.hosts.filter((h) => h.role === 'client').reduce((n, h) => n + (h.summary?.timeWait.end ?? 0), 0);
}

/**
 * The kernel counter deltas of every host the run measured: summary.kernel is the one namespace
 * of a loopback run (both sides), but only a routed lab's client hosts; the server host's
 * counters (its accept queue, its TIME_WAIT overflow, its RSTs) are added from lab.hosts, so a
 * rule reads a lab as it reads one namespace (an audit: 900 TCPTimeWaitOverflow on the server
 * host, and a verdict of "no kernel drop").
 */
export function kernelCounters(result: RunResult): Record<string, number> {
  const lab = labOf(result);
  const server = lab?.hosts.find((h) => h.role === 'server')?.kernel;
  if (!server) return result.summary.kernel;
  const out = { ...result.summary.kernel };
  for (const [key, n] of Object.entries(server)) out[key] = (out[key] ?? 0) + n;
  return out;
}

/**
 * A sysctl as the server's kernel had it: in a routed lab the server host's own setting
 * (environment.server.sysctls over environment.sysctls), else what the run read back (one
 * namespace for both sides). A lab records the client host's read-back only.
 */
export function serverSysctl(result: RunResult, name: string): string | number | null {
  if (labOf(result) !== null) {
    const env = result.scenario.environment as LabEnvironment;
    // The server host gets the run defaults, environment.sysctls and its own, in that order.
    const asked = env.server?.sysctls?.[name] ?? env.sysctls?.[name] ?? DEFAULT_SYSCTLS[name];
    if (asked !== undefined) return asked;
    // The read-back is a client host's: a setting only the client hosts got is not the server's,
    // whose value is then not recorded (a review: client.sysctls 100 read as the server's).
    if (env.client?.sysctls?.[name] !== undefined) return null;
  }
  return result.environment.sysctls[name] ?? null;
}

type Sysctls = Record<string, string | number>;
interface LabEnvironment {
  sysctls?: Sysctls;
  client?: { sysctls?: Sysctls };
  server?: { sysctls?: Sysctls };
  router?: { sysctls?: Sysctls; conntrack?: { timeouts?: Record<string, number> } | null };
}

/**
 * How long the router's conntrack kept a closed flow, in seconds, as the run set it (the
 * router's sysctls as the run wrote them: routerSysctls), else the kernel's 120 s; and whether
 * the run set it (0 is a setting the kernel takes: no TIME_WAIT entry kept). A review: a
 * time_wait set by sysctl was in force on the router while the plan and the report said 120 s.
 */
export function conntrackTimeWait(result: RunResult): { seconds: number; set: boolean } {
  return conntrackTimeout(result, 'time_wait', CONNTRACK_TIME_WAIT_SECONDS);
}

/** A router conntrack TCP timeout as the run set it (routerSysctls), else the kernel's `defaultSeconds`. */
export function conntrackTimeout(result: RunResult, state: string, defaultSeconds: number): { seconds: number; set: boolean } {
  const set = routerSysctls(result.scenario.environment as LabEnvironment)[conntrackTimeoutKey(state)];
  const n = Number(set);
  return set !== undefined && Number.isFinite(n) && n >= 0 ? { seconds: n, set: true } : { seconds: defaultSeconds, set: false };
}

/**
 * What a routed lab's router refused over the run: its conntrack trouble counters that moved,
 * the packets they stand for (a failed SNAT insert is counted twice, in drop by
 * nf_ct_resolve_clash and in insert_failed by __nf_conntrack_confirm, so the larger of the two,
 * plus early_drop), and the emulated full table's dropped SYNs. null when it refused nothing.
 */
export function routerRefusals(result: RunResult): { counters: Array<[string, number]>; packets: number; limit: { max: number; droppedSyns: number } | null } | null {
  const lab = labOf(result);
  if (lab === null) return null;
  const c = lab.router.conntrack.counters;
  const counters = CONNTRACK_TROUBLE.map((k): [string, number] => [k, c[k] ?? 0]).filter(([, n]) => n > 0);
  const limit = lab.router.conntrack.limit && lab.router.conntrack.limit.droppedSyns > 0 ? lab.router.conntrack.limit : null;
  if (counters.length === 0 && limit === null) return null;
  return { counters, packets: Math.max(c['insert_failed'] ?? 0, c['drop'] ?? 0) + (c['early_drop'] ?? 0), limit };
}

/**
 * The router's refusals as figures `compare` judges, named by where they sit in a lab's result:
 * conntrack's trouble counters (CONNTRACK_TROUBLE) and the emulated full table's dropped SYNs.
 * Why a gate reads them: a router that refuses new flows is the phenomenon of a NAT or conntrack
 * lab, and the hosts do not always show it — a dropped SYN that a retransmit gets through later
 * leaves no error, only the router's count (conntrack-table-full: every connection made, 3 s late).
 */
export const ROUTER_FIGURES: readonly string[] = [...CONNTRACK_TROUBLE.map((k) => `lab.router.conntrack.counters.${k}`), 'lab.router.conntrack.limit.droppedSyns'];

/**
 * A router figure (ROUTER_FIGURES) of a result: null for a run with no router, and for a
 * counter the router's conntrack statistics did not give (unreadable there: not measured, not
 * 0); a lab without an emulated table limit dropped no SYN through one (0).
 */
export function routerFigure(result: RunResult, path: string): number | null {
  const lab = labOf(result);
  if (lab === null || !ROUTER_FIGURES.includes(path)) return null;
  const conntrack = lab.router.conntrack;
  if (path === 'lab.router.conntrack.limit.droppedSyns') return conntrack.limit?.droppedSyns ?? 0;
  return conntrack.counters[path.slice('lab.router.conntrack.counters.'.length)] ?? null;
}

/**
 * Packets of new flows the router refused in a run, for a table of runs: conntrack's (routerRefusals)
 * and the emulated full table's dropped SYNs. 0 for a lab whose router refused none; null for a
 * run with no router (a matrix of labs compared them on no table: an audit).
 */
export function routerRefusedPackets(result: RunResult): number | null {
  if (labOf(result) === null) return null;
  const r = routerRefusals(result);
  return r === null ? 0 : r.packets + (r.limit?.droppedSyns ?? 0);
}
