// Figures derived from the connect-fill cells (src/metrics/connect-fill.ts): connect() latency
// at low and high fill, whether it climbed with the ports held (the port-scan cliff), where and
// when, and the series the charts draw. Pure; build, merge, the verdict, the plan and the HTML
// report all read the cliff from here, so they cannot disagree.
import { portPools } from '../scenario/port-pools.js';
import {
  binOf,
  binPercentileMs,
  collect,
  emptyBins,
  type ConnectFillData,
} from '../metrics/connect-fill.js';
import type { PercentilesMs } from '../metrics/histograms.js';
import { roundTo } from '../util/round.js';
import type { RunResult } from './model.js';
import { mergedOf } from './provenance.js';
import { TIME_WAIT_SECONDS } from '../tcp-facts.js';

export type Parity = 'even' | 'odd';

export interface FillBand {
  /** Ports held, from (inclusive) … to (exclusive), in whole held buckets. */
  heldFrom: number;
  heldTo: number;
  connections: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ConnectCliff {
  /** Ports held where connect() latency first stayed above the midpoint of low and high fill. */
  atHeld: number;
  /** atHeld ÷ the range size (null when the range is not known). */
  atFill: number | null;
  /** Run clock (ms) of the first interval that held that many ports. */
  atMs: number | null;
  /** high-fill p50 ÷ low-fill p50, and the same for p99. */
  slowdownP50: number;
  slowdownP99: number;
}

/** Only numbers (thresholds may name any of them); what was timed is connectFill.measure in the result. */
export interface ConnectFillSummary {
  /** Exact percentiles by the local port's parity, with when and at what fill each parity first appeared. */
  even: PercentilesMs & { firstAtMs: number | null; minHeld: number | null };
  odd: PercentilesMs & { firstAtMs: number | null; minHeld: number | null };
  lowFill: FillBand | null;
  highFill: FillBand | null;
  /** Set when connect() latency grew with the ports held (see CLIFF_*); null on a flat run. */
  cliff: ConnectCliff | null;
}

/** Each band needs this many connections before the two are compared. */
export const CLIFF_MIN_CONNECTIONS = 30;
/**
 * High-fill p50 at least this many times the low-fill p50. A whole-range scan costs tens of
 * times a free port's connect(); a busy machine doubles a syscall's time now and then, rarely
 * triples its median over thousands of calls.
 */
export const CLIFF_MIN_SLOWDOWN = 3;
/** …and at least this much slower in absolute terms (ms), so a 2 µs → 7 µs wobble is no cliff. */
export const CLIFF_MIN_EXTRA_MS = 0.02;
/**
 * …and at a share of the range the scan can explain. With a share f of the first parity held,
 * the walk probes about 1 ÷ (1 − f) ports before a free one: 3× needs two thirds of one parity,
 * a third of the range. A "cliff" at 3 % held (tw-bucket-overflow, measured) is something else.
 */
export const CLIFF_MIN_FILL = 0.25;

/**
 * The range a run's connect() fill is read in: its port range, or for a merge of shards one
 * shard's slice (merge.ts reads the cliff per contributor), with how many such slices there
 * were. Every reader of the cliff asks here (a review: the verdict said "of each shard's slice"
 * while the terminal, the chart and plan --from divided by the whole range).
 */
export function cliffRange(result: RunResult): { low: number; size: number; slices: number; slice: boolean } | null {
  const contributors = mergedOf(result)?.contributors ?? [];
  const shards = contributors.filter((c) => c.shard !== null);
  const slice = shards.find((c) => c.ports.range !== null)?.ports.range ?? null;
  if (slice !== null && shards.length > 0) {
    // The merged range's low end decides the first parity: each slice's was moved onto it.
    const low = result.summary.ports.range?.low ?? slice.low;
    return { low, size: slice.size, slices: shards.length, slice: true };
  }
  const range = result.summary.ports.range;
  return range === null ? null : { low: range.low, size: range.size, slices: 1, slice: false };
}

/**
 * The cliff in one pool of ports — one source address toward one destination — which is what a
 * connect() walks: __inet_hash_connect steps over a port only when its 4-tuple toward this
 * destination is taken (__inet_check_established), so a port held toward another destination
 * is free for this one. The held count (metrics/held-ports.ts) is per source address over all
 * destinations, so with several destinations it is more than any one walk meets (an audit: a
 * "cliff" at 26 % of the range, two destinations, blamed on a walk of every even port before any
 * odd one, when no odd port had been tried). With the client closing first every connection
 * keeps its 4-tuple for 60 s, so a pool holds the connections of the last 60 s spread evenly
 * over its pools; with one destination the held count is exact and is kept.
 */
export interface CliffPools {
  /** Pools per source address the held count spans: the destinations when connect() picks the port, else 1. */
  destinations: number;
  /** Source addresses (each its own held count). */
  sources: number;
  /** Ports held in one pool at the cliff. */
  heldPerPool: number;
  /** heldPerPool ÷ the range (or shard slice) size; null when the range is not known. */
  fillPerPool: number | null;
  /** Connections made before the cliff, in one range (one shard's slice of a merge). */
  connectionsBefore: number;
  /** The kernel's parity order shows in this run: a pool at least half held, or a port of the second parity handed out. */
  parityShown: boolean;
  /** A per-socket IP_LOCAL_PORT_RANGE: walked in steps of 1, no parity. */
  perSocketRange: boolean;
}

/** A pool is "half held" from here on: every port of the first parity taken (give or take those in flight). */
export const PARITY_FILL = 0.5;

export function cliffPools(result: RunResult): CliffPools | null {
  const fill = result.summary.connectFill;
  const cliff = fill?.cliff;
  if (!fill || !cliff) return null;
  const range = cliffRange(result);
  // bind(addr, 0) without IP_BIND_ADDRESS_NO_PORT, or a named port, holds it for every
  // destination: then they walk one pool (scenario/port-pools.ts).
  const pools = portPools(result.scenario);
  const sources = pools.sources;
  const destinations = pools.bindBeforeConnect ? 1 : pools.destinations;
  const slices = range?.slices ?? 1;
  let heldPerPool = cliff.atHeld;
  let connectionsBefore = cliff.atHeld * sources;
  const data = result.connectFill;
  if (destinations > 1 && data && cliff.atMs !== null) {
    const windowed = connectsBetween(data, cliff.atMs - TIME_WAIT_SECONDS * 1000, cliff.atMs) / slices;
    connectionsBefore = connectsBetween(data, -Infinity, cliff.atMs) / slices;
    heldPerPool = Math.min(cliff.atHeld, windowed / (sources * destinations));
  } else if (destinations > 1) {
    heldPerPool = cliff.atHeld / destinations;
  }
  const fillPerPool = range === null || range.size === 0 ? null : roundTo(heldPerPool / range.size, 3);
  // A per-socket IP_LOCAL_PORT_RANGE is walked port by port, with no parity split (__inet_hash_connect).
  const perSocketRange = result.scenario.protocol === 'tcp' && (result.scenario.client as { portRange?: string | null } | undefined)?.portRange != null;
  const second = range ? fill[firstParity(range) === 'even' ? 'odd' : 'even'] : null;
  const parityShown = !perSocketRange && ((fillPerPool !== null && fillPerPool >= PARITY_FILL) || (second !== null && second.count > 0));
  return { destinations, sources, heldPerPool: Math.round(heldPerPool), fillPerPool, connectionsBefore: Math.round(connectionsBefore), parityShown, perSocketRange };
}

/** Connections whose connect() came in run-clock intervals starting in [fromMs, toMs). */
export function connectsBetween(data: ConnectFillData, fromMs: number, toMs: number): number {
  let n = 0;
  for (let k = 0; k + 3 < data.byTime.length; k += 4) {
    const t = data.byTime[k]! * data.intervalMs;
    if (t >= fromMs && t < toMs) n += data.byTime[k + 3]!;
  }
  return n;
}

/** Run clock (ms) of the end of the last interval with a connect; null with none. */
export function lastConnectMs(data: ConnectFillData): number | null {
  let last = -1;
  for (let k = 0; k + 3 < data.byTime.length; k += 4) if (data.byTime[k + 3]! > 0) last = Math.max(last, data.byTime[k]!);
  return last < 0 ? null : (last + 1) * data.intervalMs;
}

/** The parity connect() tries first: the range's low end's (__inet_hash_connect). */
export function firstParity(range: { low: number }): Parity {
  return range.low % 2 === 0 ? 'even' : 'odd';
}

/** The summary of the cells; `even`/`odd` are the exact HdrHistogram percentiles the caller read. */
export function connectFillSummary(
  data: ConnectFillData,
  range: { size: number } | null,
  even: PercentilesMs,
  odd: PercentilesMs,
  /** The close leaves the client's ports held (timeWaitLanding): else "ports held" is only ports used, and no scan walks them. */
  clientHoldsPorts: boolean,
): ConnectFillSummary {
  const bands = fillBands(data);
  return {
    even: { ...even, firstAtMs: data.parity.even.firstAtMs, minHeld: data.parity.even.minHeld },
    odd: { ...odd, firstAtMs: data.parity.odd.firstAtMs, minHeld: data.parity.odd.minHeld },
    lowFill: bands?.low ?? null,
    highFill: bands?.high ?? null,
    cliff: bands === null || !clientHoldsPorts ? null : cliffOf(data, bands.low, bands.high, range?.size ?? null),
  };
}

/** Held buckets with any connection, lowest first. */
function heldBuckets(data: ConnectFillData): number[] {
  const set = new Set<number>();
  for (let k = 0; k + 3 < data.byHeld.length; k += 4) set.add(data.byHeld[k]!);
  return [...set].sort((a, b) => a - b);
}

function band(data: ConnectFillData, from: number, to: number): FillBand | null {
  const b = collect(data.byHeld, (h) => h >= from && h < to, null);
  if (b.count === 0) return null;
  return {
    heldFrom: from * data.heldBucketPorts,
    heldTo: to * data.heldBucketPorts,
    connections: b.count,
    p50Ms: binPercentileMs(b, 50)!,
    p99Ms: binPercentileMs(b, 99)!,
  };
}

/** The lowest and the highest quarter of the held span the run covered. */
function fillBands(data: ConnectFillData): { low: FillBand; high: FillBand } | null {
  const buckets = heldBuckets(data);
  if (buckets.length < 4) return null;
  const top = buckets[buckets.length - 1]! + 1;
  const quarter = Math.max(1, Math.floor(top / 4));
  const low = band(data, 0, quarter);
  const high = band(data, top - quarter, top);
  return low && high ? { low, high } : null;
}

function cliffOf(data: ConnectFillData, low: FillBand, high: FillBand, rangeSize: number | null): ConnectCliff | null {
  if (low.connections < CLIFF_MIN_CONNECTIONS || high.connections < CLIFF_MIN_CONNECTIONS) return null;
  if (high.p50Ms < low.p50Ms * CLIFF_MIN_SLOWDOWN || high.p50Ms - low.p50Ms < CLIFF_MIN_EXTRA_MS) return null;
  // Where it turned: the held bucket that best splits the connects into fast before and slow
  // from there on (fewest connects on the wrong side of the bands' geometric middle). A change
  // point, not a first crossing: a busy moment that slows a few connects early, or a cold start,
  // does not move it.
  const middle = Math.sqrt(low.p50Ms * high.p50Ms);
  const slowFrom = binOf(middle * 1000);
  const buckets = heldBuckets(data);
  const fast = new Map<number, number>();
  const slow = new Map<number, number>();
  for (let k = 0; k + 3 < data.byHeld.length; k += 4) {
    const into = data.byHeld[k + 2]! >= slowFrom ? slow : fast;
    into.set(data.byHeld[k]!, (into.get(data.byHeld[k]!) ?? 0) + data.byHeld[k + 3]!);
  }
  let fastAfter = 0;
  for (const b of buckets) fastAfter += fast.get(b) ?? 0;
  let slowBefore = 0;
  let best = Infinity;
  let at = buckets[buckets.length - 1]!;
  for (const b of buckets) {
    const wrong = slowBefore + fastAfter; // split just before bucket b
    if (wrong < best) {
      best = wrong;
      at = b;
    }
    slowBefore += slow.get(b) ?? 0;
    fastAfter -= fast.get(b) ?? 0;
  }
  const atHeld = at * data.heldBucketPorts;
  const atFill = rangeSize === null || rangeSize === 0 ? null : roundTo(atHeld / rangeSize, 3);
  if (atFill !== null && atFill < CLIFF_MIN_FILL) return null;
  const interval = data.heldMax.findIndex((h) => h >= atHeld);
  return {
    atHeld,
    atFill,
    atMs: interval < 0 ? null : interval * data.intervalMs,
    slowdownP50: roundTo(high.p50Ms / low.p50Ms, 1),
    slowdownP99: roundTo(high.p99Ms / low.p99Ms, 1),
  };
}

/** One row per held bucket with connections: latency by parity (null where that parity had none). */
export interface HeldRow {
  heldFrom: number;
  even: { connections: number; p50Ms: number | null; p99Ms: number | null };
  odd: { connections: number; p50Ms: number | null; p99Ms: number | null };
}

export function connectByHeld(data: ConnectFillData): HeldRow[] {
  return heldBuckets(data).map((b) => {
    const of = (parity: 0 | 1) => {
      const bins = collect(data.byHeld, (h) => h === b, parity);
      return { connections: bins.count, p50Ms: binPercentileMs(bins, 50), p99Ms: binPercentileMs(bins, 99) };
    };
    return { heldFrom: b * data.heldBucketPorts, even: of(0), odd: of(1) };
  });
}

/** Per interval (run clock): ports held and connect latency by parity (null: no connect of it). */
export interface ConnectOverTime {
  t: number[];
  held: number[];
  evenP50: Array<number | null>;
  evenP99: Array<number | null>;
  oddP50: Array<number | null>;
  oddP99: Array<number | null>;
}

export function connectOverTime(data: ConnectFillData): ConnectOverTime {
  const n = data.heldMax.length;
  const perInterval = (parity: 0 | 1) => {
    const bins = Array.from({ length: n }, () => emptyBins());
    for (let k = 0; k + 3 < data.byTime.length; k += 4) {
      if (data.byTime[k + 1] !== parity) continue;
      const b = bins[data.byTime[k]!];
      if (b === undefined) continue;
      b.bins[data.byTime[k + 2]!]! += data.byTime[k + 3]!;
      b.count += data.byTime[k + 3]!;
    }
    return bins;
  };
  const even = perInterval(0);
  const odd = perInterval(1);
  // Held ports carry over an interval with no connect: they are still held.
  let held = 0;
  return {
    t: Array.from({ length: n }, (_, i) => i * data.intervalMs),
    held: data.heldMax.map((h) => (h > 0 ? (held = h) : held)),
    evenP50: even.map((b) => binPercentileMs(b, 50)),
    evenP99: even.map((b) => binPercentileMs(b, 99)),
    oddP50: odd.map((b) => binPercentileMs(b, 50)),
    oddP99: odd.map((b) => binPercentileMs(b, 99)),
  };
}
