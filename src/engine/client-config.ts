// What the main thread tells each client engine thread, and what the thread answers at the end.
// Plain data (structured-cloned into the worker), plus the SharedArrayBuffers the threads and
// the main thread read and write while the load runs.
import type { EpollLayout } from '../sockets/raw.js';
import type { EndpointPlan } from '../driver/endpoints.js';
import type { TcpExchangePlan } from '../driver/tcp-connection.js';
import type { ErrorCount, LoadHistogramCounts } from '../metrics/load-stats.js';
import type { ConnectFillCells } from '../metrics/connect-fill.js';
import type { PortTableBuffers } from '../metrics/port-table.js';
import type { ThreadPortFigures } from '../metrics/port-tracker.js';
import type { Stage } from '../driver/shape/ramp.js';
import type { EngineIo } from './io-choice.js';

/** Int32 slots of the control buffer. */
export const CTL_READY = 0;
export const CTL_GO = 1;
/** 0 run, 1 start nothing new (interrupt), 2 cut every connection now. */
export const CTL_STOP = 2;
export const STOP_DRAIN = 1;
export const STOP_CUT = 2;
/** Float64 slot (after the Int32 ones): the run-clock time the load starts. */
export const CTL_F64_START = 2;
export const CONTROL_BYTES = 32;

/** Live counters per thread (Float64, written once per loop turn): what the progress line reads. */
export const LIVE_ATTEMPTED = 0;
export const LIVE_ESTABLISHED = 1;
export const LIVE_COMPLETED = 2;
export const LIVE_FAILED = 3;
export const LIVE_ERRORS = 4;
export const LIVE_WIDTH = 8;

/** The exchange every connection makes (the host an IP address the main thread resolved), plus raw HTTP. */
export type ClientConnectionPlan = TcpExchangePlan & {
  /**
   * Raw HTTP/1.1 (http.client: raw): the request text sent for each request, and how many
   * requests a connection carries before the client closes it. `count` then counts requests.
   * null: the echo exchange.
   */
  http: { request: string; requestsPerConnection: number } | null;
};

export interface ClientThreadConfig {
  thread: number;
  threads: number;
  io: EngineIo;
  layout: EpollLayout;
  epochMs: number;
  sampleMs: number;
  connection: ClientConnectionPlan;
  endpoints: EndpointPlan;
  /** This thread's share of the connections. */
  count: number;
  durationMs: number;
  /** After durationMs, how long connections in flight get before they are cut (CUT_AT_STOP). */
  gracefulStopMs: number;
  /** Closed loop: this thread's share of the concurrency. */
  concurrency: number;
  /** Open loop: this thread's share of the rate (null: closed loop). */
  rate: number | null;
  /** Open loop: this thread's first start is this much after the common start, to interleave threads. */
  rateOffsetMs: number;
  maxInFlight: number;
  /**
   * The whole run's shape, which every thread evaluates for itself each loop turn: a ramp
   * (driver/shape/ramp.ts, k6-style stages) from `totalConcurrency` (closed loop) or `totalRate` (open
   * loop). A thread takes its share of the closed loop's target, and the open loop's starts
   * number k·threads + thread.
   */
  totalConcurrency: number;
  totalRate: number | null;
  stages: Stage[];
  control: SharedArrayBuffer;
  live: SharedArrayBuffer;
  ports: PortTableBuffers;
  /** The linger closers' queue (close.client: linger), else null. */
  closer: SharedArrayBuffer | null;
}

/** One thread's recorders at the end, in forms that merge exactly. */
export interface ClientThreadReport {
  thread: number;
  attempted: number;
  established: number;
  completed: number;
  failed: number;
  bytesSent: number;
  bytesReceived: number;
  bytesLost: number;
  /** Raw HTTP: requests sent, answered 2xx, failed. */
  requests: { total: number; ok: number; failed: number };
  errors: Record<string, ErrorCount>;
  /** HdrHistograms (microseconds) as slot counts: structured-cloned, no compressor in the thread. */
  histograms: LoadHistogramCounts;
  /** connect() time against ports held, by port parity (cells that add exactly). */
  connectFill: ConnectFillCells;
  series: { intervalMs: number; t: number[]; columns: Record<string, number[]> };
  ports: ThreadPortFigures;
  /** How this thread did its I/O, and why not through io_uring when it was chosen and could not be (its ring failed to open). */
  io: EngineIo;
  ioFallback?: string;
  /** Loop turns, and the share of wall time spent outside the wait (epoll_wait or io_uring_enter): this thread's busy time. */
  loop: { turns: number; busyMs: number; wallMs: number };
}
