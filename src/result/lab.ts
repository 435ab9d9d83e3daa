// A routed-lab run's result beyond one run's: each host's figures and the router's NAT and
// conntrack, as src/run/routed-run.ts composes them and the reports draw them.
import type { RunResult } from './model.js';
import type { NatSpec } from '../environment/topology/nat.js';
import type { ConntrackSample } from '../observe/conntrack.js';

export interface LabHostSummary {
  name: string;
  role: 'client' | 'server';
  address: string;
  /** Client hosts: that host's own run summary (its census, its counters, its driver). */
  summary?: RunResult['summary'];
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
}

export type LabResult = RunResult & { lab: LabFacts };

/** The lab facts of a result, when it came from a routed run. */
export function labOf(result: RunResult): LabFacts | null {
  const lab = (result as RunResult & { lab?: LabFacts }).lab;
  return lab && Array.isArray(lab.hosts) && lab.router ? lab : null;
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
    const env = result.scenario.environment as { sysctls?: Record<string, string | number>; server?: { sysctls?: Record<string, string | number> } };
    const asked = env.server?.sysctls?.[name] ?? env.sysctls?.[name];
    if (asked !== undefined) return asked;
  }
  return result.environment.sysctls[name] ?? null;
}
