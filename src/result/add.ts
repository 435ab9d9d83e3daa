// How the figures of several results add up, exactly: counts and counter maps add, error
// counts add per errno and phase, HdrHistograms add bucket by bucket (with each part's exact
// min and max kept), time series add on one wall-clock grid. One set of rules for a merge of
// shards (merge.ts) and for a routed lab's client hosts (build-lab.ts).
import { newHistogram, percentilesMs } from '../metrics/histograms.js';
import { decodeHistogram, encodeHistogram } from '../metrics/histogram-encoding.js';
import type { ErrorCount } from '../metrics/load-stats.js';
import { byCodeUnit } from '../util/order.js';
import type { RunResult, Summary } from './model.js';
import type { ServerStats } from '../server/stats.js';
import type { RestartOutcome } from '../server/restart.js';
import type { FaultCount } from '../observe/faults.js';
import type { EngineThreadSummary } from '../engine/client-engine.js';
import { describeFault, type FaultRule } from '../environment/faults.js';
import { cpuPerThousand, peakOf } from './figures.js';
import { seriesPeakTime } from './peak-time.js';
import { roundMs } from '../util/round.js';
import { sortedUnion } from '../util/sorted-union.js';
import { TIME_WAIT_SECONDS } from '../tcp-facts.js';
import type { EnvironmentInfo } from '../environment/info.js';

export function addHistograms(encoded: string[]): { encoded: string; percentiles: ReturnType<typeof percentilesMs> } {
  const total = newHistogram();
  try {
    for (const e of encoded) {
      if (e === '') continue; // a recorder that never recorded
      const h = decodeHistogram(e);
      try {
        total.add(h);
      } finally {
        h.destroy();
      }
    }
    return { encoded: encodeHistogram(total), percentiles: percentilesMs(total) };
  } finally {
    total.destroy();
  }
}

/**
 * The encoding keeps buckets, not the exact extremes (a decoded max is its bucket's top): each
 * contributor's summary has its exact min and max, and the merge's are the least and greatest.
 */
export function exactEnds(p: ReturnType<typeof percentilesMs>, parts: Array<ReturnType<typeof percentilesMs>>): ReturnType<typeof percentilesMs> {
  const mins = parts.map((x) => x.min).filter((v): v is number => v !== null);
  const maxes = parts.map((x) => x.max).filter((v): v is number => v !== null);
  if (p.count === 0 || mins.length === 0 || maxes.length === 0) return p;
  const max = Math.max(...maxes);
  const clamp = (v: number | null): number | null => (v === null ? null : Math.min(v, max));
  return { ...p, min: Math.min(...mins), max, p50: clamp(p.p50), p90: clamp(p.p90), p99: clamp(p.p99), p999: clamp(p.p999) };
}

/**
 * The connection-life histogram added over contributors, with its summary (exact ends). Null
 * when one of them has none (a result from before it was recorded): a sum without it would be
 * a part passed off as the whole.
 */
export function addedLife(results: RunResult[]): { encoded: string; latency: ReturnType<typeof percentilesMs> } | null {
  const parts = results.map((r) => ({ encoded: r.histograms.life, summary: r.summary.latencyMs.life }));
  if (parts.some((p) => p.encoded === undefined)) return null;
  const added = addHistograms(parts.map((p) => p.encoded!));
  if (added.percentiles.count === 0) return { encoded: added.encoded, latency: added.percentiles };
  return { encoded: added.encoded, latency: exactEnds(added.percentiles, parts.flatMap((p) => (p.summary ? [p.summary] : []))) };
}

/** The least of the values some contributor recorded; null when none did (a port reuse interval). */
export function minOf(values: Array<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.min(...present);
}

export function addMaps(maps: Array<Record<string, number> | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) out[k] = (out[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => byCodeUnit(a, b)));
}

export function addErrorCounts(maps: Array<Record<string, ErrorCount>>): Record<string, ErrorCount> {
  const out: Record<string, ErrorCount> = {};
  for (const m of maps) {
    for (const [code, c] of Object.entries(m)) {
      const into = (out[code] ??= { total: 0, byPhase: {} });
      into.total += c.total;
      for (const [phase, n] of Object.entries(c.byPhase) as Array<[keyof ErrorCount['byPhase'], number]>) into.byPhase[phase] = (into.byPhase[phase] ?? 0) + n;
    }
  }
  return out;
}

/** The engine facts of a result's environment (environment/info.ts), which addEngines combines. */
export type EngineFacts = Pick<EnvironmentInfo, 'engine' | 'threads' | 'engineFallback' | 'engineIo' | 'engineIoFallback'>;

