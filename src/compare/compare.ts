// Lines two result sets up, figure by figure. A side is one run or the repeats of one
// (`run --repeat N`). Counts are judged as counts; rates and latencies against the noise
// the repeats show (see metrics.ts for the kinds, stats.ts for the test, and
// docs/ci-and-planning.md for the rule and its measured false-positive rate):
//   regression = statistically clear (one-sided Mann–Whitney p ≤ 1 − confidence over the
//   repeats) AND worse by more than the tolerance — the medians, and with repeats on both
//   sides every current run against every baseline run (the nearest two), so a drift of the
//   runner's load between two sets is not a regression.
// With a single run on a side there is no noise estimate: the comparison says so and a wider
// tolerance applies to rates and latencies. Improvements are reported but never fail the gate.
import type { RunResult } from '../result/model.js';
import { figureAt } from '../result/figure-paths.js';
import { anchorToLoad } from './load-anchor.js';
import { NULL_IS_NEVER, metricsFor, specOf, workDiffers, workOf, workUnitOf, type Better, type MetricKind, type MetricSpec } from './metrics.js';
import type { WorkUnit } from '../scenario/work.js';
import type { LoadedResult, Pairing } from './load.js';
import type { SetPairing } from './sets.js';
import { setNotes } from './noise.js';
import { mannWhitneyGreaterP, smallestP, spreadOf, type Spread } from './stats.js';
import { roundTo } from '../util/round.js';

export type Status = 'regression' | 'improvement' | 'unchanged' | 'n/a';

export interface MetricComparison {
  metric: string;
  better: Better;
  kind: MetricKind;
  /** The baseline's figure: its median over the repeats (the value itself for one run). */
  baseline: number | null;
  current: number | null;
  /** Relative change of the medians in percent; null when the baseline is 0 or a side has no value. */
  changePct: number | null;
  status: Status;
  /** Median, min and max over each side's repeats (n = 1 for a single run). */
  baselineSpread: Spread | null;
  currentSpread: Spread | null;
  /** One-sided Mann–Whitney p-value in the direction of the change (null without repeats on both sides, or for counts). */
  pValue: number | null;
  /** The figures were compared per 1,000 units of work (the sides did different amounts of work; see perThousand for the unit). */
  perThousandConnections: boolean;
  /** The unit of that work: requests sent when both sides are HTTP, connections attempted otherwise (metrics.ts, rankRule). */
  perThousand: WorkUnit | null;
  /** Why the status is what it is, in one phrase (empty when unchanged and unremarkable). */
  reason: string;
}

export interface ScenarioComparison {
  scenario: string;
  /** The first file of each side (kept for renderers that show one). */
  baselineFile: string;
  currentFile: string;
  baselineFiles: string[];
  currentFiles: string[];
  /** True when both sides have repeats, so rates and latencies were judged against their noise. */
  noiseEstimate: boolean;
  metrics: MetricComparison[];
  /** Differences in how the runs were made, which make the numbers less comparable. */
  noise: string[];
  regressions: number;
}

export interface CompareReport {
  baseline: string;
  current: string;
  tolerancePct: number;
  /** The tolerance rates and latencies get when a side has a single run (no noise estimate). */
  singleRunTolerancePct: number;
  /** Confidence level of the rank test, e.g. 0.99. */
  confidence: number;
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
  /** Default 0.99. */
  confidence?: number;
  /** Default 30 (%). */
  singleRunTolerancePct?: number;
}

export const DEFAULT_CONFIDENCE = 0.99;
export const DEFAULT_TOLERANCE_PCT = 10;
export const DEFAULT_SINGLE_RUN_TOLERANCE_PCT = 30;

type Judging = Required<Pick<CompareOptions, 'tolerancePct' | 'latencyFloorMs' | 'confidence' | 'singleRunTolerancePct'>>;

const asList = (side: LoadedResult | LoadedResult[]): LoadedResult[] => (Array.isArray(side) ? side : [side]);

