// The connections established before the ports ran out, over contributors (shards, a lab's
// client hosts): each ran out of its own range, so their counts add; a contributor that never ran
// out adds nothing, and one written before the count existed makes the sum unknown, not smaller.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { establishedBeforeExhaustion } from '../../src/result/add.js';
import { mergeResults } from '../../src/result/merge.js';
import { rateBeforeExhaustion } from '../../src/result/figures.js';
import { makeResult } from '../report/make-result.js';
import type { RunResult } from '../../src/result/model.js';

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
    // 500 in the 50 ms from the load's start at 100 ms to 150 ms: 10,000/s.
    assert.equal(rateBeforeExhaustion(ranOut(500, 150)), 10_000);
    assert.equal(rateBeforeExhaustion(makeResult()), null, 'never ran out');
    assert.equal(rateBeforeExhaustion(ranOut(undefined, 150)), null, 'a result from before the count');
    assert.equal(rateBeforeExhaustion(ranOut(0, 100)), null, 'ran out at once: no time to divide by');
  });
});
