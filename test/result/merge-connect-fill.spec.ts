// Merging the connect-fill cells: counts add exactly, so the merged summary is the summary of
// every connection; results written before the cells existed merge without them; a result
// carrying them reads back (and a bad cell layout does not).
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { mergeResults } from '../../src/result/merge.js';
import { parseResult } from '../../src/result/read.js';
import { ConnectFill } from '../../src/metrics/connect-fill.js';
import { connectFillData } from '../../src/result/connect-fill-data.js';
import { percentilesMs } from '../../src/metrics/histograms.js';
import { connectFillSummary } from '../../src/result/connect-cliff.js';
import type { RunResult } from '../../src/result/model.js';
import { finding, makeResult } from '../report/make-result.js';
import { connectCliffSentence } from '../../src/report/verdict/connect-cliff.js';
import { connectScanFromResult } from '../../src/plan/connect-calibration.js';

type Connect = [tMs: number, port: number, held: number, us: number];

/** One shard: its own 2,000-port range, even ports fast, odd ports slow (the walk). */
function connects(offset: number): Connect[] {
  return Array.from({ length: 2000 }, (_, i) => {
    const odd = i >= 1000;
    return [100 + i, 40000 + offset + (odd ? 2 * (i - 1000) + 1 : 2 * i), i + 1, odd ? 400 + (i % 11) : 10 + (i % 4)];
  });
}

function shard(list: Connect[], startedAt: string, range: { low: number; high: number; size: number }): RunResult {
  return makeResult((r) => {
    const f = new ConnectFill(100, 'connect-call');
    for (const [t, port, held, us] of list) f.record(t, port, held, us);
    r.startedAt = startedAt;
    r.summary.ports.range = range;
    r.environment.sysctls['net.ipv4.ip_local_port_range'] = `${range.low} ${range.high}`;
    r.connectFill = connectFillData(f);
    r.summary.connectFill = connectFillSummary(r.connectFill, range, percentilesMs(f.even), percentilesMs(f.odd), true);
    f.even.destroy();
    f.odd.destroy();
  });
}