/**
 * The engine facts of several contributors together. Their threads add up: each contributor's
 * made its part of the load, as summary.driver.threads lists them. The engine and its I/O are one
 * name when every contributor's is (with the first one's reason for a fallback), and are left out
 * otherwise, with a warning naming each: a shard that fell back to Node's net on another machine
 * was measured by another driver (an audit: the merge said the first shard's engine and threads).
 */
export function addEngines(parts: ReadonlyArray<{ file: string; facts: EngineFacts }>): { facts: EngineFacts; warnings: string[] } {
  const facts: EngineFacts = {};
  const warnings: string[] = [];
  const threads = parts.map((p) => p.facts.threads);
  if (threads.every((t) => t !== undefined)) facts.threads = threads.reduce((a, b) => a + b, 0);
  const same = (key: 'engine' | 'engineIo', fallback: 'engineFallback' | 'engineIoFallback', what: string): void => {
    const names = parts.map((p) => p.facts[key]);
    if (names.every((n) => n === undefined)) return;
    if (names.every((n) => n === names[0])) {
      Object.assign(facts, { [key]: names[0] });
      const why = parts.find((p) => p.facts[fallback] !== undefined)?.facts[fallback];
      if (why !== undefined) facts[fallback] = why;
      return;
    }
    warnings.push(`the results ran different ${what} (${parts.map((p, i) => `${names[i] ?? 'unrecorded'} in ${p.file}`).join(', ')}): the merged figures mix them, and the merge names none`);
  };
  same('engine', 'engineFallback', 'engines');
  // Only the native engine has an I/O mode: with net among them, the engine warning says it all.
  if (facts.engine === 'native') same('engineIo', 'engineIoFallback', 'engine I/O');
  return { facts, warnings };
}

/**
 * The drivers' cost together: their CPU adds, per 1,000 of all their work (`work`: connections
 * attempted, or requests under HTTP); the event-loop delay is the worst part's, as a stall in any
 * driver shows in the latencies it recorded.
 */
export function addDriverCosts(parts: Array<Summary['driver']>, work: number): Summary['driver'] {
  const cpuUserMs = parts.reduce((n, d) => n + d.cpuUserMs, 0);
  const cpuSystemMs = parts.reduce((n, d) => n + d.cpuSystemMs, 0);
  // summary.driver.threads (run/execute.ts sets it beside the cost: one row per engine thread,
  // its share and its busy time). Each contributor ran its own threads (its own process, its own
  // machine), so the whole load was made by all of them: every contributor's rows, in order,
  // numbered on from the previous one's, so their counts still add up to the merged connections
  // (an audit: the merge dropped the field). Left out when a contributor has none (the net
  // fallback, a result from before it was recorded): a part of the threads is not the whole.
  const each = parts.map((d) => (d as { threads?: EngineThreadSummary[] }).threads);
  const threads = each.every((t) => Array.isArray(t) && t.length > 0) ? (each as EngineThreadSummary[][]).flat().map((t, i) => ({ ...t, thread: i })) : null;
  return {
    cpuUserMs,
    cpuSystemMs,
    cpuMsPer1000: cpuPerThousand(cpuUserMs + cpuSystemMs, work),
    eventLoopDelayMs: {
      p50: Math.max(...parts.map((d) => d.eventLoopDelayMs.p50)),
      p99: Math.max(...parts.map((d) => d.eventLoopDelayMs.p99)),
      max: Math.max(...parts.map((d) => d.eventLoopDelayMs.max)),
    },
    ...(threads !== null ? { threads } : {}),
  };
}

/**
 * The bundled servers' own counts together, every field of ServerStats (src/server/stats.ts)
 * by what it is. Counts add: each contributor's server accepted, answered, closed, failed and
 * woke for its own connections (accepted, replied, closedFin, closedRst, open, errors by code,
 * emptyAccepts). acceptedPerListener adds listener by listener: every contributor ran the same
 * scenario, so listener i is the same listener of each (an audit: per listener "50 / 46 / 53 /
 * 51", shard 1's 200, beside accepted 400). linger: closes and the time blocked add, the longest
 * block is the longest of any (an audit: "max 1,025 ms over 4 closes" where 8 closes, max 1,030).
 * io: "io_uring" only when every contributor's threads served on it, as one server's is only
 * when every thread's was; ioFallback: each distinct reason one served on epoll. A field no
 * contributor recorded stays absent.
 */