export function compareResults(baseline: string, current: string, pairing: Pairing | SetPairing, options: CompareOptions): CompareReport {
  const judging: Judging = {
    tolerancePct: options.tolerancePct,
    latencyFloorMs: options.latencyFloorMs,
    confidence: options.confidence ?? DEFAULT_CONFIDENCE,
    // Never narrower than the tolerance itself: without noise the bar can only be higher.
    singleRunTolerancePct: Math.max(options.singleRunTolerancePct ?? DEFAULT_SINGLE_RUN_TOLERANCE_PCT, options.tolerancePct),
  };
  const scenarios = pairing.pairs.map(({ name, baseline: bSide, current: cSide }) => {
    const b = asList(bSide);
    const c = asList(cSide);
    return compareSets(name, b, c, options.metrics, judging);
  });
  const regressions = scenarios.reduce((n, s) => n + s.regressions, 0);
  return {
    baseline,
    current,
    tolerancePct: judging.tolerancePct,
    singleRunTolerancePct: judging.singleRunTolerancePct,
    confidence: judging.confidence,
    latencyFloorMs: judging.latencyFloorMs,
    scenarios,
    missing: pairing.missing,
    added: pairing.added,
    regressions,
    failed: regressions > 0 || pairing.missing.length > 0,
  };
}

function compareSets(name: string, b: LoadedResult[], c: LoadedResult[], selectors: string[], judging: Judging): ScenarioComparison {
  const bResults = b.map((x) => x.result);
  const cResults = c.map((x) => x.result);
  const noiseEstimate = b.length >= 2 && c.length >= 2;
  const unit = workUnitOf([...bResults, ...cResults]);
  const work = (rs: RunResult[]): number[] => rs.map((r) => workOf(r, unit));
  const judged = metricsFor(bResults, cResults, selectors).map((spec) =>
    judgeSets(spec, bResults, cResults, work(bResults), work(cResults), unit, judging),
  );
  const judgeOne = (spec: MetricSpec): MetricComparison => judgeSets(spec, bResults, cResults, work(bResults), work(cResults), unit, judging);
  // With no noise estimate there is nothing to tell the runner's load from the code by.
  const metrics = noiseEstimate ? anchorToLoad(judged, bResults, cResults, judgeOne) : judged;
  const notes = setNotes(bResults, cResults);
  if (!noiseEstimate) {
    notes.push(
      `no noise estimate: ${b.length === 1 ? 'the baseline' : 'the current side'} is a single run, so rates and latencies need a change beyond ` +
        `${judging.singleRunTolerancePct}% to count (run both sides with --repeat 5 to judge them against their noise)`,
    );
  } else {
    const floor = smallestP(b.length, c.length);
    if (floor > 1 - judging.confidence) {
      notes.push(
        `${b.length} against ${c.length} repeats cannot reach ${pct(judging.confidence)} confidence (the smallest p-value is ${floor.toFixed(3)}): ` +
          'rates and latencies can never count as regressions; use more repeats or a lower --confidence',
      );
    }
  }
  const regressions = metrics.filter((m) => m.status === 'regression').length;
  return {
    scenario: name,
    baselineFile: b[0]!.file,
    currentFile: c[0]!.file,
    baselineFiles: b.map((x) => x.file),
    currentFiles: c.map((x) => x.file),
    noiseEstimate,
    metrics,
    noise: notes,
    regressions,
  };
}



function judgeSets(
  spec: MetricSpec,
  b: RunResult[],
  c: RunResult[],
  workB: number[],
  workC: number[],
  unit: WorkUnit,
  judging: Judging,
): MetricComparison {
  const bRaw = b.map((r) => figureAt(r, spec.path));
  const cRaw = c.map((r) => figureAt(r, spec.path));
  if (NULL_IS_NEVER.test(spec.path)) {
    const happened = (values: Array<number | null>): number => values.filter((v) => v !== null).length;
    const [inB, inC] = [happened(bRaw), happened(cRaw)];
    const judged = judge(spec, bRaw.filter((v) => v !== null), cRaw.filter((v) => v !== null), judging);
    if (inB === 0 && inC === 0) return { ...judged, status: 'unchanged', reason: 'in no run on either side' };
    if (inB === 0 && sometimes(b.length, c.length, inC)) return { ...judged, status: 'unchanged', reason: sometimesReason(`in ${inC} of ${c.length} current runs`) };
    if (inB === 0) return { ...judged, status: 'regression', reason: `new: in ${inC} of ${c.length} run(s), in no baseline run` };
    if (inC === 0) return { ...judged, status: 'improvement', reason: 'gone: in no current run' };
    // In every current run where only some baseline runs: more often, whenever it came.
    if (inC === c.length && inB < b.length) return { ...judged, status: 'regression', reason: `in every current run (${inC}), in ${inB} of ${b.length} baseline runs` };
    if (inB === b.length && inC < c.length) return { ...judged, status: 'improvement', reason: `in ${inC} of ${c.length} current runs, in every baseline run (${inB})` };
    return judged;
  }
  // Per 1,000 units of work when the sides did clearly different amounts (the rule every
  // ranking shares: metrics.ts, rankRule).
  const medianWork = (w: number[]): number => spreadOf(w)?.median ?? 0;
  const perThousand = spec.scalesWithWork && workDiffers([medianWork(workB), medianWork(workC)]);
  const scale = (values: Array<number | null>, work: number[]): number[] =>
    values.flatMap((v, i) => (v === null ? [] : [perThousand ? (v * 1000) / Math.max(1, work[i]!) : v]));
  return judge(spec, scale(bRaw, workB), scale(cRaw, workC), judging, perThousand ? unit : null);
}

