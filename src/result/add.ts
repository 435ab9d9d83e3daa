// How the figures of several results add up, exactly: counts and counter maps add, error
// counts add per errno and phase, HdrHistograms add bucket by bucket (with each part's exact
// min and max kept). One set of rules for a merge of shards (merge.ts) and for a routed lab's
// client hosts (run/routed-run.ts).
import { newHistogram, percentilesMs } from '../metrics/histograms.js';
import { decodeHistogram, encodeHistogram } from '../metrics/histogram-encoding.js';
import type { ErrorCount } from '../metrics/load-stats.js';
import { byCodeUnit } from '../util/order.js';
import type { Summary } from './model.js';
import { cpuPerThousand } from './figures.js';
import { roundMs } from '../util/round.js';

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

/**
 * The drivers' cost together: their CPU adds, per 1,000 of all their work (`work`: connections
 * attempted, or requests under HTTP); the event-loop delay is the worst part's, as a stall in any
 * driver shows in the latencies it recorded.
 */
export function addDriverCosts(parts: Array<Summary['driver']>, work: number): Summary['driver'] {
  const cpuUserMs = parts.reduce((n, d) => n + d.cpuUserMs, 0);
  const cpuSystemMs = parts.reduce((n, d) => n + d.cpuSystemMs, 0);
  return {
    cpuUserMs,
    cpuSystemMs,
    cpuMsPer1000: cpuPerThousand(cpuUserMs + cpuSystemMs, work),
    eventLoopDelayMs: {
      p50: Math.max(...parts.map((d) => d.eventLoopDelayMs.p50)),
      p99: Math.max(...parts.map((d) => d.eventLoopDelayMs.p99)),
      max: Math.max(...parts.map((d) => d.eventLoopDelayMs.max)),
    },
  };
}

/**
 * HTTP requests together: the counts add, and the requests per connection are over every
 * connection `established`; `rate` gives requests/s from the total ok (each caller knows its
 * load window).
 */
export function addRequests(parts: Array<Summary['requests'] | undefined>, established: number, rate: (ok: number) => number): NonNullable<Summary['requests']> {
  const total = parts.reduce((n, r) => n + (r?.total ?? 0), 0);
  const ok = parts.reduce((n, r) => n + (r?.ok ?? 0), 0);
  const failed = parts.reduce((n, r) => n + (r?.failed ?? 0), 0);
  return { total, ok, failed, ratePerSec: rate(ok), perConnection: roundMs(ok / Math.max(1, established)) };
}
