import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'hdr-histogram-js/dist/HistogramBuilder.js';
import { addCounts, histogramCounts, histogramFromCounts, newHistogram, percentilesMs, meanWholeUnits, walkPercentiles } from '../../src/metrics/histograms.js';
import { decodeHistogram, encodeHistogram } from '../../src/metrics/histogram-encoding.js';

/** The package's own JS histogram with newHistogram()'s parameters: the reference. */
const reference = (): ReturnType<typeof newHistogram> =>
  build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });

/** A seeded generator (xorshift32) of numbers in [0, 1): the same values on every run. */
function xorshift(seed: number): () => number {
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
}

describe('latency histograms', () => {
  it('put every value in the slot the package\'s own histogram does, and encode the same bytes', () => {
    type Slots = { countsArrayIndex(value: number): number };
    const ours = newHistogram();
    const theirs = reference();
    const slot = (h: unknown, v: number): number => (h as Slots).countsArrayIndex(v);
    const edges = [0, 0.25, 0.5, 1, 1.5, 2, 3, 2047, 2048, 2049, 4095, 4096, 4097, 1e6 + 0.75, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 3_599_999_999, 3_600_000_000];
    for (let k = 0; k < 32; k++) edges.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
    // Log-uniform values over 1 µs … an hour, fractions included.
    const random = xorshift(20261202);
    const values = [...edges];
    for (let i = 0; i < 1_000_000; i++) values.push(Math.exp(random() * Math.log(3.6e9)) * (i % 2 === 0 ? 1 : 0.999));
    for (const v of values) {
      assert.equal(slot(ours, v), slot(theirs, v), `slot of ${v}`);
      ours.recordValue(v);
      theirs.recordValue(v);
    }
    assert.equal(encodeHistogram(ours), encodeHistogram(theirs));
    // Past 2^32 µs (71 minutes) the histogram widens as the package's does.
    ours.recordValue(5e9);
    theirs.recordValue(5e9);
    assert.equal(slot(ours, 5e9), slot(theirs, 5e9));
    assert.equal(encodeHistogram(ours), encodeHistogram(theirs));
    // And refuses what the package refuses.
    assert.throws(() => ours.recordValue(-1), /cannot be negative/);
  });

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

  it('one walk answers every percentile and the mean exactly as the package does, one by one', () => {
    const random = xorshift(7);
    const percentiles = [0, 1e-9, 0.1, 1, 10, 25, 50, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100];
    // One value, a few, many: log-uniform latencies, with repeats and a tail an hour long; and
    // the same from 1 s up, where a slot is wider than 1 µs, so p0 (its bottom) and every other
    // percentile (its top) answer differently.
    const cases = [[1, 1], [2, 1], [3, 1], [10, 1], [1000, 1], [200_000, 1], [1, 1e6], [1000, 1e6]] as const;
    for (const [size, floor] of cases) {
      const h = newHistogram();
      for (let i = 0; i < size; i++) h.recordValue(floor * Math.exp(random() * Math.log(size > 1000 ? 3.6e9 : 5e4)));
      const { values, mean } = walkPercentiles(h, percentiles);
      assert.deepEqual(values, percentiles.map((p) => h.getValueAtPercentile(p)), `${size} values from ${floor} µs`);
      assert.equal(mean, h.mean, `mean of ${size} values from ${floor} µs`);
      h.destroy();
    }
    const empty = newHistogram();
    assert.deepEqual(walkPercentiles(empty, [50, 99]), { values: [0, 0], mean: 0 });
    empty.destroy();
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

  /** The threads' histograms added up as the run does now (slot counts) and as it did (encoded, decoded, added). */
  function sumBothWays(threads: ReturnType<typeof newHistogram>[]): [ReturnType<typeof newHistogram>, ReturnType<typeof newHistogram>] {
    const viaCounts = newHistogram();
    const viaEncoding = newHistogram();
    for (const t of threads) {
      addCounts(viaCounts, histogramCounts(t));
      const decoded = decodeHistogram(encodeHistogram(t));
      viaEncoding.add(decoded);
      decoded.destroy();
    }
    return [viaCounts, viaEncoding];
  }

  it('slot counts (how engine threads hand histograms over) add into exactly what the compressed encoding adds into', () => {
    // Seeded values from 1 µs to past 2^32 (the autoResize path), as two threads would record.
    let seed = 7;
    const next = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const threads = [newHistogram(), newHistogram()];
    for (let i = 0; i < 200_000; i++) threads[i % 2]!.recordValue(Math.floor(Math.exp(next() * 23)));
    threads[1]!.recordValue(5 * 2 ** 32);
    const [viaCounts, viaEncoding] = sumBothWays(threads);
    assert.equal(viaCounts.totalCount, 200_001);
    assert.deepEqual(percentilesMs(viaCounts), percentilesMs(viaEncoding));
    assert.deepEqual(histogramCounts(viaCounts), histogramCounts(viaEncoding), 'the same slots and counts');
    // Within the hour a histogram holds without widening (every latency a run records), the
    // encoded result is the same byte for byte; past it, the two widen to different lengths
    // (the header's highest trackable value), holding the same slots.
    const within = [newHistogram(), newHistogram()];
    for (let i = 0; i < 200_000; i++) within[i % 2]!.recordValue(Math.floor(Math.exp(next() * 21.9)));
    const [sumCounts, sumEncoded] = sumBothWays(within);
    assert.equal(encodeHistogram(sumCounts), encodeHistogram(sumEncoded), 'byte for byte within an hour');
    // And they survive structured cloning, as postMessage sends them.
    const cloned = histogramFromCounts(structuredClone(histogramCounts(threads[0]!)));
    assert.equal(encodeHistogram(cloned), encodeHistogram(threads[0]!));
    for (const h of [...threads, ...within, viaCounts, viaEncoding, sumCounts, sumEncoded, cloned]) h.destroy();
  });

  it('slot counts keep min and max as the encoding does when one slot holds every value', () => {
    for (const values of [[100_000], [0, 250_000, 250_010], [5]]) {
      const thread = newHistogram();
      for (const v of values) thread.recordValue(v);
      const viaCounts = histogramFromCounts(histogramCounts(thread));
      const viaEncoding = newHistogram();
      const decoded = decodeHistogram(encodeHistogram(thread));
      viaEncoding.add(decoded);
      assert.deepEqual(percentilesMs(viaCounts), percentilesMs(viaEncoding), values.join(','));
      for (const h of [thread, viaCounts, viaEncoding, decoded]) h.destroy();
    }
    const empty = newHistogram();
    assert.deepEqual(percentilesMs(histogramFromCounts(histogramCounts(empty))), percentilesMs(empty));
    empty.destroy();
  });
});

describe('meanWholeUnits: how many whole units the values hold, on average', () => {
  it('counts floor(value ÷ unit) per value, a slot at its lowest value, and reads decoded histograms too', () => {
    const h = newHistogram();
    h.recordValueWithCount(1_000, 950);
    h.recordValueWithCount(20_000, 50);
    // 50 values of 20,000 hold 4 units of 5,000 each: 200 ÷ 1,000.
    assert.equal(meanWholeUnits(h, 5_000), 0.2);
    assert.equal(meanWholeUnits(h, 500), (950 * 2 + 50 * 40) / 1000);
    assert.equal(meanWholeUnits(h, 20_000), 0.05, 'a value that is one unit exactly holds it');
    assert.equal(meanWholeUnits(h, 30_000), 0);
    assert.equal(meanWholeUnits(decodeHistogram(encodeHistogram(h)), 5_000), 0.2);
    assert.equal(meanWholeUnits(newHistogram(), 1), 0, 'empty: none');
  });
});