/**
 * One figure, one value per run on each side. Exported for tests and for callers that
 * already hold the numbers.
 */
export function judge(spec: MetricSpec, bValues: number[], cValues: number[], judging: Judging, perThousand: WorkUnit | null = null): MetricComparison {
  const baselineSpread = spreadOf(bValues);
  const currentSpread = spreadOf(cValues);
  const base: Omit<MetricComparison, 'status' | 'reason' | 'changePct' | 'pValue'> = {
    metric: spec.path,
    better: spec.better,
    kind: spec.kind,
    baseline: baselineSpread ? round(baselineSpread.median) : null,
    current: currentSpread ? round(currentSpread.median) : null,
    baselineSpread,
    currentSpread,
    perThousandConnections: perThousand !== null,
    perThousand,
  };
  if (!baselineSpread || !currentSpread) return { ...base, changePct: null, pValue: null, status: 'n/a', reason: 'not in both results' };
  const delta = currentSpread.median - baselineSpread.median;
  const changePct = baselineSpread.median === 0 ? null : (delta / Math.abs(baselineSpread.median)) * 100;
  const rounded = changePct === null ? null : roundTo(changePct, 1);
  const worse = spec.better === 'higher' ? delta < 0 : delta > 0;
  const done = (status: Status, reason: string, pValue: number | null = null): MetricComparison => ({ ...base, changePct: rounded, pValue, status, reason });

  if (spec.kind === 'count') return judgeCount(spec, bValues, cValues, delta, changePct, worse, judging, done);

  if (spec.kind === 'latency' && Math.abs(delta) < judging.latencyFloorMs) return done('unchanged', `below the ${judging.latencyFloorMs} ms floor`);
  const noise = bValues.length >= 2 && cValues.length >= 2;
  const tolerance = noise ? judging.tolerancePct : judging.singleRunTolerancePct;
  const beyond = changePct === null ? delta !== 0 : Math.abs(changePct) > tolerance;
  if (!beyond) return done('unchanged', '');
  const higher = delta > 0;
  if (!noise) {
    // One side repeated: its runs show how far identical runs wander, so the single run on the
    // other side must fall beyond the nearest of them, not merely away from their median.
    const repeated = bValues.length >= 2 ? 'baseline' : cValues.length >= 2 ? 'current' : null;
    if (repeated !== null) {
      const runs = repeated === 'baseline' ? bValues.length : cValues.length;
      const outside = gapBeyond(bValues, cValues, higher);
      if (outside <= tolerance) return done('unchanged', `within ${tolerance}% of the nearest of the ${runs} ${repeated} runs`);
      if (spec.kind === 'latency' && nearestGap(bValues, cValues, higher) < judging.latencyFloorMs) {
        return done('unchanged', `the nearest of the ${runs} ${repeated} runs is within the ${judging.latencyFloorMs} ms floor`);
      }
      return done(worse ? 'regression' : 'improvement', `more than ${tolerance}% beyond every one of the ${runs} ${repeated} runs`);
    }
    return done(worse ? 'regression' : 'improvement', `beyond the ${tolerance}% single-run tolerance (no noise estimate)`);
  }
  // One-sided in the direction the medians moved: "is the current side really higher?".
  const p = higher ? mannWhitneyGreaterP(cValues, bValues) : mannWhitneyGreaterP(bValues, cValues);
  const alpha = 1 - judging.confidence;
  if (p > alpha + 1e-12) {
    // Every run apart, and still no finding: the repeats cannot reach the confidence at all. Said
    // so, not "within the noise" (an audit: conn/s -64 %, every run apart, 3 against 3).
    const floor = smallestP(bValues.length, cValues.length);
    if (p <= floor + 1e-12) {
      return done('unchanged', `every run apart, but ${bValues.length} against ${cValues.length} repeats cannot reach ${pct(judging.confidence)} confidence (p = ${p.toFixed(3)} at best): use more repeats or a lower --confidence`, round4(p));
    }
    return done('unchanged', `within the noise (p = ${p.toFixed(3)} > ${alpha.toFixed(3)})`, round4(p));
  }
  // The size of the change, measured where the sides come closest: the current run nearest the
  // baseline against the baseline run nearest the current side. Why not the medians alone: the
  // rank test assumes each repeat is an independent draw of the runner's noise, but a shared
  // runner's load drifts over minutes (another job's test suite starts), so the 5 repeats of one
  // set share one stretch of it and two sets of identical runs can stand apart as a whole
  // (measured: requests/s -27 % between consecutive identical sets, p = 0.008). A drift moves a
  // set; it rarely moves the set's best run beyond the other set's worst by the tolerance.
  const gapPct = gapBeyond(bValues, cValues, higher);
  if (gapPct <= tolerance) {
    return done('unchanged', `clear in rank (p = ${p.toFixed(3)}) but the nearest runs are within ${tolerance}% of each other`, round4(p));
  }
  // The floor holds where the sides come closest too, not only between the medians: the fastest
  // loopback request (~0.1 ms) doubled under a neighbour's load in identical sets, and its nearest
  // runs, 19 µs apart, were "15 % apart" (measured: 0.089–0.125 ms against 0.144–0.381 ms).
  if (spec.kind === 'latency' && nearestGap(bValues, cValues, higher) < judging.latencyFloorMs) {
    return done('unchanged', `clear in rank (p = ${p.toFixed(3)}) but the nearest runs are within the ${judging.latencyFloorMs} ms floor`, round4(p));
  }
  return done(
    worse ? 'regression' : 'improvement',
    `every current run more than ${tolerance}% ${higher ? 'above' : 'below'} every baseline run (p = ${p.toFixed(3)})`,
    round4(p),
  );
}