export function addServerStats(parts: ServerStats[]): ServerStats {
  const total = (pick: (s: ServerStats) => number | undefined): number => parts.reduce((n, s) => n + (pick(s) ?? 0), 0);
  const ios = parts.map((s) => s.io).filter((x) => x !== undefined);
  const fallbacks = [...new Set(parts.map((s) => s.ioFallback).filter((x): x is string => typeof x === 'string' && x !== ''))];
  const perListener = parts.map((s) => s.acceptedPerListener).filter((x) => x !== undefined);
  const lingers = parts.map((s) => s.linger).filter((x) => x !== undefined);
  return {
    accepted: total((s) => s.accepted),
    replied: total((s) => s.replied),
    closedFin: total((s) => s.closedFin),
    closedRst: total((s) => s.closedRst),
    open: total((s) => s.open),
    errors: addMaps(parts.map((s) => s.errors)),
    ...(ios.length > 0 ? { io: ios.every((x) => x === 'io_uring') ? 'io_uring' : 'epoll' } : {}),
    ...(fallbacks.length > 0 ? { ioFallback: fallbacks.join('; ') } : {}),
    ...(perListener.length > 0
      ? { acceptedPerListener: Array.from({ length: Math.max(...perListener.map((l) => l.length)) }, (_, i) => perListener.reduce((n, l) => n + (l[i] ?? 0), 0)) }
      : {}),
    ...(parts.some((s) => s.emptyAccepts !== undefined) ? { emptyAccepts: total((s) => s.emptyAccepts) } : {}),
    ...(lingers.length > 0
      ? {
          linger: {
            closes: lingers.reduce((n, l) => n + l.closes, 0),
            blockedMsTotal: roundMs(lingers.reduce((n, l) => n + l.blockedMsTotal, 0)),
            blockedMsMax: Math.max(...lingers.map((l) => l.blockedMsMax)),
          },
        }
      : {}),
  };
}

/**
 * Each contributor's server restart as one: ok only when every one came back, the outage the
 * longest of theirs (as summary.restart's), every bind attempt on the common clock (`offsets`:
 * each contributor's start after the earliest) in time order; the ports are the scenario's,
 * the same for each. Null when none restarted.
 */
export function addRestarts(parts: Array<RestartOutcome | null | undefined>, offsets: number[]): RestartOutcome | null {
  const present = parts.flatMap((r, i) => (r ? [{ r, offset: offsets[i] ?? 0 }] : []));
  if (present.length === 0) return null;
  return {
    ok: present.every(({ r }) => r.ok),
    attempts: present.flatMap(({ r, offset }) => r.attempts.map((a) => ({ ...a, tMs: roundMs(a.tMs + offset) }))).sort((a, b) => a.tMs - b.tMs),
    unavailableMs: Math.max(...present.map(({ r }) => r.unavailableMs)),
    ports: present[0]!.r.ports,
  };
}

/**
 * The fault rules' counters together: every contributor ran the same rules in its own
 * namespace (or lab), each with its own nft counter, so rule i's segments matched add (an audit:
 * a merged lost-final-ack had no faults, and the verdict's "200 final ACKs dropped" was gone).
 * `rules`: the merged scenario's faults, which name each rule as the whole ran it (its whole
 * "first N"). Null when no contributor recorded faults.
 */
export function addFaults(parts: Array<FaultCount[] | undefined>, rules: readonly FaultRule[] | undefined): FaultCount[] | null {
  const present = parts.filter((p): p is FaultCount[] => p !== undefined && p.length > 0);
  if (present.length === 0) return null;
  const longest = present.reduce((a, p) => (p.length > a.length ? p : a));
  return longest.map((f, i) => ({
    ...f,
    ...(rules?.[i] !== undefined ? { rule: describeFault(rules[i]!) } : {}),
    matched: present.reduce((n, p) => n + (p[i]?.matched ?? 0), 0),
  }));
}

/**
 * The requests a run's connections carried: every request but those that failed before they had
 * one (socket, bind, connect: each such request counts one error in that phase, undici's and the
 * raw client's alike). A request answered 500, or cut off by the server's FIN, rode a connection
 * as much as one answered 200: counting only the ok ones made a pool that served 200 requests
 * over 4 connections, all answered 500, "0 requests per connection", which the verdict told as
 * "every request opened its own connection" (an audit).
 */
export function requestsCarried(total: number, errors: Record<string, ErrorCount>): number {
  let before = 0;
  for (const c of Object.values(errors)) before += (c.byPhase.socket ?? 0) + (c.byPhase.bind ?? 0) + (c.byPhase.connect ?? 0);
  return Math.max(0, total - before);
}

