// Lines two results up, figure by figure. A change counts as a regression only when it goes
// the wrong way by more than the tolerance (relative to the baseline); improvements are
// reported but never fail the gate. Latency gets an absolute floor as well, because a
// sub-millisecond percentile on loopback moves by tens of percent between identical runs.
import type { RunResult } from '../metrics/result.js';
import { readFigure, resolvePath } from '../thresholds/index.js';
import { metricsFor, type Better } from './metrics.js';
import type { Pairing } from './load.js';
import { environmentNotes } from './noise.js';

export type Status = 'regression' | 'improvement' | 'unchanged' | 'n/a';

export interface MetricComparison {
  metric: string;
  better: Better;
  baseline: number | null;
  current: number | null;
  /** Relative change in percent; null when the baseline is 0 or a side has no value. */
  changePct: number | null;
  status: Status;
}

export interface ScenarioComparison {
  scenario: string;
  baselineFile: string;
  currentFile: string;
  metrics: MetricComparison[];
  /** Differences in how the two runs were made, which make the numbers less comparable. */
  noise: string[];
  regressions: number;
}

export interface CompareReport {
  baseline: string;
  current: string;
  tolerancePct: number;
  latencyFloorMs: number;
  scenarios: ScenarioComparison[];
  missing: string[];
  added: string[];
  regressions: number;
  /** True when the gate fails: a regression, or a baseline scenario with no current result. */
  failed: boolean;
}

export interface CompareOptions {
  tolerancePct: number;
  latencyFloorMs: number;
  metrics: string[];
}

export function compareResults(baseline: string, current: string, pairing: Pairing, options: CompareOptions): CompareReport {
  const scenarios = pairing.pairs.map(({ name, baseline: b, current: c }) => {
    const metrics = metricsFor(b.result, c.result, options.metrics).map((spec) => {
      const before = figure(b.result, spec.path);
      const after = figure(c.result, spec.path);
      return compareFigure(spec.path, spec.better, before, after, options);
    });
    const regressions = metrics.filter((m) => m.status === 'regression').length;
    return { scenario: name, baselineFile: b.file, currentFile: c.file, metrics, noise: environmentNotes(b.result, c.result), regressions };
  });
  const regressions = scenarios.reduce((n, s) => n + s.regressions, 0);
  return {
    baseline,
    current,
    tolerancePct: options.tolerancePct,
    latencyFloorMs: options.latencyFloorMs,
    scenarios,
    missing: pairing.missing,
    added: pairing.added,
    regressions,
    failed: regressions > 0 || pairing.missing.length > 0,
  };
}

function figure(result: RunResult, path: string): number | null {
  if (path === 'summary.errors.total') return Object.values(result.summary.errors).reduce((a, b) => a + b, 0);
  const resolved = resolvePath(path);
  return resolved.ok ? readFigure(result.summary, resolved) : null;
}

export function compareFigure(
  metric: string,
  better: Better,
  baseline: number | null,
  current: number | null,
  options: Pick<CompareOptions, 'tolerancePct' | 'latencyFloorMs'>,
): MetricComparison {
  if (baseline === null || current === null) return { metric, better, baseline, current, changePct: null, status: 'n/a' };
  const delta = current - baseline;
  const changePct = baseline === 0 ? null : (delta / Math.abs(baseline)) * 100;
  const worse = better === 'higher' ? delta < 0 : delta > 0;
  // From zero any increase is infinite in percent: an error code that did not occur before
  // and does now is a regression whatever the tolerance.
  const beyondTolerance = changePct === null ? delta !== 0 : Math.abs(changePct) > options.tolerancePct;
  const belowFloor = metric.startsWith('summary.latencyMs.') && Math.abs(delta) < options.latencyFloorMs;
  let status: Status = 'unchanged';
  if (beyondTolerance && !belowFloor) status = worse ? 'regression' : 'improvement';
  return { metric, better, baseline, current, changePct: changePct === null ? null : Math.round(changePct * 10) / 10, status };
}