/**
 * How far apart, in percent of the baseline's nearest run, the two sides' nearest runs are in
 * the direction of the change: (lowest current − highest baseline) ÷ highest baseline for a
 * rise, (lowest baseline − highest current) ÷ lowest baseline for a fall. Negative when the
 * ranges overlap; Infinity when the baseline's nearest run is 0 and the sides do not touch.
 */
export function gapBeyond(bValues: readonly number[], cValues: readonly number[], higher: boolean): number {
  const gap = nearestGap(bValues, cValues, higher);
  const reference = Math.abs(higher ? Math.max(...bValues) : Math.min(...bValues));
  if (reference === 0) return gap > 0 ? Infinity : gap < 0 ? -Infinity : 0;
  return (gap / reference) * 100;
}

/** How far apart the sides' nearest runs are, in the figure's own unit, in the direction of the change (negative: they overlap). */
function nearestGap(bValues: readonly number[], cValues: readonly number[], higher: boolean): number {
  return higher ? Math.min(...cValues) - Math.max(...bValues) : Math.min(...bValues) - Math.max(...cValues);
}

function judgeCount(
  spec: MetricSpec,
  bValues: number[],
  cValues: number[],
  delta: number,
  changePct: number | null,
  worse: boolean,
  judging: Judging,
  done: (status: Status, reason: string) => MetricComparison,
): MetricComparison {
  const bMin = Math.min(...bValues);
  const bMax = Math.max(...bValues);
  const cMin = Math.min(...cValues);
  const cMax = Math.max(...cValues);
  // The outcomes that are never noise: a restart that fails where it used to succeed, and an
  // error code (client or server) that no baseline run ever saw. One occurrence is a finding.
  if (spec.path === 'summary.restart.ok') {
    if (bMin === 1 && cMin === 0) return done('regression', `the restart failed in ${cValues.filter((v) => v === 0).length} of ${cValues.length} run(s)`);
    if (bMax === 0 && cMax === 1 && cMin === 1) return done('improvement', 'the restart now succeeds');
  }
  const outcome = /^summary\.(errors|serverErrors)\./.test(spec.path);
  if (outcome && bMax === 0 && cMax > 0) {
    const saw = cValues.filter((v) => v > 0).length;
    if (sometimes(bValues.length, cValues.length, saw)) return done('unchanged', sometimesReason(`${saw} of ${cValues.length} current runs saw it`));
    return done('regression', `new: ${saw} of ${cValues.length} run(s) saw it, no baseline run did`);
  }
  if (outcome && cMax === 0 && bMax > 0) return done('improvement', 'gone: no current run saw it');
  const beyond = changePct === null ? delta !== 0 : Math.abs(changePct) > judging.tolerancePct;
  if (!beyond) return done('unchanged', '');
  // Beyond the tolerance, and outside what the baseline's own repeats ranged over: a count
  // that wanders between identical runs (TIME_WAIT peaks sampled once a second) must leave
  // its range to be a finding.
  const higher = delta > 0;
  const clear = higher ? cMin > bMax : cMax < bMin;
  if (!clear) return done('unchanged', 'within the range the runs showed');
  // With repeats on both sides, apart by more than the baseline's runs differ among themselves.
  // A count a race decides (TIME_WAIT per side when both FINs cross, simultaneous-close) wanders
  // as widely as a rate, and 3 current runs all beyond 3 baseline runs happen by chance once in
  // 20 per direction: an audit's identical 3-run sets failed 8.7 % of the time. A count the code
  // decides (TIME_WAIT moved to the other side: 5,000 to 0) stands apart by far more than its
  // few-socket sampling spread, so it still counts from 3 runs.
  const spread = bMax - bMin;
  const gap = higher ? cMin - bMax : bMin - cMax;
  if (bValues.length >= 2 && cValues.length >= 2 && gap <= spread) {
    return done('unchanged', `${higher ? 'above' : 'below'} every baseline run, but by ${round(gap)}, no more than the baseline runs differ among themselves (${round(spread)})`);
  }
  return done(worse ? 'regression' : 'improvement', higher ? 'every current run above every baseline run' : 'every current run below every baseline run');
}

