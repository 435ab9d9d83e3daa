// The versioned result model. One run → one self-describing JSON document: the scenario as
// run, where and how it ran, what the driver and the kernel saw over time, and a `summary`
// block whose field names are a stable contract for scripts and CI (add fields, never rename).
// Reading one back (and validating it) is read.ts; building one from a run is build.ts; the
// figures derived from one are figures.ts.
import type { Scenario } from '../scenario/index.js';
import type { EnvironmentInfo } from '../environment/info.js';
import type { ServerStats } from '../server/stats.js';
import type { RestartOutcome } from '../server/restart.js';
import type { StopReason as LoadStopReason } from '../driver/shape/index.js';
import type { PercentilesMs } from '../metrics/histograms.js';
import type { ErrorCount } from '../metrics/load-stats.js';
import type { PortSummary } from '../metrics/port-tracker.js';
import type { FaultCount } from '../observe/faults.js';
import type { ConnectFillData } from '../metrics/connect-fill.js';
import type { ConnectFillSummary } from './connect-cliff.js';

export const RESULT_SCHEMA = 'twstorm/result@1';

/** Why the load stopped: the driver's reason, or 'error' when the run itself broke off (see `failed`). */
export type StopReason = LoadStopReason | 'error';

export interface Summary {
  durationMs: number;
  connections: { attempted: number; established: number; completed: number; failed: number; ratePerSec: number };
  /** Client-side errors by errno code (all phases). */
  errors: Record<string, number>;
  /** Errors the bundled server saw, by code. */
  serverErrors: Record<string, number>;
  timeWait: {
    /** Highest census count of TIME_WAIT sockets on both sides at one moment. */
    peak: number;
    peakClient: number;
    peakServer: number;
    /** TIME_WAIT sockets left at the last sample. */
    end: number;
    /** Highest /proc/net/sockstat `tw`, sampled more often than the census (also counts orphaned FIN_WAIT2). */
    sockstatPeak: number;
    /**
     * When TIME_WAIT peaked, in ms on the run clock (like ports.exhaustedAtMs): the first sample
     * of the fastest curve (sockstat, else census) at its maximum, moved back to the driver's
     * last close when that fell between two samples (src/result/peak-time.ts). null when no
     * socket entered TIME_WAIT; absent in results written before it was recorded.
     */
    peakAtMs?: number | null;
    /**
     * Connections that reopened a TIME_WAIT the server still held: when the server closes
     * first, the client's port is free at once, and a new SYN from it to the same server port
     * reopens the server's TIME_WAIT for that 4-tuple (Linux tcp_timewait_state_process accepts
     * a SYN with a newer sequence/timestamp, RFC 1122 §4.2.2.13). The server then holds one
     * TIME_WAIT per client port, not per connection: peakServer + reopened ≈ connections.
     * Counted per 4-tuple (client address and port, server port): a port reused towards another
     * server port meets no TIME_WAIT. 0 when TIME_WAIT does not land on the server; absent when
     * the run had too many server ports to count (over 64 tables of tuples) and in results
     * written before it was counted.
     */
    reopened?: number;
  };
  ports: PortSummary & { range: { low: number; high: number; size: number } | null };
  /**
   * `life`: start to close's end of each established connection (tcp drivers; absent for the
   * undici clients and in results from before it was recorded).
   */
  latencyMs: { connect: PercentilesMs; firstByte: PercentilesMs; total: PercentilesMs; close: PercentilesMs; life?: PercentilesMs };
  /** Kernel counter deltas over the run (first sample → last sample). */
  kernel: Record<string, number>;
  /** `sent`: what the kernel took of the requests; `lost`: response bytes an RST (ours or the server's) discarded. */
  bytes: { sent: number; received: number; lost: number };
  /** With server.restart: whether the server could listen again and how long the port was unavailable. */
  restart?: { ok: boolean; unavailableMs: number; attempts: number; failures: Record<string, number> };
  /** SO_LINGER n closes on the client: how long close() blocked (off the event loop). */
  lingerBlockedMs?: PercentilesMs;
  /**
   * HTTP runs only (absent under protocol tcp): requests sent, answered 2xx, failed (an error or
   * another status), requests per second over the load, and requests per connection opened
   * (every request a connection carried, ok or not, over `established`: 1 when every request
   * paid for a connection; many under keep-alive). `connections` above
   * counts the connections the requests needed.
   */
  requests?: { total: number; ok: number; failed: number; ratePerSec: number; perConnection: number };
  /** What the run process itself cost while the load ran (driver + observer thread). */
  driver: DriverCost;
  /**
   * connect() latency against the client ports held, by the local port's parity: low and high
   * fill, and the cliff where the kernel's port scan made connect() slower (connect-cliff.ts).
   * Absent in results written before it was recorded, and when no connection was established.
   */
  connectFill?: ConnectFillSummary;
}

