// The gate's statistics and decision rules, on numbers whose answer is known.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mannWhitneyGreaterP, mannWhitneyU, median, smallestP } from '../../src/compare/stats.js';
import { compareResults, gapBeyond, judge } from '../../src/compare/compare.js';
import { DEFAULT_METRICS, HTTP_METRICS, specOf } from '../../src/compare/metrics.js';
import type { LoadedResult } from '../../src/compare/load.js';
import { addErrors, makeHttpResult, makeResult } from '../report/make-result.js';
import type { RunResult } from '../../src/result/model.js';
import { renderCompareJunit, renderCompareTerminal } from '../../src/compare/index.js';
import { why } from '../../src/compare/render-common.js';

const J = { tolerancePct: 10, latencyFloorMs: 0.1, confidence: 0.99, singleRunTolerancePct: 30 };

describe('Mann–Whitney over repeats', () => {
  it('U counts pairs, ties as halves', () => {
    assert.equal(mannWhitneyU([1, 2, 3], [0, 0]), 6);
    assert.equal(mannWhitneyU([1, 1], [1, 1]), 2);
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('exact p: 5 against 5 fully separated is 1/252, the smallest reachable', () => {
    assert.equal(mannWhitneyGreaterP([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]), 1 / 252);
    assert.equal(smallestP(5, 5), 1 / 252);
    // The other direction: every arrangement is at least as large.
    assert.equal(mannWhitneyGreaterP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]), 1);
    // One swap: U = 24 of 25 → 2 arrangements of 252 reach it.
    assert.equal(mannWhitneyGreaterP([5, 7, 8, 9, 10], [1, 2, 3, 4, 6]), 2 / 252);
  });

  it('ties are exact: identical sets give p = 1', () => {
    assert.equal(mannWhitneyGreaterP([3, 3, 3], [3, 3, 3]), 1);
  });

  it('large samples use the normal approximation and agree with the exact test in size', () => {
    const a = Array.from({ length: 30 }, (_, i) => i + 10);
    const b = Array.from({ length: 30 }, (_, i) => i);
    const p = mannWhitneyGreaterP(a, b);
    assert.ok(p > 0 && p < 0.01, `p = ${p}`);
    assert.ok(mannWhitneyGreaterP(b, a) > 0.99);
  });
});