/**
 * HTTP requests together: the counts add, and the requests per connection are the requests the
 * connections carried (`errors`: the merged client errors) over every connection `established`;
 * `rate` gives requests/s from the total ok (each caller knows its load window).
 */
export function addRequests(
  parts: Array<Summary['requests'] | undefined>,
  established: number,
  errors: Record<string, ErrorCount>,
  rate: (ok: number) => number,
): NonNullable<Summary['requests']> {
  const total = parts.reduce((n, r) => n + (r?.total ?? 0), 0);
  const ok = parts.reduce((n, r) => n + (r?.ok ?? 0), 0);
  const failed = parts.reduce((n, r) => n + (r?.failed ?? 0), 0);
  return { total, ok, failed, ratePerSec: rate(ok), perConnection: roundMs(requestsCarried(total, errors) / Math.max(1, established)) };
}

/**
 * Series on one wall-clock grid. Driver columns are counts per interval: re-bucketed and
 * added. Kernel gauges (sockstat tw/inuse, census states) are sampled: each contributor's last
 * sample at or before a grid point is held while it was sampling, then counts 0 (its
 * namespace is gone). Kernel counters are cumulative: each contributor's delta from its first
 * sample, held after its last, so the sum stays monotonic.
 */
export function addSeries(results: Array<Pick<RunResult, 'series'>>, offsets: number[]): RunResult['series'] {
  const interval = Math.min(...results.map((r) => r.series.driver.intervalMs));
  const driverColumns: Record<string, number[]> = {};
  for (const [i, r] of results.entries()) {
    const d = r.series.driver;
    for (const [name, column] of Object.entries(d.columns)) {
      const into = (driverColumns[name] ??= []);
      for (const [j, v] of column.entries()) {
        // Its interval [t, t + I) on the common clock starts anywhere within a grid bucket: the
        // nearest grid start, not the one at or before it, which drew a lab's first bar up to an
        // interval before that host's load began (an audit: before the load's start marker).
        const bucket = Math.max(0, Math.round((d.t[j]! + offsets[i]!) / interval));
        while (into.length <= bucket) into.push(0);
        into[bucket]! += v;
      }
    }
  }
  const length = Math.max(0, ...Object.values(driverColumns).map((c) => c.length));
  for (const c of Object.values(driverColumns)) while (c.length < length) c.push(0);

  // Each contributor's sample times on the common clock, rounded as the grid is: once, not per column.
  const kernelTimes = results.map((r, i) => r.series.kernel.t.map((t) => roundMs(t + offsets[i]!)));
  // Every contributor's sample times, merged and sorted: no sample of any contributor is lost.
  const kernelGrid = sortedUnion(kernelTimes);
  const tw = addColumns(results.map((r, i) => sampleAndHold(kernelTimes[i]!, r.series.kernel.tw, kernelGrid, TIME_WAIT_MS)), kernelGrid.length);
  const inuse = addColumns(results.map((r, i) => sampleAndHold(kernelTimes[i]!, r.series.kernel.inuse, kernelGrid, 0)), kernelGrid.length);
  const counters: Record<string, number[]> = {};
  for (const key of new Set(results.flatMap((r) => Object.keys(r.series.kernel.counters)))) {
    counters[key] = addColumns(
      results.map((r, i) => {
        const raw = r.series.kernel.counters[key] ?? [];
        const base = raw[0] ?? 0;
        return sampleAndHold(kernelTimes[i]!, raw.map((v) => v - base), kernelGrid, Infinity);
      }),
      kernelGrid.length,
    );
  }

  const censusTimes = results.map((r, i) => r.series.census.t.map((t) => roundMs(t + offsets[i]!)));
  const censusGrid = sortedUnion(censusTimes);
  const side = (which: 'client' | 'server'): Record<string, number[]> => {
    const states = new Set(results.flatMap((r) => Object.keys(r.series.census[which])));
    const out: Record<string, number[]> = {};
    for (const state of [...states].sort()) {
      out[state] = addColumns(
        results.map((r, i) => sampleAndHold(censusTimes[i]!, r.series.census[which][state] ?? [], censusGrid, state === 'TIME_WAIT' ? TIME_WAIT_MS : 0)),
        censusGrid.length,
      );
    }
    return out;
  };
  return {
    driver: { intervalMs: interval, t: Array.from({ length }, (_, i) => i * interval), columns: driverColumns },
    kernel: { t: kernelGrid.map(roundMs), tw, inuse, counters },
    census: { t: censusGrid.map(roundMs), client: side('client'), server: side('server') },
  };
}