export interface DriverCost {
  cpuUserMs: number;
  cpuSystemMs: number;
  /**
   * CPU (user + system) per 1,000 connections attempted (HTTP: requests sent): how much the
   * driver spends to make the storm. null when none was (a run stopped before its load): no work
   * to divide the cost by.
   */
  cpuMsPer1000: number | null;
  /** How late the driver's event loop ran its callbacks; a stall here would hide in every latency. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export interface ServerFacts {
  host: string;
  /** The first port; `ports` lists every one when the server listened on several. */
  port: number;
  ports?: number[];
  stats: ServerStats;
  /** The restart phase, each bind attempt with its outcome (absent without server.restart). */
  restart?: RestartOutcome | null;
  /**
   * Not the bundled server: the user's `server.command` (its output file and how it exited) or
   * an external `target`. The bundled server's own counts (`stats`) are then all zero.
   */
  own?: { command: string; logPath: string; logDropped?: number; exit: { code: number | null; signal: string | null; killed: boolean; sigtermGroupOnly?: true } | null } | { target: string };
}

export interface CensusSeries {
  t: number[];
  client: Record<string, number[]>;
  server: Record<string, number[]>;
}

export interface KernelSeries {
  t: number[];
  tw: number[];
  inuse: number[];
  counters: Record<string, number[]>;
}

export type InterruptCause = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'parent-exit';

export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  tool: { name: 'twstorm'; version: string };
  scenario: Scenario;
  /** Which matrix variant this run was (null for a plain scenario). */
  variant: RunVariant | null;
  startedAt: string;
  endedAt: string;
  interrupted: boolean;
  /**
   * What interrupted it (with `interrupted`): the signal twstorm got — SIGINT (Ctrl-C), SIGTERM (a
   * kill, a CI job's timeout), SIGHUP (the terminal closed) — or the exit of the twstorm process
   * that started the run process. Absent in results of twstorm before it, and when not known.
   */
  interruptedBy?: InterruptCause;
  stoppedBy: StopReason;
  /** Set when the run failed (the server child died, every connection failed, the driver broke): why, in one line. The figures are what was measured until then. */
  failed?: string;
  /** When the load began and ended, in ms on the run clock that every `t` and `...AtMs` uses. */
  load: {
    startMs: number;
    endMs: number;
    /**
     * What summary.driver.cpuMsPer1000 counts per 1,000 of: requests under HTTP, connections
     * otherwise. Absent in results written before it was recorded, which counted connections.
     */
    costUnit?: 'requests' | 'connections';
  };
  environment: EnvironmentInfo;
  server: ServerFacts;
  summary: Summary;
  /** With `faults:`: each rule's nft counter, the segments it really dropped or reset (absent without faults). */
  faults?: FaultCount[];
  /** Client errors with the phase each struck in. */
  errors: Record<string, ErrorCount>;
  series: {
    driver: { intervalMs: number; t: number[]; columns: Record<string, number[]> };
    kernel: KernelSeries;
    census: CensusSeries;
  };
  /**
   * The connect-fill recorder's cells (src/metrics/connect-fill.ts): counts that add exactly,
   * so a merge recomputes summary.connectFill from them. Absent in older results.
   */
  connectFill?: ConnectFillData;
  /** HdrHistograms in microseconds, compressed base64 (exact, mergeable). */
  histograms: { connect: string; firstByte: string; total: string; close: string; life?: string; portReuseInterval: string };
}

export interface RunVariant {
  /** "close.first=client close.client=rst" */
  label: string;
  values: Record<string, string | number | boolean | null>;
}
