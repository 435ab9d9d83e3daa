// Figures added over contributors (shards, a lab's client hosts). The connections established before the ports ran out (shards, a lab's
// client hosts): each ran out of its own range, so their counts add; a contributor that never ran
// out adds nothing, and one written before the count existed makes the sum unknown, not smaller.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addRequests, addSeries, establishedBeforeExhaustion, requestsCarried } from '../../src/result/add.js';
import { mergeResults } from '../../src/result/merge.js';
import { rateBeforeExhaustion } from '../../src/result/figures.js';
import { makeResult } from '../report/make-result.js';
import type { RunResult } from '../../src/result/model.js';
import { newHistogram, percentilesMs } from '../../src/metrics/histograms.js';
import { encodeHistogram } from '../../src/metrics/histogram-encoding.js';

const ranOut = (count: number | undefined, atMs: number): RunResult =>
  makeResult((r) => {
    r.load = { startMs: 100, endMs: 5100 };
    r.summary.ports.exhaustedAtMs = atMs;
    if (count === undefined) delete r.summary.ports.establishedBeforeExhaustion;
    else r.summary.ports.establishedBeforeExhaustion = count;
  });

describe('connections established before the ports ran out', () => {
  it('add over the contributors that ran out; null when none did or one predates the count', () => {
    const never = makeResult();
    assert.equal(establishedBeforeExhaustion([ranOut(500, 150), ranOut(480, 160), never]), 980);
    assert.equal(establishedBeforeExhaustion([never, makeResult()]), null);
    assert.equal(establishedBeforeExhaustion([ranOut(500, 150), ranOut(undefined, 160)]), null);
  });

  it('merge keeps the sum, and the rate is the count over the time from the load start', async () => {
    const m = await mergeResults([
      { file: 'a.json', result: ranOut(500, 150) },
      { file: 'b.json', result: ranOut(480, 160) },
    ]);
    assert.equal(m.summary.ports.establishedBeforeExhaustion, 980);
    // The merge's count is both contributors', its time the first's: no rate goes with them (an
    // audit: 4 shards read 12,499/s, each having run out at ~1,100-3,100/s).
    assert.equal(rateBeforeExhaustion(m), null);
    // 500 in the 50 ms from the load's start at 100 ms to 150 ms: 10,000/s.
    assert.equal(rateBeforeExhaustion(ranOut(500, 150)), 10_000);
    assert.equal(rateBeforeExhaustion(makeResult()), null, 'never ran out');
    assert.equal(rateBeforeExhaustion(ranOut(undefined, 150)), null, 'a result from before the count');
    assert.equal(rateBeforeExhaustion(ranOut(0, 100)), null, 'ran out at once: no time to divide by');
  });
});

describe('connection lives over contributors', () => {
  const withLives = (us: number[]): RunResult =>
    makeResult((r) => {
      const h = newHistogram();
      for (const v of us) h.recordValue(v);
      r.histograms.life = encodeHistogram(h);
      r.summary.latencyMs.life = percentilesMs(h);
      h.destroy();
    });

  it('add bucket by bucket, with each contributor\'s exact ends; a contributor without them leaves the sum out', async () => {
    const m = await mergeResults([
      { file: 'a.json', result: withLives([300, 400, 500]) },
      { file: 'b.json', result: withLives([250, 20_000]) },
    ]);
    assert.equal(m.summary.latencyMs.life?.count, 5);
    assert.equal(m.summary.latencyMs.life?.min, 0.25);
    assert.equal(m.summary.latencyMs.life?.max, 20);
    assert.notEqual(m.histograms.life, undefined);
    const partial = await mergeResults([
      { file: 'a.json', result: withLives([300]) },
      { file: 'old.json', result: makeResult() },
    ]);
    assert.equal(partial.summary.latencyMs.life, undefined, 'a part is not passed off as the whole');
    assert.equal(partial.histograms.life, undefined);
  });
});

describe('driver series added on one clock (addSeries)', () => {
  it('each interval lands in the grid bucket nearest its start, not the one before it', () => {
    // A lab's client host that started 170 ms after the run: its first interval, [170, 270) on
    // the run's clock, went to [100, 200) and drew a bar before its load began (an audit).
    const series = (completed: number[]): Pick<RunResult, 'series'> =>
      makeResult((x) => (x.series.driver = { intervalMs: 100, t: completed.map((_, i) => i * 100), columns: { completed } }));
    const added = addSeries([series([5, 5]), series([7, 7])], [0, 170]);
    assert.deepEqual(added.driver.columns['completed'], [5, 5, 7, 7]);
    // Under half an interval it stays in the bucket it started in; the counts always add up.
    assert.deepEqual(addSeries([series([5, 5]), series([7, 7])], [0, 40]).driver.columns['completed'], [12, 12]);
  });
});

describe('HTTP requests per connection (requestsCarried, addRequests)', () => {
  it('count every request a connection carried, answered 2xx or not; not those that never had one', () => {
    // A pool of 4 connections, every request answered 500: 50 per connection, not 0 (an audit:
    // "0 requests per connection", told as "every request opened its own connection").
    assert.equal(requestsCarried(200, { HTTP_500: { total: 200, byPhase: { read: 200 } } }), 200);
    const http500 = addRequests([{ total: 200, ok: 0, failed: 200, ratePerSec: 0, perConnection: 0 }], 4, { HTTP_500: { total: 200, byPhase: { read: 200 } } }, () => 0);
    assert.equal(http500.perConnection, 50);
    // Ports ran out: 553 requests, 53 of them failed to connect, 500 over 500 connections.
    const ranOutOfPorts = { EADDRNOTAVAIL: { total: 53, byPhase: { connect: 53 } } };
    assert.equal(addRequests([{ total: 553, ok: 500, failed: 53, ratePerSec: 0, perConnection: 1 }], 500, ranOutOfPorts, () => 0).perConnection, 1);
    assert.equal(requestsCarried(3, { EMFILE: { total: 1, byPhase: { socket: 1 } }, EADDRINUSE: { total: 1, byPhase: { bind: 1 } }, ECONNRESET: { total: 1, byPhase: { read: 1 } } }), 1);
  });
});
