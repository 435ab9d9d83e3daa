// Latency histograms. HdrHistogram keeps every percentile to 3 significant digits in fixed
// memory, and its slots add exactly, so what threads, processes or hosts recorded merges
// without losing the tails. Results store them compressed (histogram-encoding.ts); between an
// engine thread and its run they travel as plain slot counts (HistogramCounts), so a thread
// never loads the compressor.
// From the package's files, not its index: the index also loads HistogramLogWriter, whose
// module body builds an Intl.NumberFormat — ICU's number data, ~9 ms of CPU (import + first
// histogram, 40 → 30 ms measured) in every process and engine thread that records a latency,
// for a log format twstorm never writes.
import int32Module from 'hdr-histogram-js/dist/Int32Histogram.js';
import type { Histogram as HdrHistogram } from 'hdr-histogram-js'; // a type: erased, loads nothing
import { roundUs } from '../util/round.js';

export type Histogram = HdrHistogram;

// A CommonJS module: Node's ESM import hands over module.exports, whose `default` is the class.
const Int32Histogram = int32Module.default;
const TWO_32 = 2 ** 32;

/**
 * The package's JS histogram, finding a value's slot with integer operations. The package finds
 * it with Math.log2 and Math.pow, which V8 runs as calls into its C math library
 * (ieee754::pow was the first user-space symbol in `perf` of a client-RST storm). For a value
 * in [0, 2^32) — every latency under 71 minutes in µs — floor(log2(v)) is 31 - clz32(v) and
 * floor(v / 2^k) is v >>> k: the same slot (test/metrics/histograms.spec.ts checks it against
 * the package over edge values and a million random ones). Measured side by side in one
 * process: ~15 ns per record against the package's ~90, and its WASM build's ~20 (which also
 * costs ~35 ms of CPU to compile in each process). Only the recording path is replaced: every
 * other method is the package's own. Anything else (NaN, a negative, a value past 2^32) takes
 * the package's path and its errors.
 */
class ShiftIndexHistogram extends Int32Histogram {
  override countsArrayIndex(value: number): number {
    if (!(value >= 0 && value < TWO_32)) return super.countsArrayIndex(value);
    const top = 31 - Math.clz32(value) - this.subBucketHalfCountMagnitude - this.unitMagnitude;
    const bucket = top > 0 ? top : 0;
    const sub = value >>> (bucket + this.unitMagnitude);
    return ((bucket + 1) << this.subBucketHalfCountMagnitude) + sub - this.subBucketHalfCount;
  }
}

/** Values are microseconds; one hour is far past any connection lifetime we measure. */
export function newHistogram(): Histogram {
  const h = new ShiftIndexHistogram(1, 3_600_000_000, 3);
  // As the package's build() does: a value past an hour widens the histogram, never throws.
  h.autoResize = true;
  return h;
}

/**
 * A histogram's recorded slots as an engine thread posts them to its run: for each slot that
 * holds a count, its lowest value and the count, and the top slot's highest value. Added into a
 * histogram of the same layout, each value lands in its own slot again, so the sum is exact, and
 * it is what the compressed encoding gave: a decoded histogram's min is its lowest slot's lowest
 * value and its max the top slot's highest (JsHistogram.establishInternalTackingValues). Without
 * pako's deflate in the thread (~1.2 ms per histogram, measured here) or its ~190 KB in every
 * thread bundle.
 */
export interface HistogramCounts {
  values: number[];
  counts: number[];
  /** The top slot's highest value (0 when empty): the max a decoded histogram reports. */
  max: number;
}

type SlotHistogram = InstanceType<typeof Int32Histogram>;

export function histogramCounts(h: Histogram): HistogramCounts {
  const slots = h as unknown as SlotHistogram;
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < slots.countsArrayLength; i++) {
    const n = slots.getCountAtIndex(i);
    if (n > 0) {
      values.push(slots.valueFromIndex(i));
      counts.push(n);
    }
  }
  const top = values.length - 1;
  return { values, counts, max: top >= 0 ? slots.highestEquivalentValue(values[top]!) : 0 };
}

export function addCounts(into: Histogram, c: HistogramCounts): void {
  for (let i = 0; i < c.values.length; i++) into.recordValueWithCount(c.values[i]!, c.counts[i]!);
  // A count of 0 at the max moves the max (and widens the histogram if it must) and nothing else:
  // the min stays the lowest slot's lowest value even when one slot holds every value.
  if (c.values.length > 0) into.recordValueWithCount(c.max, 0);
}

