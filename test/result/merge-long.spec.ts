// Merging long runs: two 5.5-hour results (200,000 kernel and census samples each, the default
// 100 ms sample) merge, and their gauges and counters land on one grid as short ones do.
// `Math.max(0, ...series)` in the merged summary threw RangeError past ~130,000 samples.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeResults } from '../../src/result/merge.js';
import { makeResult } from '../report/make-result.js';

const N = 200_000;

/** A steady run, 100 ms samples, its TIME_WAIT census peaking once at `peak` (sample `at`). */
function long(startedAt: string, peak: number, at: number) {
  return makeResult((r) => {
    r.startedAt = startedAt;
    r.endedAt = new Date(Date.parse(startedAt) + N * 100).toISOString();
    r.summary.durationMs = N * 100;
    r.load = { startMs: 0, endMs: N * 100 };
    const t = Array.from({ length: N }, (_, i) => i * 100);
    r.series.kernel = { t, tw: t.map((_, i) => (i === at ? peak : 10)), inuse: t.map(() => 2), counters: { TcpActiveOpens: t.map((_, i) => 1000 + i) } };
    r.series.census = { t, client: { TIME_WAIT: t.map((_, i) => (i === at ? peak : 10)) }, server: {} };
  });
}

describe('merge: long runs', () => {
  it('two 200,000-sample results merge: peaks, gauges held, counters added from their first sample', async () => {
    // b started 50 ms after a: its samples fall between a's, so the grid holds both.
    const a = long('2026-01-01T00:00:00.000Z', 700, 123_456);
    const b = long('2026-01-01T00:00:00.050Z', 500, 54_321);
    const m = await mergeResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]);
    const { kernel, census } = m.series;
    assert.equal(kernel.t.length, 2 * N);
    assert.equal(census.t.length, 2 * N);
    assert.equal(m.summary.timeWait.peakClient, 710, "a's peak while b holds its 10");
    assert.equal(m.summary.timeWait.sockstatPeak, 710);
    // At a's peak sample (t = 12,345,600 ms) b holds its last sample, 10.
    const i = kernel.t.indexOf(12_345_600);
    assert.deepEqual([kernel.tw[i], kernel.inuse[i], census.client['TIME_WAIT']![i]], [710, 4, 710]);
    // Counters: each contributor's delta from its first sample, b's held from its last at or before.
    assert.equal(kernel.counters['TcpActiveOpens']![i], 123_456 + 123_455);
    assert.equal(kernel.counters['TcpActiveOpens']!.at(-1), 2 * (N - 1));
  });
});