describe('the decision rules', () => {
  it('a rate/latency change must be beyond the tolerance AND clear of the noise', () => {
    const spec = specOf('summary.latencyMs.total.p99');
    // +40 % in the medians but the sets overlap: noise, not a regression.
    assert.equal(judge(spec, [10, 12, 30, 11, 9], [14, 15, 8, 16, 13], J).status, 'unchanged');
    // Fully separated and beyond 10 %: a regression, with its p-value.
    const r = judge(spec, [10, 11, 12, 10.5, 11.5], [14, 15, 16, 14.5, 15.5], J);
    assert.equal(r.status, 'regression');
    assert.equal(r.pValue, 0.004);
    // Fully separated but only +5 %: within the tolerance.
    assert.equal(judge(spec, [10, 10.1, 10.2, 10.3, 10.4], [10.6, 10.7, 10.8, 10.9, 11], J).status, 'unchanged');
    // Faster: an improvement, never a failure.
    assert.equal(judge(spec, [14, 15, 16, 14.5, 15.5], [10, 11, 12, 10.5, 11.5], J).status, 'improvement');
  });

  it('a count with repeats must stand apart from the baseline by more than its runs differ among themselves', () => {
    // simultaneous-close: which FIN wins decides each side's TIME_WAIT, so identical sets wander
    // (an audit: 3-run sets of identical code failed 8.7 % of the time on the old rule).
    const perSide = specOf('summary.timeWait.peakServer');
    const race = judge(perSide, [30, 80, 120], [125, 150, 170], J);
    assert.equal(race.status, 'unchanged');
    assert.match(race.reason, /^above every baseline run, but by 5, no more than the baseline runs differ among themselves \(90\)$/);
    // TIME_WAIT moved to the other side: apart by far more than the sampling spread, from 3 runs.
    const moved = judge(specOf('summary.timeWait.peakClient'), [4998, 5000, 5000], [4, 0, 2], J);
    assert.equal(moved.status, 'improvement');
    assert.equal(judge(perSide, [0, 0, 2], [4998, 5000, 5000], J).status, 'regression');
    // A single run on a side: no spread to stand apart from, the old rule.
    assert.equal(judge(perSide, [100], [125], J).status, 'regression');
  });

  it('every run apart where the repeats cannot reach the confidence: said so, not "within the noise"', () => {
    const r = judge(specOf('summary.connections.ratePerSec'), [12000, 12400, 12500], [2700, 2740, 2800], J);
    assert.equal(r.status, 'unchanged');
    assert.equal(r.reason, 'every run apart, but 3 against 3 repeats cannot reach 99% confidence (p = 0.050 at best): use more repeats or a lower --confidence');
  });

  it('ports.peakInUse is not a default figure: the driver\'s ports at once are rate × connection life, timing not code', () => {
    assert.ok(!DEFAULT_METRICS.includes('summary.ports.peakInUse'));
    assert.ok(DEFAULT_METRICS.includes('summary.ports.distinct'));
  });

  it('a whole set moved by a drift of the runner\'s load is not a regression: the nearest runs must be beyond the tolerance', () => {
    const rate = specOf('summary.requests.ratePerSec');
    // Consecutive identical sets while a neighbour's load rose: every current run but one below
    // every baseline run (p = 2/252), medians -27 %, but the nearest runs nearly touch.
    const drift = judge(rate, [330, 341, 360, 420, 300], [249, 240, 310, 270, 228], J);
    assert.equal(drift.pValue, 0.0079);
    assert.equal(drift.status, 'unchanged');
    assert.match(drift.reason, /nearest runs are within 10%/);
    // Fully separated but the nearest runs 3 % apart: still a drift-sized gap, not a finding.
    assert.equal(judge(rate, [330, 341, 360, 420, 310], [249, 240, 300, 270, 228], J).status, 'unchanged');
    // The slowest baseline run more than 10 % above the fastest current one: a regression.
    const real = judge(rate, [330, 341, 360, 420, 310], [249, 240, 275, 270, 228], J);
    assert.equal(real.status, 'regression');
    assert.match(real.reason, /every current run more than 10% below every baseline run/);
  });

  it('gapBeyond: the nearest runs, in percent of the baseline\'s', () => {
    assert.equal(gapBeyond([1, 2], [3, 4], true), 50);
    assert.equal(gapBeyond([10, 12], [8, 9], false), 10);
    assert.ok(gapBeyond([1, 3], [2, 4], true) < 0);
    assert.equal(gapBeyond([0, 0], [1, 2], true), Infinity);
  });

  it('with one run a side there is no noise estimate: the wider single-run tolerance applies', () => {
    const spec = specOf('summary.connections.ratePerSec');
    assert.equal(judge(spec, [100], [80], J).status, 'unchanged');
    assert.equal(judge(spec, [100], [60], J).status, 'regression');
    assert.match(judge(spec, [100], [60], J).reason, /no noise estimate/);
  });

  it('counts: a new errno in every current run (or once against one run), or a failed restart, is always a finding', () => {
    assert.equal(judge(specOf('summary.errors.EADDRINUSE'), [0], [0, 0, 1, 0, 0], J).status, 'regression');
    assert.equal(judge(specOf('summary.errors.EADDRINUSE'), [0, 0, 0, 0, 0], [1, 2, 1, 1, 3], J).status, 'regression');
    // Once in five against five runs that never saw it: what identical runs can do (next suite).
    assert.equal(judge(specOf('summary.errors.EADDRINUSE'), [0, 0, 0, 0, 0], [0, 0, 1, 0, 0], J).status, 'unchanged');
    assert.equal(judge(specOf('summary.serverErrors.EADDRINUSE'), [0], [30], J).status, 'regression');
    assert.equal(judge(specOf('summary.restart.ok'), [1, 1, 1], [1, 0, 1], J).status, 'regression');
    assert.equal(judge(specOf('summary.restart.ok'), [0], [1], J).status, 'improvement');
    // An existing count must pass the tolerance and leave the baseline's range.
    assert.equal(judge(specOf('summary.timeWait.peakClient'), [900, 1000, 950], [1050, 990, 1040], J).status, 'unchanged');
    assert.equal(judge(specOf('summary.timeWait.peakClient'), [900, 1000, 950], [1200, 1300, 1250], J).status, 'regression');
  });

  it('counts that scale with work are compared per 1,000 connections when the work differs', () => {
    const side = (attempted: number, tw: number, file: string): LoadedResult => ({
      file,
      result: makeResult((r) => {
        r.summary.connections.attempted = attempted;
        r.summary.timeWait.peakClient = tw;
      }),
    });
    // Twice the work, twice the TIME_WAIT: per connection nothing changed.
    const report = compareResults('b', 'c', { pairs: [{ name: 'x', baseline: [side(1000, 1000, 'b1'), side(1000, 1000, 'b2')], current: [side(2000, 2000, 'c1'), side(2000, 2000, 'c2')] }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: ['timeWait.peakClient'] });
    const m = report.scenarios[0]!.metrics[0]!;
    assert.equal(m.perThousandConnections, true);
    assert.equal(m.status, 'unchanged');
    assert.equal(m.baseline, 1000);
    // The table holds the scaled figures, so the row names the unit; JUnit keeps the bare test name.
    assert.match(renderCompareTerminal(report), /^ {2}timeWait\.peakClient per 1k conn +1,?000 +1,?000 /m);
    assert.match(renderCompareJunit(report), /name="timeWait\.peakClient"/);
  });

  it('HTTP: requests/s and request latency, not connections/s (keep-alive is not "worse")', () => {
    const keepalive = (rate: number): RunResult =>
      makeHttpResult((r) => {
        r.summary.connections.ratePerSec = rate;
      });
    const report = compareResults('b', 'c', { pairs: [{ name: 'h', baseline: [{ file: 'b', result: keepalive(2000) }], current: [{ file: 'c', result: keepalive(20) }] }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    assert.equal(report.scenarios[0]!.metrics.some((m) => m.metric === 'summary.connections.ratePerSec'), false);
    assert.equal(report.regressions, 0);
  });

  it('too few repeats for the confidence asked is said, not silently ignored', () => {
    const two = (file: string): LoadedResult[] => [1, 2].map((i) => ({ file: `${file}${i}`, result: makeResult() }));
    const report = compareResults('b', 'c', { pairs: [{ name: 'x', baseline: two('b'), current: two('c') }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    assert.ok(report.scenarios[0]!.noise.some((n) => /cannot reach 99% confidence/.test(n)), report.scenarios[0]!.noise.join('\n'));
    const strict = compareResults('b', 'c', { pairs: [{ name: 'x', baseline: two('b'), current: two('c') }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [], confidence: 0.9999 });
    assert.ok(strict.scenarios[0]!.noise.some((n) => /cannot reach 99\.99% confidence/.test(n)), strict.scenarios[0]!.noise.join('\n'));
  });

  it('a service delay hidden in a CPU-bound closed loop is caught by the fastest request, not the median', () => {
    // Five runs a side of the long test's scenario under a neighbour's load (2026-12-01): a 5 ms
    // service delay left the request p50 and requests/s inside the spread of identical runs
    // (queueing for a core dominates), but raised every run's minimum by the full delay.
    const sets = {
      base: { min: [2.15, 1.54, 1.82, 1.57, 2.2], p50: [6.47, 12.48, 11.63, 8.44, 6.86], rate: [668.5, 509.9, 405.4, 699.9, 909.2] },
      delayed: { min: [5.04, 5.22, 5.6, 5.86, 5.47], p50: [9.75, 10.25, 10.9, 10.39, 13.38], rate: [726.4, 564.1, 484.4, 557.3, 349.3] },
    };
    const side = (name: 'base' | 'delayed'): LoadedResult[] =>
      sets[name].min.map((min, i) => ({
        file: `${name}${i}`,
        result: makeHttpResult((r) => {
          r.summary.latencyMs.firstByte = { ...r.summary.latencyMs.firstByte, min, p50: sets[name].p50[i]! };
          r.summary.requests!.ratePerSec = sets[name].rate[i]!;
        }),
      }));
    const report = compareResults('b', 'c', { pairs: [{ name: 'h', baseline: side('base'), current: side('delayed') }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    const status = (metric: string): string | undefined => report.scenarios[0]!.metrics.find((m) => m.metric === metric)?.status;
    assert.equal(status('summary.latencyMs.firstByte.p50'), 'unchanged');
    assert.equal(status('summary.requests.ratePerSec'), 'unchanged');
    assert.equal(status('summary.latencyMs.firstByte.min'), 'regression');
    assert.equal(report.failed, true);
    // The same numbers with the sides swapped: faster, never a failure.
    const back = compareResults('c', 'b', { pairs: [{ name: 'h', baseline: side('delayed'), current: side('base') }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    assert.equal(back.failed, false);
  });

  it('throughput and percentiles that moved with the runner\'s load, the fastest request not, are not regressions', () => {
    // Two consecutive sets of identical runs measured under a neighbour's load (2026-12-01,
    // load average 28): the first in a quiet minute, the second not. Every run apart in
    // requests/s and p90, by far more than the tolerance; the fastest request the same.
    const runs = (name: string, rate: number[], p90: number[], min: number[]): LoadedResult[] =>
      rate.map((rps, i) => ({
        file: `${name}${i}`,
        result: makeHttpResult((r) => {
          r.summary.requests!.ratePerSec = rps;
          r.summary.latencyMs.firstByte = { ...r.summary.latencyMs.firstByte, min: min[i]!, p90: p90[i]! };
          r.summary.latencyMs.total = { ...r.summary.latencyMs.total, min: min[i]! + 0.05, p90: p90[i]! + 0.05 };
        }),
      }));
    const quiet = runs('q', [794.9, 620, 468.9, 811.4, 448.2], [12.95, 24.94, 38.66, 19.95, 26.72], [1.98, 1.61, 1.63, 2.25, 2.77]);
    const busy = runs('b', [184.8, 240.1, 162, 267, 260.3], [119.1, 74.62, 90.56, 57.66, 72.51], [2.27, 2.05, 2.72, 2.41, 1.39]);
    const pairs = (b: LoadedResult[], c: LoadedResult[]) => ({ pairs: [{ name: 'h', baseline: b, current: c }], missing: [], added: [] });
    const options = { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] };
    const drift = compareResults('q', 'b', pairs(quiet, busy), options);
    const rate = drift.scenarios[0]!.metrics.find((m) => m.metric === 'summary.requests.ratePerSec')!;
    assert.equal(rate.status, 'unchanged');
    assert.match(rate.reason, /moved with the runner's load: every current run more than 10% below every baseline run .*, but the fastest request \(latencyMs\.firstByte\.min\) did not/);
    assert.equal(drift.scenarios[0]!.metrics.find((m) => m.metric === 'summary.latencyMs.firstByte.p90')!.status, 'unchanged');
    assert.equal(drift.failed, false);
    // The same figures when the code made every request slower: the fastest request moved too,
    // so the throughput and the percentiles count.
    const slower = runs('s', [184.8, 240.1, 162, 267, 260.3], [119.1, 74.62, 90.56, 57.66, 72.51], [4.27, 4.05, 4.72, 4.41, 3.39]);
    const real = compareResults('q', 's', pairs(quiet, slower), options);
    const statusOf = (metric: string) => real.scenarios[0]!.metrics.find((m) => m.metric === metric)!;
    assert.equal(statusOf('summary.latencyMs.firstByte.min').status, 'regression');
    assert.equal(statusOf('summary.requests.ratePerSec').status, 'regression');
    assert.match(statusOf('summary.latencyMs.firstByte.p90').reason, /the fastest request moved too \(latencyMs\.firstByte\.min\)/);
    // Without repeats there is no drift to tell apart: the single-run tolerance decides alone.
    const single = compareResults('q', 'b', pairs(quiet.slice(0, 1), busy.slice(0, 1)), options);
    assert.equal(single.scenarios[0]!.metrics.find((m) => m.metric === 'summary.requests.ratePerSec')!.status, 'regression');
  });

  it('connections/s is anchored on the fastest whole connection: a slower close counts, the runner\'s load does not', () => {
    // The audit's case: close.delay=20ms cut conn/s 78 %, every run apart, while the fastest
    // request stayed ~0.1 ms on both sides; it passed as "the runner's load".
    const runs = (name: string, rate: number[], lifeMin: number[]): LoadedResult[] =>
      rate.map((cps, i) => ({
        file: `${name}${i}`,
        result: makeResult((r) => {
          r.summary.connections.ratePerSec = cps;
          r.summary.latencyMs.firstByte = { ...r.summary.latencyMs.firstByte, min: 0.1 };
          r.summary.latencyMs.total = { ...r.summary.latencyMs.total, min: 0.12 };
          r.summary.latencyMs.life = { ...r.summary.latencyMs.total, min: lifeMin[i]! };
        }),
      }));
    const pairs = (b: LoadedResult[], c: LoadedResult[]) => ({ pairs: [{ name: 'c', baseline: b, current: c }], missing: [], added: [] });
    const options = { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] };
    const base = runs('b', [12463, 12100, 12800, 12300, 12600], [0.31, 0.29, 0.33, 0.3, 0.32]);
    const delayed = runs('d', [2738, 2700, 2790, 2750, 2720], [20.4, 20.3, 20.5, 20.4, 20.6]);
    const rate = compareResults('b', 'd', pairs(base, delayed), options).scenarios[0]!.metrics.find((m) => m.metric === 'summary.connections.ratePerSec')!;
    assert.equal(rate.status, 'regression');
    assert.match(rate.reason, /the fastest connection moved too \(latencyMs\.life\.min\)$/);
    // The runner's load: conn/s down as far, the fastest connection where it was.
    const busy = runs('x', [2738, 2700, 2790, 2750, 2720], [0.32, 0.3, 0.34, 0.31, 0.33]);
    const drift = compareResults('b', 'x', pairs(base, busy), options);
    const vetoed = drift.scenarios[0]!.metrics.find((m) => m.metric === 'summary.connections.ratePerSec')!;
    assert.equal(vetoed.status, 'unchanged');
    assert.match(vetoed.reason, /but the fastest connection \(latencyMs\.life\.min\) did not$/);
    assert.equal(drift.failed, false);
    // Results from before connection lives were recorded: the fastest request, and the reason says what it cannot see.
    const old = (rs: LoadedResult[]): LoadedResult[] => rs.map((x) => ({ ...x, result: { ...x.result, summary: { ...x.result.summary, latencyMs: { ...x.result.summary.latencyMs, life: undefined } } } as RunResult }));
    const blind = compareResults('b', 'd', pairs(old(base), old(delayed)), options).scenarios[0]!.metrics.find((m) => m.metric === 'summary.connections.ratePerSec')!;
    assert.equal(blind.status, 'unchanged');
    assert.match(blind.reason, /fastest request \(latencyMs\.firstByte\.min\) did not; a slower close moves no request: on a quiet runner gate conn\/s with a threshold$/);
  });

  it('what comes after the answer (life and close percentiles) is anchored on the fastest connection too', () => {
    // close.delay=20ms, 5 against 5 (measured): life p50 8.2 → 23.8 ms, every run apart; the
    // fastest request ~0.1 ms on both sides, the fastest connection 0.16 → 20.2 ms. It passed as
    // "moved with the runner's load … the fastest request did not".
    const runs = (name: string, lifeP50: number[], closeP50: number[], lifeMin: number[]): LoadedResult[] =>
      lifeP50.map((p50, i) => ({
        file: `${name}${i}`,
        result: makeResult((r) => {
          r.summary.latencyMs.firstByte = { ...r.summary.latencyMs.firstByte, min: 0.1 };
          r.summary.latencyMs.total = { ...r.summary.latencyMs.total, min: 0.12 };
          r.summary.latencyMs.close = { ...r.summary.latencyMs.close, p50: closeP50[i]! };
          r.summary.latencyMs.life = { ...r.summary.latencyMs.total, min: lifeMin[i]!, p50 };
        }),
      }));
    const judged = (c: LoadedResult[], metric: string) =>
      compareResults('b', 'c', { pairs: [{ name: 'c', baseline: base, current: c }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [metric] }).scenarios[0]!.metrics[0]!;
    const base = runs('b', [7.8, 8.2, 14.1, 8.0, 8.5], [2.3, 2.6, 3.9, 2.5, 2.4], [0.12, 0.16, 0.32, 0.15, 0.14]);
    const slower = runs('s', [22.9, 23.8, 23.9, 23.5, 23.1], [9.1, 9.4, 9.8, 9.3, 9.0], [20.2, 20.2, 20.3, 20.2, 20.3]);
    for (const metric of ['summary.latencyMs.life.p50', 'summary.latencyMs.close.p50']) {
      const m = judged(slower, metric);
      assert.equal(m.status, 'regression', `${metric}: ${m.reason}`);
      assert.match(m.reason, /the fastest connection moved too \(latencyMs\.life\.min\)$/);
    }
    // The runner's load: the same rise with the fastest connection where it was is not a finding.
    const busy = runs('x', [22.9, 23.8, 23.9, 23.5, 23.1], [9.1, 9.4, 9.8, 9.3, 9.0], [0.13, 0.15, 0.3, 0.16, 0.14]);
    assert.match(judged(busy, 'summary.latencyMs.life.p50').reason, /but the fastest connection \(latencyMs\.life\.min\) did not$/);
    assert.equal(judged(busy, 'summary.latencyMs.close.p50').status, 'unchanged');
  });

  it('the minimum is judged where a server-side wait lands (first byte, total), not on the kernel handshakes', () => {
    for (const list of [DEFAULT_METRICS, HTTP_METRICS]) {
      assert.ok(list.includes('summary.latencyMs.firstByte.min'));
      assert.ok(list.includes('summary.latencyMs.total.min'));
      assert.ok(!list.includes('summary.latencyMs.connect.min'));
      assert.ok(!list.includes('summary.latencyMs.close.min'));
    }
    assert.equal(specOf('summary.latencyMs.firstByte.min').kind, 'latency');
    assert.equal(specOf('summary.latencyMs.firstByte.min').better, 'lower');
  });

  it('the latency floor holds between the nearest runs too: a sub-ms fastest request that moved with the load is not a regression', () => {
    // Identical code, measured by a helper's audit: the fastest loopback request of two 5-run
    // sets 11 minutes apart, load average 2.3 against 5.5. Medians 0.106 ms apart (over the
    // 0.1 ms floor), nearest runs 15 % but only 19 µs apart.
    const min = specOf('summary.latencyMs.firstByte.min');
    const quiet = [0.089, 0.1, 0.106, 0.11, 0.125];
    const busy = [0.144, 0.2, 0.212, 0.3, 0.381];
    const r = judge(min, quiet, busy, J);
    assert.equal(r.status, 'unchanged');
    assert.match(r.reason, /nearest runs are within the 0\.1 ms floor/);
    // A real delay every request pays moves the nearest runs past the floor: still caught.
    assert.equal(judge(min, quiet, busy.map((v) => v + 2), J).status, 'regression');
  });

  it('one run against a repeated side must fall beyond the nearest of its runs, not only away from their median', () => {
    const p50 = specOf('summary.latencyMs.close.p50');
    const baseline = [1.389, 1.5, 1.9, 2.1, 2.889];
    // +44 % on the median but inside the baseline's own range: identical code, seen by the audit.
    const inside = judge(p50, baseline, [2.729], J);
    assert.equal(inside.status, 'unchanged');
    assert.match(inside.reason, /within 30% of the nearest of the 5 baseline runs/);
    // 56 % beyond the slowest baseline run: a regression, said against the runs it left behind.
    const beyond = judge(p50, baseline, [4.5], J);
    assert.equal(beyond.status, 'regression');
    assert.match(beyond.reason, /more than 30% beyond every one of the 5 baseline runs/);
    // The same the other way round: one baseline run against a repeated current side.
    assert.equal(judge(p50, [2.729], baseline, J).status, 'unchanged');
    // One run a side: the single-run tolerance on the medians, as before.
    assert.equal(judge(p50, [1.9], [2.729], J).status, 'regression');
  });

  it('ports.exhaustedAtMs: later is better, a time (never per 1,000), and running out where no baseline run did is a regression', () => {
    const spec = specOf('summary.ports.exhaustedAtMs');
    assert.deepEqual([spec.better, spec.kind, spec.scalesWithWork], ['higher', 'latency', false]);
    assert.equal(judge(spec, [3000], [1000], J).status, 'regression', 'ran out 3× sooner');
    assert.equal(judge(spec, [1000], [3000], J).status, 'improvement');
    const at = (ms: number | null, file: string): LoadedResult => {
      const result = makeResult();
      result.summary.ports.exhaustedAtMs = ms;
      return { file, result };
    };
    const compare = (b: Array<number | null>, c: Array<number | null>) =>
      compareResults('b', 'c', { pairs: [{ name: 'x', baseline: b.map((v, i) => at(v, `b${i}`)), current: c.map((v, i) => at(v, `c${i}`)) }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: ['ports.exhaustedAtMs'] })
        .scenarios[0]!.metrics[0]!;
    // One baseline run: no other run to tell a chance from a change, so once is a finding.
    const appeared = compare([null], [null, 4000, null]);
    assert.equal(appeared.status, 'regression');
    assert.match(appeared.reason, /new: in 1 of 3 run\(s\), in no baseline run/);
    // Repeats on both sides: in 1 of 3 current runs only is what identical runs can do; in every one it counts.
    const once = compare([null, null, null], [null, 4000, null]);
    assert.equal(once.status, 'unchanged');
    assert.match(once.reason, /^new but not in every run: in 1 of 3 current runs, no baseline run did/);
    assert.equal(compare([null, null, null], [4100, 4000, 3900]).status, 'regression');
    assert.equal(compare([5000, null], [null, null]).status, 'improvement');
    assert.equal(compare([null, null], [null, null]).status, 'unchanged');
    // In every current run where 1 of 5 baseline runs ran out, at the same moment: more often is worse.
    const oftener = compare([4000, null, null, null, null], [4000, 4100, 3900, 4000, 4050]);
    assert.equal(oftener.status, 'regression');
    assert.match(oftener.reason, /in every current run \(5\), in 1 of 5 baseline runs/);
    // A side without the figure: the failure message is the reason, not "fell from – to 4,000 (–)".
    assert.equal(why(appeared, 10), 'ports.exhaustedAtMs: new: in 1 of 3 run(s), in no baseline run');
  });

  it('a new error code\'s JUnit failure says a run saw it, not that a median of 0 "rose to 0"', () => {
    const runs = (file: string, withReset: boolean, n = 5): LoadedResult[] =>
      Array.from({ length: n }, (_, i) => ({ file: `${file}${i}`, result: makeResult((r) => (withReset && i === 2 ? addErrors(r, 'ECONNRESET', 'read', 1) : undefined)) }));
    // One baseline run: a code in 1 of 5 current runs is a finding (with repeats on both sides it
    // would have to be in every current run: the next test).
    const report = compareResults('b', 'c', { pairs: [{ name: 'x', baseline: runs('b', false, 1), current: runs('c', true) }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    const junit = renderCompareJunit(report);
    assert.match(junit, /<failure message="errors\.ECONNRESET rose from 0 to 0 \(0–1\): new: 1 of 5 run\(s\) saw it, no baseline run did"/);
    assert.doesNotMatch(junit, /rose from 0 to 0 \(0%\)/);
  });

  it('with repeats on both sides, a code no baseline run saw fails the gate only when every current run saw it', () => {
    // tw-reuse, identical code: one of three current runs ran short of ports under a neighbour's
    // load (44 EADDRNOTAVAIL); the baseline's three did not. It failed the gate (exit 4).
    const set = (file: string, failed: number[]): LoadedResult[] =>
      failed.map((n, i) => ({ file: `${file}${i}`, result: makeResult((r) => (n > 0 ? addErrors(r, 'EADDRNOTAVAIL', 'connect', n) : undefined)) }));
    const gate = (b: number[], c: number[]) =>
      compareResults('b', 'c', { pairs: [{ name: 'x', baseline: set('b', b), current: set('c', c) }], missing: [], added: [] }, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: ['errors'] });
    const identical = gate([0, 0, 0], [0, 0, 44]);
    assert.equal(identical.failed, false);
    const code = identical.scenarios[0]!.metrics.find((m) => m.metric === 'summary.errors.EADDRNOTAVAIL')!;
    assert.equal(code.status, 'unchanged');
    assert.match(code.reason, /^new but not in every run: 1 of 3 current runs saw it, no baseline run did/);
    assert.equal(identical.scenarios[0]!.metrics.find((m) => m.metric === 'summary.errors.total')!.status, 'unchanged');
    // The port range cut in half: every current run ran out.
    const halved = gate([0, 0, 0], [500, 304, 483]);
    assert.equal(halved.failed, true);
    assert.match(halved.scenarios[0]!.metrics.find((m) => m.metric === 'summary.errors.EADDRNOTAVAIL')!.reason, /^new: 3 of 3 run\(s\) saw it, no baseline run did$/);
    // One run a side: once is a finding, as before.
    assert.equal(gate([0], [44]).failed, true);
  });
});
