// Building the result from a finished run: the driver's recorders, the kernel samples and the
// server's counts become one RunResult (model.ts) with its summary block.
import type { Scenario } from '../scenario/index.js';
import { ownServer, timeWaitLanding } from '../scenario/close-semantics.js';
import type { EnvironmentInfo } from '../environment/info.js';
import type { RestartOutcome } from '../server/restart.js';
import type { KernelSample } from '../observe/index.js';
import { counterDeltas, KEY_COUNTERS, pickCounters } from '../observe/index.js';
import { effectivePortRange, parsePortRange } from '../scenario/port-range.js';
import { percentilesMs } from '../metrics/histograms.js';
import { encodeHistogram } from '../metrics/histogram-encoding.js';
import { connectFillData } from './connect-fill-data.js';
import type { LoadStats } from '../metrics/load-stats.js';
import { roundMs, roundTo } from '../util/round.js';
import { cpuPerThousand, peakOf } from './figures.js';
import { connectFillSummary } from './connect-cliff.js';
import { requestsCarried } from './add.js';
import { lastCloseMs, timeWaitPeakTime } from './peak-time.js';
import {
  RESULT_SCHEMA,
  type CensusSeries,
  type DriverCost,
  type KernelSeries,
  type RunResult,
  type RunVariant,
  type ServerFacts,
  type StopReason,
  type Summary,
} from './model.js';
import { workUnit } from '../scenario/work.js';

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

/**
 * Response bytes that never reached the client. The client counts what it expected and did not
 * get on every established connection that ended early, but an RST can only throw away what the
 * server wrote: a connection the server reset unread (accept() at EMFILE: tcp_close with the
 * request still queued, TCPAbortOnClose) never had a response. The bundled TCP server counts the
 * responses it wrote (`replied`), which bounds it (an audit: close-wait-leak's "19,136 response
 * bytes lost" were 299 × 64 of responses never written; the client had all 223 that were).
 */
export function lostBytes(scenario: Scenario, replied: number, bytes: { received: number; lost: number }): number {
  if (scenario.protocol !== 'tcp' || ownServer(scenario)) return bytes.lost;
  const written = replied * scenario.payload.response;
  return Math.min(bytes.lost, Math.max(0, written - bytes.received));
}

export function buildResult(input: ResultInputs): RunResult {
  const { stats, samples } = input;
  const census = censusSeries(samples);
  const loadSeconds = Math.max(0.001, (input.load.endMs - input.load.startMs) / 1000);
  const first = samples[0];
  const last = samples[samples.length - 1];
  const errors = stats.errorsObject();
  const range = recordedPortRange(input.environment.sysctls['net.ipv4.ip_local_port_range'], input.scenario.client.portRange);
  const connectFill = stats.connectFill.connections > 0 ? connectFillData(stats.connectFill) : null;
  const summary: Summary = {
    durationMs: roundMs(input.load.endMs - input.load.startMs),
    connections: {
      attempted: stats.attempted,
      established: stats.established,
      completed: stats.completed,
      failed: stats.failed,
      ratePerSec: roundTo(stats.established / loadSeconds, 1),
    },
    errors: Object.fromEntries(Object.entries(errors).map(([code, count]) => [code, count.total])),
    serverErrors: serverErrors(input.server),
    timeWait: timeWaitSummary(census, samples, reopened(input.scenario, stats), lastCloseMs(stats.series.toJSON(), input.load.endMs)),
    ports: { ...stats.ports.summary(), range },
    latencyMs: {
      connect: percentilesMs(stats.connect),
      firstByte: percentilesMs(stats.firstByte),
      total: percentilesMs(stats.total),
      close: percentilesMs(stats.close),
      ...(stats.life.totalCount > 0 ? { life: percentilesMs(stats.life) } : {}),
    },
    kernel: first && last ? pickCounters(counterDeltas(first.counters, last.counters), KEY_COUNTERS) : {},
    bytes: { sent: stats.bytesSent, received: stats.bytesReceived, lost: lostBytes(input.scenario, input.server.stats.replied, { received: stats.bytesReceived, lost: stats.bytesLost }) },
    ...(input.server.restart ? { restart: restartSummary(input.server.restart) } : {}),
    ...(stats.lingerBlocked.totalCount > 0 ? { lingerBlockedMs: percentilesMs(stats.lingerBlocked) } : {}),
    ...(input.scenario.protocol === 'http'
      ? {
          requests: {
            ...stats.requests,
            ratePerSec: roundTo(stats.requests.ok / loadSeconds, 1),
            perConnection: roundTo(requestsCarried(stats.requests.total, errors) / Math.max(1, stats.established), 1),
          },
        }
      : {}),
    driver: {
      ...input.driver,
      // Per unit of work: a request under HTTP (a keep-alive pool makes few connections for many), else a connection.
      cpuMsPer1000: cpuPerThousand(input.driver.cpuUserMs + input.driver.cpuSystemMs, workUnit(input.scenario) === 'requests' ? stats.requests.total : stats.attempted),
    },
    ...(connectFill
      ? { connectFill: connectFillSummary(connectFill, range, percentilesMs(stats.connectFill.even), percentilesMs(stats.connectFill.odd), timeWaitLanding(input.scenario).clientHoldsPorts) }
      : {}),
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
    load: { startMs: roundMs(input.load.startMs), endMs: roundMs(input.load.endMs), costUnit: workUnit(input.scenario) },
    environment: input.environment,
    server: input.server,
    summary,
    errors,
    series: { driver: stats.series.toJSON(), kernel: kernelSeries(samples), census },
    ...(connectFill ? { connectFill } : {}),
    histograms: stats.histogramsAs(encodeHistogram),
  };
}

