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
