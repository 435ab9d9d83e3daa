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
