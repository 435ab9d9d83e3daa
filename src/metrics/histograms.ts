// Latency histograms. HdrHistogram keeps every percentile to 3 significant digits in fixed
// memory, and its compressed encoding round-trips exactly, so results written by different
// processes (or hosts) can be merged later without losing the tails.
// From the package's files, not its index: the index also loads HistogramLogWriter, whose
// module body builds an Intl.NumberFormat — ICU's number data, ~9 ms of CPU (import + first
// histogram, 40 → 30 ms measured) in every process and engine thread that records a latency,
// for a log format twstorm never writes.
import { build } from 'hdr-histogram-js/dist/HistogramBuilder.js';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js/dist/encoding.js';
import { initWebAssembly } from 'hdr-histogram-js/dist/wasm/index.js';
import type { Histogram as HdrHistogram } from 'hdr-histogram-js'; // a type: erased, loads nothing
import { roundUs } from '../util/round.js';

export type Histogram = HdrHistogram;

let wasmReady = false;

/**
 * The WASM build records in ~12 ns against ~80 ns for the JS one (measured here, Node 20):
 * at tens of thousands of connections per second that is the difference between the driver
 * measuring the storm and being part of it. Falls back to JS where WASM cannot load.
 */
export async function initHistograms(): Promise<void> {
  if (wasmReady) return;
  try {
    await initWebAssembly();
    wasmReady = true;
  } catch {
    wasmReady = false;
  }
}

/** Values are microseconds; one hour is far past any connection lifetime we measure. */
export function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: wasmReady,
  });
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, wasmReady);
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


/** Summarise a microsecond histogram in milliseconds; an empty one gives nulls, not zeros. */
export function percentilesMs(h: Histogram): PercentilesMs {
  const n = h.totalCount;
  if (n === 0) {
    return { count: 0, min: null, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  }
  // getValueAtPercentile answers with the top of a bucket, which can lie above the exact
  // maximum; a percentile above the max would read as nonsense in a report.
  const at = (p: number): number => roundUs(Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000);
  return {
    count: n,
    min: roundUs(h.minNonZeroValue / 1000),
    mean: roundUs(h.mean / 1000),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: roundUs(h.maxValue / 1000),
  };
}
