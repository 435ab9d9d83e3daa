// How soon client ports came back: a histogram of the port tracker's reuse intervals on
// logarithmic bins (a reuse after ~1 s under tcp_tw_reuse and one after 60 s of TIME_WAIT are
// decades apart).
import type { RunResult } from '../../result/model.js';
import { decodeHistogram } from '../../metrics/histogram-encoding.js';
import { roundUs } from '../../util/round.js';
import { extent, styleAt, type ChartSpec } from './chart-spec.js';
import { runLabels } from '../../result/provenance.js';

const BINS_PER_DECADE = 4;
/** Quantiles sampled to rebuild the distribution; with fewer recorded values every one is seen. */
const MAX_QUANTILES = 4000;

/** Counts per log bin, from the encoded microsecond histogram; bin edges are in ms. */
export async function reuseBins(encoded: string): Promise<Map<number, number>> {
  const bins = new Map<number, number>();
  let h;
  try {
    h = decodeHistogram(encoded);
  } catch {
    // A histogram that does not decode (a hand-edited file) shows no reuse, not a crashed report.
    return bins;
  }
  try {
    const n = h.totalCount;
    if (n === 0) return bins;
    // hdr-histogram-js's Histogram interface exposes no bucket iterator, so walk evenly spaced
    // quantiles, each standing for n/q recorded values.
    const q = Math.min(n, MAX_QUANTILES);
    for (let i = 0; i < q; i++) {
      const ms = h.getValueAtPercentile((100 * (i + 0.5)) / q) / 1000;
      const bin = Math.floor(Math.log10(Math.max(ms, 0.001)) * BINS_PER_DECADE);
      bins.set(bin, (bins.get(bin) ?? 0) + n / q);
    }
  } finally {
    h.destroy();
  }
  return bins;
}

/** Lower edge (ms) of a bin index. */
const edge = (bin: number): number => roundUs(10 ** (bin / BINS_PER_DECADE));

/**
 * Ticks at bin edges when decades alone would leave the axis with one or two labels: reuses all
 * within a decade (tcp_tw_reuse: about 1 s) drew one tick, "1.0 s", under bins whose other
 * edges had none. Every edge within a decade, every other within two; past that, decades.
 */
function binTicks(lo: number, hi: number): number[] | undefined {
  const span = hi - lo;
  if (span > 2 * BINS_PER_DECADE) return undefined;
  const step = span <= BINS_PER_DECADE ? 1 : 2;
  const ticks: number[] = [];
  for (let b = lo; b <= hi; b += step) ticks.push(edge(b));
  return ticks;
}

export async function reuseChart(results: RunResult[]): Promise<ChartSpec | null> {
  const all = await Promise.all(results.map((r) => reuseBins(r.histograms.portReuseInterval)));
  const used = all.map((bins, i) => ({ bins, result: results[i]! })).filter(({ bins }) => bins.size > 0);
  if (used.length === 0) return null;
  const indices = extent(used.flatMap(({ bins }) => [...bins.keys()]));
  const lo = indices.min;
  const hi = indices.max + 1;
  // Stepped lines need the right edge of the last bin too.
  const binIndices = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const labels = runLabels(results);
  return {
    id: 'reuse',
    title: 'How soon client ports were used again',
    description: 'Number of connections that got a client port used before, by the time since that port\'s previous connection (logarithmic bins).',
    notes: ['Each bin spans a quarter decade; the count is the number of reuses whose interval fell in it.'],
    kind: 'histogram',
    // The ticks carry their unit (ms below a second, s above), so the label names none.
    xLabel: 'interval since the port\'s previous use',
    yLabel: 'reuses',
    x: binIndices.map(edge),
    xTicks: binTicks(lo, hi),
    series: used.map(({ bins, result }, i) => ({
      label: results.length > 1 ? labels.get(result)! : 'port reuses',
      values: binIndices.map((b) => (b === hi ? 0 : Math.round(bins.get(b) ?? 0))),
      style: styleAt(i),
      points: false,
    })),
    markers: [],
  };
}
