// Shared wording for the comparison renderers, so terminal, Markdown and JUnit say the same.
// Every renderer shows, per figure, each side's median with its spread over the repeats
// (min–max, n) and why the figure was or was not called a regression: the p-value of the rank
// test, the range rule for counts, or plainly that a side is one run and so has no noise estimate.
import type { CompareReport, MetricComparison, ScenarioComparison } from './compare.js';
import type { Spread } from './stats.js';
import { decimalFormat } from '../util/format.js';

const number = decimalFormat(3);

export const value = (v: number | null): string => (v === null ? '–' : number(v));

export function change(m: MetricComparison): string {
  if (m.baseline === null || m.current === null) return '–';
  if (m.changePct === null) return m.current === m.baseline ? '0%' : m.current > m.baseline ? 'new' : 'gone';
  return `${m.changePct > 0 ? '+' : ''}${m.changePct.toFixed(1)}%`;
}

export const shortMetric = (metric: string): string => metric.replace(/^summary\./, '');

/**
 * The metric as a table row names it: a count compared per 1,000 units of work says so beside
 * its name, since its baseline and current columns then hold the scaled figures, not the runs'.
 * (JUnit keeps the bare name: a test's name must not change from run to run.)
 */
export const rowMetric = (m: Pick<MetricComparison, 'metric' | 'perThousand'>): string =>
  `${shortMetric(m.metric)}${m.perThousand ? ` per 1k ${m.perThousand === 'requests' ? 'req' : 'conn'}` : ''}`;

/**
 * A regression in one line (JUnit's failure message): what moved, each side with its range,
 * and the judge's own reason — which, for a new error code, is that a run saw it, not the
 * medians (those may both be 0).
 */
export function why(m: MetricComparison, tolerancePct: number): string {
  // A side without the figure (the ports never ran out there): the reason alone says it.
  if ((m.baseline === null || m.current === null) && m.reason !== '') return `${shortMetric(m.metric)}: ${m.reason}`;
  const direction = m.better === 'higher' ? 'fell' : 'rose';
  const changed = change(m);
  const moved = `${shortMetric(m.metric)} ${direction} from ${spread(m.baselineSpread, m.baseline)} to ${spread(m.currentSpread, m.current)}${changed === '0%' ? '' : ` (${changed})`}`;
  return m.reason !== '' ? `${moved}: ${m.reason}` : `${moved}, beyond the ${tolerancePct}% tolerance`;
}

/** One side's figure: the median, and with repeats its range, "12.3 (11–14)". */
export function spread(s: Spread | null, fallback: number | null): string {
  if (s === null) return value(fallback);
  if (s.n < 2 || s.min === s.max) return value(s.median);
  return `${value(s.median)} (${value(s.min)}–${value(s.max)})`;
}

/** How many runs each side has, "5 vs 5 runs" / "1 vs 5 runs". */
export const runs = (m: MetricComparison): string => `${m.baselineSpread?.n ?? 0} vs ${m.currentSpread?.n ?? 0} run(s)`;

/**
 * Why the figure got its status, in one phrase: the judge's reason (which carries the p-value
 * for rates and latencies), or for a quiet figure what it was held to. A rate or latency with a
 * single run on a side says so, with the tolerance that applied instead of a noise estimate.
 */
export function reasonOf(m: MetricComparison, s: ScenarioComparison, report: Pick<CompareReport, 'tolerancePct' | 'singleRunTolerancePct'>): string {
  const parts: string[] = [];
  const timing = m.kind === 'rate' || m.kind === 'latency';
  // Runs on each side, not the figure's values: a figure that did not happen (ports never ran
  // out: null) in every run of a 3-vs-3 set is no single run (an audit: "no noise estimate;
  // single-run tolerance 30% applies; in no run on either side").
  const single = s.baselineFiles.length < 2 || s.currentFiles.length < 2;
  if (m.status !== 'n/a' && timing && (single || !s.noiseEstimate)) {
    parts.push(`no noise estimate; single-run tolerance ${report.singleRunTolerancePct}% applies`);
    if (m.reason !== '' && !/no noise estimate/.test(m.reason)) parts.push(m.reason);
    else if (m.status !== 'unchanged') parts.push(m.status === 'regression' ? 'worse beyond it' : 'better beyond it');
  } else if (m.reason !== '') {
    parts.push(m.reason);
  } else if (m.status === 'unchanged') {
    parts.push(m.baseline === m.current ? 'the same' : `within the ${report.tolerancePct}% tolerance`);
  }
  if (m.pValue !== null && !parts.some((p) => /p = /.test(p))) parts.push(`p = ${m.pValue}`);
  if (m.perThousand !== null && m.perThousand !== undefined) parts.push(`per 1,000 ${m.perThousand} (the sides did different amounts of work)`);
  return parts.join('; ');
}