/**
 * Something no baseline run had (an error code, the ports running out) that only some of the
 * current runs have, with repeats on both sides. Not a finding: a code can be what a busy
 * runner's timing decides, not the code under test. Measured: 15 identical 3-run sets of
 * tw-reuse (500 ports, 400 conn/s, tcp_tw_reuse=1: ports come back a second after their close)
 * — one run, its connections lasting up to 0.6 s under a neighbour's load, held its ports long
 * enough to run out: 44 EADDRNOTAVAIL, and every comparison with its set as the current one
 * failed (4 of 20 ordered pairs). It counts as other counts do: when every current run has it
 * (3 of 3 apart from 0 of 3), as a port range cut in half did (304–500 EADDRNOTAVAIL in each).
 * One run on a side has no other run to tell a chance from a change: there, one is a finding.
 */
const sometimes = (baselineRuns: number, currentRuns: number, inCurrent: number): boolean => baselineRuns >= 2 && currentRuns >= 2 && inCurrent < currentRuns;
const sometimesReason = (seen: string): string =>
  `new but not in every run: ${seen}, no baseline run did (identical runs can: timing on a busy runner decides it); a regression when every current run has it`;

/** Two single values, as the gate judged them before repeats: kept for callers and tests. */
export function compareFigure(
  metric: string,
  better: Better,
  baseline: number | null,
  current: number | null,
  options: Pick<CompareOptions, 'tolerancePct' | 'latencyFloorMs'> & Partial<Pick<CompareOptions, 'singleRunTolerancePct' | 'confidence'>>,
): MetricComparison {
  const spec = { ...specOf(metric), better };
  return judge(spec, baseline === null ? [] : [baseline], current === null ? [] : [current], {
    tolerancePct: options.tolerancePct,
    latencyFloorMs: options.latencyFloorMs,
    confidence: options.confidence ?? DEFAULT_CONFIDENCE,
    singleRunTolerancePct: options.singleRunTolerancePct ?? options.tolerancePct,
  });
}

const round = (v: number): number => roundTo(v, 3);
const round4 = (v: number): number => roundTo(v, 4);
/** 0.99 → "99%", 0.9999 → "99.99%" (never rounded up to a 100 % no test can reach). */
const pct = (c: number): string => `${Math.round(c * 10000) / 100}%`;
