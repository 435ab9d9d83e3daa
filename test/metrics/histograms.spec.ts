import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHistogram, encodeHistogram, initHistograms, newHistogram, percentilesMs } from '../../src/metrics/histograms.js';

describe('latency histograms', () => {
  before(initHistograms);

  it('summarises microseconds as millisecond percentiles', () => {
    const h = newHistogram();
    for (let us = 1; us <= 10_000; us++) h.recordValue(us); // 1 µs … 10 ms, uniform
    const p = percentilesMs(h);
    assert.equal(p.count, 10_000);
    assert.ok(Math.abs(p.p50! - 5) < 0.01, `p50 ${p.p50}`);
    assert.ok(Math.abs(p.p90! - 9) < 0.01, `p90 ${p.p90}`);
    assert.ok(Math.abs(p.p99! - 9.9) < 0.01, `p99 ${p.p99}`);
    assert.ok(Math.abs(p.max! - 10) < 0.01, `max ${p.max}`);
    assert.equal(p.min, 0.001);
    h.destroy();
  });

  it('gives nulls for an empty histogram', () => {
    const h = newHistogram();
    assert.deepEqual(percentilesMs(h), { count: 0, min: null, mean: null, p50: null, p90: null, p99: null, p999: null, max: null });
    h.destroy();
  });

  it('round-trips exactly through the compressed encoding, and decoded histograms merge', () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 0; i < 5000; i++) a.recordValue(100 + (i % 97) * 13);
    for (let i = 0; i < 3000; i++) b.recordValue(50_000 + i);
    const a2 = decodeHistogram(encodeHistogram(a));
    assert.deepEqual(percentilesMs(a2), percentilesMs(a));
    const merged = decodeHistogram(encodeHistogram(a));
    merged.add(decodeHistogram(encodeHistogram(b)));
    assert.equal(merged.totalCount, 8000);
    // maxValue after decoding is the top of its bucket; compare at 3 significant digits.
    assert.equal(merged.getValueAtPercentile(100), b.getValueAtPercentile(100));
    assert.equal(merged.getValueAtPercentile(10), a.getValueAtPercentile(16));
    for (const h of [a, b, a2, merged]) h.destroy();
  });
});