/**
 * The value each grid point saw: the latest sample at or before it (`t` rounded as the grid
 * is). After the last sample the value is held for `holdAfterMs` (Infinity for cumulative
 * counters; TCP_TIMEWAIT_LEN for TIME_WAIT, which one machine running the whole would still
 * hold; 0 for other states, gone with the contributor's namespace).
 */
function sampleAndHold(t: number[], v: number[], at: number[], holdAfterMs: number): number[] {
  const out = new Array<number>(at.length);
  let j = -1;
  const last = t.length - 1;
  for (let k = 0; k < at.length; k++) {
    const g = at[k]!;
    while (j + 1 < t.length && t[j + 1]! <= g) j += 1;
    if (j < 0) out[k] = 0;
    else if (j === last && g - t[last]! > holdAfterMs) out[k] = 0;
    else out[k] = v[j] ?? 0;
  }
  return out;
}

/** Linux TIME_WAIT lasts a fixed 60 s (TCP_TIMEWAIT_LEN). */
const TIME_WAIT_MS = TIME_WAIT_SECONDS * 1000;

function addColumns(columns: number[][], length: number): number[] {
  const sum = new Array<number>(length).fill(0);
  for (const column of columns) for (let i = 0; i < length; i++) sum[i]! += column[i] ?? 0;
  return sum;
}

/**
 * TIME_WAIT of contributors that ran together, from their added series: each one's own peak
 * was at its own moment, so the peaks are the added curves' (peakOf, not Math.max(...): a
 * 5.5-hour series of 200,000 samples overflows the stack as arguments), and when they peaked
 * is read from them as one run's is. `end` (what each held at its end, plus `extraEnd`: a lab's
 * server host) and `reopened` are added.
 */
export function addedTimeWait(series: RunResult['series'], parts: Array<Summary['timeWait']>, extraEnd: number, lastClose: number | null): Summary['timeWait'] {
  const client = series.census.client['TIME_WAIT'] ?? [];
  const server = series.census.server['TIME_WAIT'] ?? [];
  const peakAt = seriesPeakTime(series, lastClose);
  return {
    peak: peakOf(series.census.t.map((_, i) => (client[i] ?? 0) + (server[i] ?? 0))),
    peakClient: peakOf(client),
    peakServer: peakOf(server),
    end: parts.reduce((n, p) => n + p.end, extraEnd),
    sockstatPeak: peakOf(series.kernel.tw),
    peakAtMs: peakAt === null ? null : roundMs(peakAt),
    // Each contributor's reuses within the server's TIME_WAIT were of its own 4-tuples (its own
    // slice, or its own client address): they add. Absent where any contributor did not count
    // them (too many server ports, or an older result): a sum without its part would read the
    // missing reopens as TIME-WAIT kills (verdict/tw-assassination.ts).
    ...(parts.every((p) => p.reopened !== undefined) ? { reopened: parts.reduce((n, p) => n + p.reopened!, 0) } : {}),
  };
}

/**
 * The load window of results that ran together, on the common clock (`offsets`: each one's
 * start after the earliest): the first start to the last end. A result without a window counts
 * from its start to its duration.
 */
export function loadWindow(results: RunResult[], offsets: number[]): { startMs: number; endMs: number } {
  const startMs = Math.min(...results.map((r, i) => (r.load?.startMs ?? 0) + offsets[i]!));
  const endMs = Math.max(...results.map((r, i) => (r.load?.endMs ?? r.summary.durationMs) + offsets[i]!));
  return { startMs, endMs };
}

/**
 * Connections established before the ports ran out, added over the contributors that ran out
 * (shards, client hosts: each its own range), each counted at its own moment; null when none did
 * (or none counted it: a result from before the figure).
 */
export function establishedBeforeExhaustion(results: RunResult[]): number | null {
  const counts = results.flatMap((r) => (r.summary.ports.exhaustedAtMs === null ? [] : [r.summary.ports.establishedBeforeExhaustion ?? null]));
  return counts.length === 0 || counts.includes(null) ? null : counts.reduce<number>((a, n) => a + n!, 0);
}

/** When the first contributor ran out of ports, on the common clock; null when none did. */
export function firstExhaustion(results: RunResult[], offsets: number[]): number | null {
  const at = results.flatMap((r, i) => (r.summary.ports.exhaustedAtMs === null ? [] : [r.summary.ports.exhaustedAtMs + offsets[i]!]));
  return at.length === 0 ? null : Math.min(...at);
}