/** A histogram holding `c`, for a caller that needs one (a closer thread's report). */
export function histogramFromCounts(c: HistogramCounts): Histogram {
  const h = newHistogram();
  addCounts(h, c);
  return h;
}

export interface PercentilesMs {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}


/** The package's ulp (dist/ulp.js): the spacing of doubles at x. */
const ulp = (x: number): number => Math.pow(2, Math.floor(Math.log2(x)) - 52);

/**
 * The value at each of `percentiles` (ascending, each in [0, 100]) and the mean, in one walk of
 * the slots up to the max: exactly what getValueAtPercentile (per percentile) and `mean` answer,
 * the same arithmetic in the same order. The package walks every slot from the bottom for each
 * percentile (a histogram to an hour has ~23,000) and its mean steps an iterator object through
 * them: 40 ms of a small run's result, mostly as cold code; one typed walk takes a few.
 */
export function walkPercentiles(h: Histogram, percentiles: readonly number[]): { values: number[]; mean: number } {
  const slots = h as unknown as SlotHistogram;
  const n = h.totalCount;
  const values: number[] = [];
  if (n === 0) return { values: percentiles.map(() => 0), mean: 0 };
  // getValueAtPercentile's count to reach: rounded up, without letting a 1-ulp error skip one.
  const wanted = percentiles.map((p) => {
    const fp = (Math.min(p, 100) / 100) * n;
    return Math.max(Math.ceil(fp - ulp(fp)), 1);
  });
  const last = Math.min(slots.countsArrayIndex(h.maxValue), slots.countsArrayLength - 1);
  let seen = 0;
  let sum = 0;
  let next = 0;
  for (let i = 0; i <= last; i++) {
    const count = slots.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    const value = slots.valueFromIndex(i);
    sum += slots.medianEquivalentValue(value) * count;
    while (next < wanted.length && seen >= wanted[next]!) {
      // p0 is the bottom of the lowest slot; every other percentile the top of its slot.
      values[next] = percentiles[next] === 0 ? slots.lowestEquivalentValue(value) : slots.highestEquivalentValue(value);
      next++;
    }
  }
  while (values.length < percentiles.length) values.push(0);
  return { values, mean: sum / n };
}

/**
 * The mean number of whole `unit`s in the recorded values: Σ count × floor(value ÷ unit) ÷ n,
 * each slot read at its lowest value (a slot that holds a multiple of `unit` is not counted
 * past it). For connections' lives and a port's turn: how many turns each outlived. One walk of
 * the slots, as walkPercentiles does; the package has no such query.
 */
export function meanWholeUnits(h: Histogram, unit: number): number {
  const slots = h as unknown as SlotHistogram;
  const n = h.totalCount;
  if (n === 0 || !(unit > 0)) return 0;
  const last = Math.min(slots.countsArrayIndex(h.maxValue), slots.countsArrayLength - 1);
  let units = 0;
  for (let i = 0; i <= last; i++) {
    const count = slots.getCountAtIndex(i);
    if (count !== 0) units += count * Math.floor(slots.lowestEquivalentValue(slots.valueFromIndex(i)) / unit);
  }
  return units / n;
}

const SUMMARY_PERCENTILES = [50, 90, 99, 99.9] as const;

/** Summarise a microsecond histogram in milliseconds; an empty one gives nulls, not zeros. */
export function percentilesMs(h: Histogram): PercentilesMs {
  const n = h.totalCount;
  if (n === 0) {
    return { count: 0, min: null, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  }
  const { values, mean } = walkPercentiles(h, SUMMARY_PERCENTILES);
  // A percentile answers with the top of a bucket, which can lie above the exact maximum; a
  // percentile above the max would read as nonsense in a report.
  const at = (i: number): number => roundUs(Math.min(values[i]!, h.maxValue) / 1000);
  return {
    count: n,
    min: roundUs(h.minNonZeroValue / 1000),
    mean: roundUs(mean / 1000),
    p50: at(0),
    p90: at(1),
    p99: at(2),
    p999: at(3),
    max: roundUs(h.maxValue / 1000),
  };
}
