// The versioned result model. One run → one self-describing JSON document: the scenario as
// run, where and how it ran, what the driver and the kernel saw over time, and a `summary`
// block whose field names are a stable contract for scripts and CI (add fields, never rename).
import type { Scenario } from '../scenario/index.js';
import type { EnvironmentInfo } from '../environment/info.js';
import type { EchoServerStats } from '../server/echo-server.js';
import type { RestartOutcome } from '../server/restart.js';
import type { KernelSample, StateCounts } from '../observe/index.js';
import { counterDeltas, KEY_COUNTERS } from '../observe/index.js';
import { encodeHistogram, percentilesMs, type PercentilesMs } from './histograms.js';
import type { ErrorCount, LoadStats } from './load-stats.js';
import type { PortSummary } from './port-tracker.js';

export const RESULT_SCHEMA = 'twstorm/result@1';

export type StopReason = 'count' | 'duration' | 'interrupted' | 'error';

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
  };
  ports: PortSummary & { range: { low: number; high: number; size: number } | null };
  latencyMs: { connect: PercentilesMs; firstByte: PercentilesMs; total: PercentilesMs; close: PercentilesMs };
  /** Kernel counter deltas over the run (first sample → last sample). */
  kernel: Record<string, number>;
  /** `lost`: response bytes that never reached the client (an RST discarded them). */
  bytes: { sent: number; received: number; lost: number };
  /** With server.restart: whether the server could listen again and how long the port was unavailable. */
  restart?: { ok: boolean; unavailableMs: number; attempts: number; failures: Record<string, number> };
  /** SO_LINGER n closes on the client: how long close() blocked (off the event loop). */
  lingerBlockedMs?: PercentilesMs;
  /**
   * HTTP runs only (absent under protocol tcp): requests sent, answered 2xx, failed (an error or
   * another status), requests per second over the load, and requests per connection opened
   * (1 when every request paid for a connection; many under keep-alive). `connections` above
   * counts the connections the requests needed.
   */
  requests?: { total: number; ok: number; failed: number; ratePerSec: number; perConnection: number };
  /** What the run process itself cost while the load ran (driver + observer thread). */
  driver: DriverCost;
}

export interface DriverCost {
  cpuUserMs: number;
  cpuSystemMs: number;
  /** CPU (user + system) per 1,000 connections attempted: how much the driver spends to make the storm. */
  cpuMsPer1000: number;
  /** How late the driver's event loop ran its callbacks; a stall here would hide in every latency. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

export interface ServerFacts {
  host: string;
  /** The first port; `ports` lists every one when the server listened on several. */
  port: number;
  ports?: number[];
  stats: EchoServerStats;
  /** The restart phase, each bind attempt with its outcome (absent without server.restart). */
  restart?: RestartOutcome | null;
  /**
   * Not the bundled server: the user's `server.command` (its output file and how it exited) or
   * an external `target`. The bundled server's own counts (`stats`) are then all zero.
   */
  own?: { command: string; logPath: string; exit: { code: number | null; signal: string | null; killed: boolean } | null } | { target: string };
}

/** The server's own errors plus its failed listen attempts: a bind failure is an error too. */
function serverErrors(server: ServerFacts): Record<string, number> {
  const errors = { ...server.stats.errors };
  for (const attempt of server.restart?.attempts ?? []) {
    if (attempt.code !== null) errors[attempt.code] = (errors[attempt.code] ?? 0) + 1;
  }
  return errors;
}