/** A run's census columns by side and state, from its samples (the census ticks among them). */
export function censusSeries(samples: KernelSample[]): CensusSeries {
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
  return { t: withCensus.map((s) => roundMs(s.census!.t)), client: columns('client'), server: columns('server') };
}

/** A run's sockstat and key counters over time, from its samples. */
export function kernelSeries(samples: KernelSample[]): KernelSeries {
  const counters: Record<string, number[]> = {};
  for (const key of KEY_COUNTERS) counters[key] = samples.map((s) => s.counters[key] ?? 0);
  return {
    t: samples.map((s) => roundMs(s.t)),
    tw: samples.map((s) => s.sockstat.tw),
    inuse: samples.map((s) => s.sockstat.inuse + s.sockstat.inuse6),
    counters,
  };
}

/**
 * Connections whose SYN reopened a server TIME_WAIT: only where the close policy leaves
 * TIME_WAIT on the server, and then every 4-tuple (client address and port, server port) opened
 * again within the 60 s the server holds it (the port table counts each). null: a run over too
 * many server ports to count them (port-table.ts, MAX_TUPLE_TABLES): left out of the result.
 */
function reopened(scenario: Scenario, stats: LoadStats): number | null {
  const side = timeWaitLanding(scenario).side;
  return side === 'server' || side === 'both' ? stats.ports.reusesWithinTimeWait : 0;
}

function timeWaitSummary(census: CensusSeries, samples: KernelSample[], reopenedCount: number | null, lastClose: number | null): Summary['timeWait'] {
  const client = census.client['TIME_WAIT'] ?? [];
  const server = census.server['TIME_WAIT'] ?? [];
  const both = census.t.map((_, i) => (client[i] ?? 0) + (server[i] ?? 0));
  const peakAt = timeWaitPeakTime({
    census: { t: census.t, timeWait: both },
    sockstat: { t: samples.map((s) => s.t), tw: samples.map((s) => s.sockstat.tw) },
    lastCloseMs: lastClose,
  });
  return {
    peak: peakOf(both),
    peakClient: peakOf(client),
    peakServer: peakOf(server),
    end: both[both.length - 1] ?? 0,
    sockstatPeak: peakOf(samples.map((s) => s.sockstat.tw)),
    peakAtMs: peakAt === null ? null : roundMs(peakAt),
    ...(reopenedCount === null ? {} : { reopened: reopenedCount }),
  };
}

/**
 * The range the client's ports came from, as the result records it: low, high and size
 * (reserved ports are not recorded). With client.portRange, the part of it the kernel honours.
 */
export function recordedPortRange(value: string | null | undefined, perSocket: string | null | undefined): { low: number; high: number; size: number } | null {
  const range = parsePortRange(value);
  if (range === null) return null;
  const { low, high } = effectivePortRange(range, parsePortRange(perSocket));
  return { low, high, size: high - low + 1 };
}