describe('merge: connect-fill cells', () => {
  it('adds the cells exactly: the merged summary is what one recorder of every connection says', async () => {
    const range = { low: 40000, high: 41999, size: 2000 };
    const a = connects(0);
    const b = connects(0);
    const ra = shard(a, '2026-01-01T00:00:00.000Z', range);
    const rb = shard(b, '2026-01-01T00:00:00.500Z', range);
    const m = await mergeResults([{ file: 'a.json', result: ra }, { file: 'b.json', result: rb }]);

    // One recorder fed both, b's clock 500 ms later and its held ports its own (same buckets);
    // the held curve is the fullest contributor's (the cliff is read in one contributor's range).
    const whole = new ConnectFill(100, 'connect-call');
    for (const [t, port, held, us] of a) whole.record(t, port, held, us);
    const wb = new ConnectFill(100, 'connect-call');
    for (const [t, port, held, us] of b) wb.record(t, port, held, us);
    whole.absorb(wb.cells(), 500, true);
    const expected = connectFillData(whole);
    const cells = (quads: number[]) => {
      const rows: string[] = [];
      for (let k = 0; k < quads.length; k += 4) rows.push(quads.slice(k, k + 4).join(','));
      return rows.sort();
    };
    assert.deepEqual(cells(m.connectFill!.byHeld), cells(expected.byHeld));
    assert.deepEqual(cells(m.connectFill!.byTime), cells(expected.byTime));
    assert.deepEqual(m.connectFill!.heldMax, expected.heldMax);
    const fill = m.summary.connectFill!;
    assert.equal(fill.even.count, 2000);
    assert.equal(fill.odd.count, 2000);
    assert.deepEqual(fill.odd, { ...percentilesMs(whole.odd), firstAtMs: 100 + 1000, minHeld: 1001 });
    assert.ok(fill.cliff !== null, 'the merged run shows the cliff each shard showed');
    assert.equal(fill.lowFill!.connections, ra.summary.connectFill!.lowFill!.connections * 2);
    whole.even.destroy();
    whole.odd.destroy();
    wb.even.destroy();
    wb.odd.destroy();
  });

  it("shards of one split: each slice's first parity is its own, and the fill a share of its slice", async () => {
    // An audit: 2 shards each showed the cliff at 1,216 of their 2,500 ports, and the merge,
    // dividing by the whole 5,000, lost it; a third shard's slice began on an odd port, and its
    // fast first-parity connects were pooled as "odd".
    const whole = { connections: 4000, requests: null, rate: null, portRange: '40000 44001' };
    const slice = (list: Connect[], startedAt: string, range: { low: number; high: number; size: number }, index: number): RunResult => {
      const r = shard(list, startedAt, range);
      (r as RunResult & { shard: unknown }).shard = { index, count: 2, whole };
      r.load = { startMs: 0, endMs: 2200 };
      r.summary.connections = { ...r.summary.connections, established: 2000 };
      return r;
    };
    // Slice 2 begins on an odd port (42001): its fast ports are odd, its slow ones even.
    const a = slice(connects(0), '2026-01-01T00:00:00.000Z', { low: 40000, high: 42000, size: 2001 }, 0);
    const b = slice(connects(2001), '2026-01-01T00:00:00.300Z', { low: 42001, high: 44001, size: 2001 }, 1);
    assert.ok(b.summary.connectFill!.odd.p50! < 0.1, 'slice 2 alone: its first parity, odd, is the fast one');
    const m = await mergeResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]);
    const fill = m.summary.connectFill!;
    // The merged range begins on an even port: both slices' first parities are "even" in it.
    assert.equal(m.summary.ports.range!.low % 2, 0);
    assert.equal(fill.even.count, 2000);
    assert.ok(fill.even.p99! < 0.1, `every first-parity connect was fast: even p99 ${fill.even.p99} ms`);
    assert.ok(fill.odd.p50! > 0.3, `every other-parity connect walked: odd p50 ${fill.odd.p50} ms`);
    assert.ok(fill.cliff !== null, 'the merged run shows the cliff each slice showed');
    const own = a.summary.connectFill!.cliff!.atFill!;
    assert.ok(Math.abs(fill.cliff.atFill! - own) < 0.01, `fill ${fill.cliff.atFill}, a share of one slice as each shard's ${own}`);
    // When: as each slice saw it (the fullest one's held ports, not the sum), on the merged clock.
    assert.equal(fill.cliff.atMs, a.summary.connectFill!.cliff!.atMs);
    // Worded as a share of each shard's slice, not of the merged range (a review).
    const words = finding(m, 'connect-cliff')!.text;
    assert.match(words, /ports were held \(\d+% of each shard's 2,001-port slice\)/);
    // Every reader of the cliff reads it in the slice (a review: the terminal, the cause and
    // plan --from still divided by the whole range).
    assert.match(words, /\(each shard's slice has 1,001 even ones\)/);
    assert.match(connectCliffSentence(m)!, /ports were held \(\d+% of each shard's slice\)/);
    const scan = connectScanFromResult(m)!;
    const alone = connectScanFromResult(a)!;
    assert.equal(scan.inputs.perPortUs, alone.inputs.perPortUs, 'the walk is over one slice, as each shard walked it');
    // Each shard ran 2 engine threads: the merge records 4, and the walk is still one shard's 2.
    a.environment.threads = 2;
    b.environment.threads = 2;
    const twoEach = await mergeResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]);
    assert.equal(twoEach.environment.threads, 4);
    assert.equal(connectScanFromResult(twoEach)!.inputs.threads, 2);
    assert.equal(connectScanFromResult(twoEach)!.inputs.baseConnectionUs, connectScanFromResult(a)!.inputs.baseConnectionUs);
    assert.match(scan.from, /per shard: one 2001-port slice, 1\/2 of the connections/);
  });

  it('results written before connect-fill existed merge without it', async () => {
    const range = { low: 40000, high: 41999, size: 2000 };
    const withCells = shard(connects(0), '2026-01-01T00:00:00.000Z', range);
    const old = makeResult((r) => {
      r.startedAt = '2026-01-01T00:00:01.000Z';
      r.summary.ports.range = range;
      r.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 41999';
    });
    const m = await mergeResults([{ file: 'new.json', result: withCells }, { file: 'old.json', result: old }]);
    assert.equal(m.summary.connectFill!.even.count, 1000);
    const none = await mergeResults([
      { file: 'a.json', result: makeResult((r) => (r.startedAt = '2026-01-01T00:00:00.000Z')) },
      { file: 'b.json', result: makeResult((r) => (r.startedAt = '2026-01-01T00:00:01.000Z')) },
    ]);
    assert.equal(none.connectFill, undefined);
    assert.equal(none.summary.connectFill, undefined);
  });

  it('an older result file (no cells) still reads; one with the cells reads back; a wrong measure is refused with its field named', () => {
    const fixture = fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url));
    // The fixtures are regenerated with every field the model has: an older file is one without the cells.
    const old = JSON.parse(readFileSync(fixture, 'utf8')) as RunResult;
    delete old.connectFill;
    delete old.summary.connectFill;
    assert.equal(parseResult(old, 'old.json').summary.connectFill, undefined);
    const cells = shard(connects(0), '2026-01-01T00:00:00.000Z', { low: 40000, high: 41999, size: 2000 });
    const r = { ...old, connectFill: cells.connectFill, summary: { ...old.summary, connectFill: cells.summary.connectFill } };
    const back = parseResult(JSON.parse(JSON.stringify(r)), 'r.json');
    assert.equal(back.summary.connectFill!.odd.count, 1000);
    const bad = JSON.parse(JSON.stringify(r));
    bad.connectFill.measure = 'guessed';
    assert.throws(() => parseResult(bad, 'bad.json'), /connectFill\.measure/);
    // The cells are checked by a loop (schema.ts numbers()); what it refuses is worded by zod.
    const negative = JSON.parse(JSON.stringify(r));
    negative.connectFill.byHeld[3] = -1;
    assert.throws(() => parseResult(negative, 'bad.json'), /bad result field connectFill\.byHeld\[3\]: Too small: expected number to be >=0 \(got -1\)/);
    const long = JSON.parse(JSON.stringify(r));
    long.connectFill.byHeld = new Array(4_000_004).fill(0);
    assert.throws(() => parseResult(long, 'bad.json'), /bad result field connectFill\.byHeld: Too big: expected array to have <=4000000 items/);
  });
});