function restartSummary(r: RestartOutcome): NonNullable<Summary['restart']> {
  const failures: Record<string, number> = {};
  for (const a of r.attempts) if (a.code !== null) failures[a.code] = (failures[a.code] ?? 0) + 1;
  return { ok: r.ok, unavailableMs: r.unavailableMs, attempts: r.attempts.length, failures };
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

export interface RunResult {
  schema: typeof RESULT_SCHEMA;
  tool: { name: 'twstorm'; version: string };
  scenario: Scenario;
  /** Which matrix variant this run was (null for a plain scenario). */
  variant: RunVariant | null;
  startedAt: string;
  endedAt: string;
  interrupted: boolean;
  stoppedBy: StopReason;
  /** Set when the run failed (the server child died, every connection failed, the driver broke): why, in one line. The figures are what was measured until then. */
  failed?: string;
  /** When the load began and ended, in ms on the run clock that every `t` and `...AtMs` uses (absent in results from before 0.1.0 was released). */
  load?: { startMs: number; endMs: number };
  environment: EnvironmentInfo;
  server: ServerFacts;
  summary: Summary;
  /** Client errors with the phase each struck in. */
  errors: Record<string, ErrorCount>;
  series: {
    driver: { intervalMs: number; t: number[]; columns: Record<string, number[]> };
    kernel: KernelSeries;
    census: CensusSeries;
  };
  /** HdrHistograms in microseconds, compressed base64 (exact, mergeable). */
  histograms: { connect: string; firstByte: string; total: string; close: string; portReuseInterval: string };
}

export interface RunVariant {
  /** "close.first=client close.client=rst" */
  label: string;
  values: Record<string, string | number | boolean | null>;
}

export interface ResultInputs {
  version: string;
  scenario: Scenario;
  variant: RunVariant | null;
  startedAt: Date;
  endedAt: Date;
  stoppedBy: StopReason;
  load: { startMs: number; endMs: number };
  environment: EnvironmentInfo;
  server: ServerFacts;
  stats: LoadStats;
  samples: KernelSample[];
  driver: Omit<DriverCost, 'cpuMsPer1000'>;
}

export function buildResult(input: ResultInputs): RunResult {
  const { stats, samples } = input;
  const census = censusSeries(samples);
  const loadSeconds = Math.max(0.001, (input.load.endMs - input.load.startMs) / 1000);
  const first = samples[0];
  const last = samples[samples.length - 1];
  const errors = stats.errorsObject();
  const summary: Summary = {
    durationMs: round(input.load.endMs - input.load.startMs),
    connections: {
      attempted: stats.attempted,
      established: stats.established,
      completed: stats.completed,
      failed: stats.failed,
      ratePerSec: round(stats.established / loadSeconds),
    },
    errors: Object.fromEntries(Object.entries(errors).map(([code, count]) => [code, count.total])),
    serverErrors: serverErrors(input.server),
    timeWait: timeWaitSummary(census, samples),
    ports: { ...stats.ports.summary(), range: portRange(input.environment.sysctls['net.ipv4.ip_local_port_range']) },
    latencyMs: {
      connect: percentilesMs(stats.connect),
      firstByte: percentilesMs(stats.firstByte),
      total: percentilesMs(stats.total),
      close: percentilesMs(stats.close),
    },
    kernel: first && last ? pick(counterDeltas(first.counters, last.counters), KEY_COUNTERS) : {},
    bytes: { sent: stats.bytesSent, received: stats.bytesReceived, lost: stats.bytesLost },
    ...(input.server.restart ? { restart: restartSummary(input.server.restart) } : {}),
    ...(stats.lingerBlocked.totalCount > 0 ? { lingerBlockedMs: percentilesMs(stats.lingerBlocked) } : {}),
    ...(input.scenario.protocol === 'http'
      ? {
          requests: {
            ...stats.requests,
            ratePerSec: round(stats.requests.ok / loadSeconds),
            perConnection: round(stats.requests.ok / Math.max(1, stats.established)),
          },
        }
      : {}),
    driver: {
      ...input.driver,
      cpuMsPer1000: round(((input.driver.cpuUserMs + input.driver.cpuSystemMs) * 1000) / Math.max(1, stats.attempted)),
    },
  };
  return {
    schema: RESULT_SCHEMA,
    tool: { name: 'twstorm', version: input.version },
    scenario: input.scenario,
    variant: input.variant,
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
    interrupted: input.stoppedBy === 'interrupted',
    stoppedBy: input.stoppedBy,
    load: { startMs: round(input.load.startMs), endMs: round(input.load.endMs) },
    environment: input.environment,
    server: input.server,
    summary,
    errors,
    series: { driver: stats.series.toJSON(), kernel: kernelSeries(samples), census },
    histograms: {
      connect: encodeHistogram(stats.connect),
      firstByte: encodeHistogram(stats.firstByte),
      total: encodeHistogram(stats.total),
      close: encodeHistogram(stats.close),
      portReuseInterval: encodeHistogram(stats.ports.reuseIntervals),
    },
  };
}

function censusSeries(samples: KernelSample[]): CensusSeries {
  const withCensus = samples.filter((s) => s.census !== undefined);
  const columns = (side: 'client' | 'server'): Record<string, number[]> => {
    const states = new Set<string>();
    for (const s of withCensus) for (const state of Object.keys(s.census![side])) states.add(state);
    const out: Record<string, number[]> = {};
    for (const state of [...states].sort()) {
      out[state] = withCensus.map((s) => (s.census![side] as Record<string, number | undefined>)[state] ?? 0);
    }
    return out;
  };
  return { t: withCensus.map((s) => round(s.t)), client: columns('client'), server: columns('server') };
}

function kernelSeries(samples: KernelSample[]): KernelSeries {
  const counters: Record<string, number[]> = {};
  for (const key of KEY_COUNTERS) counters[key] = samples.map((s) => s.counters[key] ?? 0);
  return {
    t: samples.map((s) => round(s.t)),
    tw: samples.map((s) => s.sockstat.tw),
    inuse: samples.map((s) => s.sockstat.inuse + s.sockstat.inuse6),
    counters,
  };
}

function timeWaitSummary(census: CensusSeries, samples: KernelSample[]): Summary['timeWait'] {
  const client = census.client['TIME_WAIT'] ?? [];
  const server = census.server['TIME_WAIT'] ?? [];
  const both = census.t.map((_, i) => (client[i] ?? 0) + (server[i] ?? 0));
  return {
    peak: Math.max(0, ...both),
    peakClient: Math.max(0, ...client),
    peakServer: Math.max(0, ...server),
    end: both[both.length - 1] ?? 0,
    sockstatPeak: Math.max(0, ...samples.map((s) => s.sockstat.tw)),
  };
}

function portRange(value: string | null | undefined): { low: number; high: number; size: number } | null {
  const match = /^(\d+)\s+(\d+)$/.exec(value ?? '');
  if (!match) return null;
  const low = Number(match[1]);
  const high = Number(match[2]);
  return { low, high, size: high - low + 1 };
}

function pick(values: Record<string, number>, keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, values[key] ?? 0]));
}

const round = (v: number): number => Math.round(v * 10) / 10;

export type { StateCounts };
