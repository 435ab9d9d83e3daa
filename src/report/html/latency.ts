// Latency as HdrHistogram shows it: value against percentile, with the percentile axis spread
// as 1/(1-p) on a log scale so 90%, 99%, 99.9% … get equal room and the tail is visible.
// Decoded from the encoded histograms in the result (exact), not from the summary's few points.
import type { RunResult } from '../../result/model.js';
import { walkPercentiles, type PercentilesMs } from '../../metrics/histograms.js';
import { decodeHistogram } from '../../metrics/histogram-encoding.js';
import { alignTables, extent, styleAt, type ChartSpec } from './chart-spec.js';
import { runLabels } from '../../result/provenance.js';
import { roundTo, roundUs } from '../../util/round.js';

export const PHASES = [
  { key: 'connect', label: 'connect' },
  { key: 'firstByte', label: 'first byte' },
  { key: 'total', label: 'total' },
  { key: 'close', label: 'close' },
  { key: 'life', label: 'life' },
] as const;

export type PhaseKey = (typeof PHASES)[number]['key'];

/**
 * The phases a run records. HTTP runs record no close latency: undici closes its sockets itself,
 * so there is no close() call of the driver's to time, and an empty curve would only mislead.
 * `life` (start to closed: how long a connection held its client port) is recorded by the tcp
 * drivers since latencyMs.life exists; older results and the undici clients have none.
 */
export function phasesOf(result: RunResult): ReadonlyArray<(typeof PHASES)[number]> {
  return PHASES.filter((p) =>
    p.key === 'close' ? result.scenario.protocol !== 'http' : p.key === 'life' ? result.histograms.life !== undefined && result.summary.latencyMs.life !== undefined : true,
  );
}

export const HTTP_NO_CLOSE_LATENCY =
  'HTTP runs have no close latency: undici closes its connections itself, so the driver has no close() to time.';

/** Points per decade of 1/(1-p): enough for a smooth curve, few enough to keep the page small. */
const STEPS_PER_DECADE = 12;

export interface Curve {
  /** 1/(1-p) for each point. */
  x: number[];
  /** Milliseconds at that percentile. */
  ms: number[];
}

/**
 * The percentile curve of one encoded microsecond histogram, up to its last recorded value.
 * A histogram that does not decode (a hand-edited file) gives no curve, not a crashed report.
 */
export async function percentileCurve(encoded: string): Promise<Curve> {
  let h;
  try {
    h = decodeHistogram(encoded);
  } catch {
    return { x: [], ms: [] };
  }
  try {
    const n = h.totalCount;
    if (n === 0) return { x: [], ms: [] };
    // The last point is at p = 1 - 1/n: beyond it the histogram has nothing more to say.
    const top = Math.log10(Math.max(n, 10));
    const x: number[] = [];
    const percentiles: number[] = [];
    for (let k = 0; k <= Math.ceil(top * STEPS_PER_DECADE); k++) {
      const inv = Math.min(10 ** (k / STEPS_PER_DECADE), 10 ** top);
      x.push(roundTo(inv, 4));
      percentiles.push(100 * (1 - 1 / inv));
      if (inv >= 10 ** top) break;
    }
    return { x, ms: walkPercentiles(h, percentiles).values.map((v) => roundUs(v / 1000)) };
  } finally {
    h.destroy();
  }
}


/**
 * Two curves closer than this at every percentile are one line on a 280 px chart: 1% of the
 * value (under 3 px at full height) or 0.01 ms, whichever is larger.
 */
const SAME_LINE = { relative: 0.01, absoluteMs: 0.01 };

/** The largest gap between two curves, or null when they are not one line on the chart. */
function lineGap(a: Curve, b: Curve): { ms: number; pct: number } | null {
  if (a.x.length === 0 || a.x.length !== b.x.length) return null;
  let ms = 0;
  let pct = 0;
  for (let i = 0; i < a.x.length; i++) {
    if (a.x[i] !== b.x[i]) return null;
    const d = Math.abs(a.ms[i]! - b.ms[i]!);
    const top = Math.max(a.ms[i]!, b.ms[i]!);
    if (d > Math.max(SAME_LINE.absoluteMs, SAME_LINE.relative * top)) return null;
    ms = Math.max(ms, d);
    if (top > 0) pct = Math.max(pct, (100 * d) / top);
  }
  return { ms, pct };
}

/** The sentence the page prints when first byte and total are drawn as one line. */
export function sameLineNote(gap: { ms: number; pct: number }): string {
  if (gap.ms === 0) {
    return 'First byte and total are equal at every percentile (the whole response arrived with its first byte), so they are drawn as one line, "first byte = total"; the table has both.';
  }
  return `First byte and total differ by at most ${roundTo(gap.ms, 3)} ms (${roundTo(gap.pct, 1)}%) at any percentile, less than a line's width on the chart, so they are drawn as one line, "first byte ≈ total"; the table has both.`;
}

const LIFE_TITLE = 'Connection life by percentile';

export interface LatencyCharts {
  charts: ChartSpec[];
  /** Sentences the page prints above the charts (why two phases share one line). */
  notes: string[];
}

/**
 * One chart with the four latency phases for a single run, and beside it one of its connections'
 * life (on one linear axis, a 20 ms close delay in the life curve would flatten a 0.1 ms connect
 * to the floor); one chart per phase, variants overlaid, for a comparison (four phases × N
 * variants on one chart would be unreadable). Where first byte
 * and total are the same curve (one small response read at once), two lines would be drawn
 * exactly on top of each other and the legend would promise a line that cannot be seen: they
 * become one, and the page says so.
 */
export async function latencyCharts(results: RunResult[]): Promise<LatencyCharts> {
  const labels = runLabels(results);
  const curves = await Promise.all(
    results.map(async (r) => {
      const entries = await Promise.all(phasesOf(r).map(async (p) => [p.key, await percentileCurve(r.histograms[p.key] ?? '')] as const));
      return new Map<PhaseKey, Curve>(entries);
    }),
  );
  const gaps = curves.map((c) => (c.has('firstByte') && c.has('total') ? lineGap(c.get('firstByte')!, c.get('total')!) : null));
  const merged = gaps.every((g) => g !== null);
  const gap = { ms: Math.max(0, extent(gaps.map((g) => g?.ms ?? 0)).max), pct: Math.max(0, extent(gaps.map((g) => g?.pct ?? 0)).max) };
  const mergedLabel = gap.ms === 0 ? 'first byte = total' : 'first byte ≈ total';
  const label = (key: PhaseKey): string => (merged && key === 'firstByte' ? mergedLabel : PHASES.find((p) => p.key === key)!.label);
  const shown = (r: RunResult): PhaseKey[] => phasesOf(r).map((p) => p.key).filter((k) => !(merged && k === 'total'));
  const groups: Array<{ id: string; title: string; parts: Array<{ label: string; curve: Curve }> }> =
    results.length === 1
      ? [
          { id: 'latency', title: 'Latency by percentile', parts: shown(results[0]!).filter((k) => k !== 'life').map((k) => ({ label: label(k), curve: curves[0]!.get(k)! })) },
          ...(shown(results[0]!).includes('life') ? [{ id: 'latency-life', title: LIFE_TITLE, parts: [{ label: label('life'), curve: curves[0]!.get('life')! }] }] : []),
        ]
      : PHASES.filter((p) => !(merged && p.key === 'total')).map((p) => ({
          id: `latency-${p.key}`,
          title: p.key === 'life' ? LIFE_TITLE : `${label(p.key)} latency by percentile`,
          parts: results.flatMap((r, i) => (shown(r).includes(p.key) ? [{ label: labels.get(r)!, curve: curves[i]!.get(p.key)! }] : [])),
        }));
  const charts: ChartSpec[] = [];
  for (const group of groups) {
    const kept = group.parts.filter(({ curve }) => curve.x.length > 0);
    if (kept.length === 0) continue;
    const aligned = alignTables(kept.map(({ curve }) => ({ x: curve.x, columns: [curve.ms] })));
    charts.push({
      id: group.id,
      title: group.title,
      description: `${group.id === 'latency-life' ? 'Each connection\'s life, from its start until it was closed (how long it held its client port),' : 'Latency'} in milliseconds at each percentile; the percentile axis is logarithmic in 1/(1-p), so the tail gets as much room as the median.`,
      notes: [],
      kind: 'percentile',
      xLabel: 'percentile',
      yLabel: 'ms',
      x: aligned.x,
      series: kept.map((part, i) => ({ label: part.label, values: aligned.columns[i]!, style: styleAt(i), points: false })),
      markers: [],
    });
  }
  return { charts, notes: merged ? [sameLineNote(gap)] : [] };
}

export interface PercentileRow {
  run: string;
  phase: string;
  figures: PercentilesMs;
}

export function percentileRows(results: RunResult[]): PercentileRow[] {
  const labels = runLabels(results);
  return results.flatMap((r) =>
    phasesOf(r).map((p) => ({ run: labels.get(r)!, phase: p.label, figures: r.summary.latencyMs[p.key]! })),
  );
}
