// The connect-fill recorder and the ports-held window: what they count, and that recorders
// split over threads (shared held window) or processes (offset clocks, separate ports) add up
// to exactly what one recorder would have seen.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { binOf, binMiddleUs, binPercentileMs, collect, ConnectFill, HELD_BUCKET_PORTS } from '../../src/metrics/connect-fill.js';
import { HELD_WINDOW_INTS, HeldWindow } from '../../src/metrics/held-ports.js';
import { PortTracker } from '../../src/metrics/port-tracker.js';
import type { HistogramCounts } from '../../src/metrics/histograms.js';

/** A deterministic stream: port, time, held, latency (µs) — even ports fast, odd ones slow past half. */
function stream(n: number): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    const odd = i >= n / 2;
    out.push([40000 + (odd ? 2 * (i - n / 2) + 1 : 2 * i), i * 1.7, i + 1, odd ? 500 + (i % 37) * 11 : 10 + (i % 5)]);
  }
  return out;
}

const countOf = (c: HistogramCounts): number => c.counts.reduce((a, n) => a + n, 0);

function newHeldWindow(): HeldWindow {
  const cells = new Int32Array(HELD_WINDOW_INTS);
  HeldWindow.init(cells);
  return new HeldWindow(cells);
}

describe('ports held (held-ports.ts)', () => {
  it('counts distinct ports used in the last 60 s; a reuse moves a port, it does not add one', () => {
    const w = newHeldWindow();
    assert.equal(w.opened(NaN, 0), 1);
    assert.equal(w.opened(NaN, 500), 2);
    assert.equal(w.opened(NaN, 1500), 3);
    // Port 1 again, 10 s later: still 3 ports held.
    assert.equal(w.opened(0, 10_000), 3);
    // 65 s on, the two ports last used at 0.5 s and 1.5 s have left the window; port 1 (10 s) has not.
    assert.equal(w.opened(NaN, 65_000), 2);
    // 2 minutes on, only the new one.
    assert.equal(w.opened(NaN, 130_000), 1);
  });

  it('threads sharing one window see one count', () => {
    const cells = new Int32Array(new SharedArrayBuffer(HELD_WINDOW_INTS * 4));
    HeldWindow.init(cells);
    const a = new HeldWindow(cells);
    const b = new HeldWindow(cells);
    a.opened(NaN, 0);
    b.opened(NaN, 10);
    assert.equal(a.opened(NaN, 20), 3);
  });

  it('the port tracker (net driver) answers the held count per local address', () => {
    const t = new PortTracker();
    assert.equal(t.opened(40000, 0, '127.0.0.2'), 1);
    assert.equal(t.opened(40002, 1, '127.0.0.2'), 2);
    assert.equal(t.opened(40000, 2, '127.0.0.3'), 1, 'another address has its own ports');
    assert.equal(t.opened(40000, 3, '127.0.0.2'), 2, 'a reused port is held once');
  });
});

describe('connect-fill recorder (connect-fill.ts)', () => {
  it('bins: 4 per doubling, every value within ±9 % of its bin middle', () => {
    for (const us of [1.5, 3, 12, 100, 555, 12_345, 1_000_000]) {
      const mid = binMiddleUs(binOf(us));
      assert.ok(Math.abs(mid - us) / us < 0.095, `${us} µs → ${mid}`);
    }
  });

  it('records by parity, held bucket and interval', () => {
    const f = new ConnectFill(100, 'connect-call');
    for (const [port, t, held, us] of stream(200)) f.record(t, port, held, us);
    const d = f.cells();
    assert.equal(d.parity.even.connections, 100);
    assert.equal(d.parity.odd.connections, 100);
    assert.equal(d.parity.odd.minHeld, 101);
    assert.equal(d.parity.even.minHeld, 1);
    assert.equal(countOf(d.histograms.even), 100);
    const even = collect(d.byHeld, () => true, 0);
    const odd = collect(d.byHeld, () => true, 1);
    assert.equal(even.count, 100);
    assert.ok(binPercentileMs(odd, 50)! > 10 * binPercentileMs(even, 50)!);
    // Held 1…200 in buckets of HELD_BUCKET_PORTS; times 0…338 ms in 100 ms intervals.
    assert.deepEqual([...new Set(d.byHeld.filter((_, k) => k % 4 === 0))], [0, 1, 2, 3].filter((b) => b * HELD_BUCKET_PORTS <= 200));
    assert.equal(d.heldMax.length, 4);
    assert.equal(d.heldMax[3], 200);
    // The hand-over scans held buckets up to the highest reached, the last one included (more
    // ports held than a range can have are counted there); absorbing carries that bound over.
    f.record(400, 40001, 70_000, 900);
    const top = f.cells().byHeld;
    assert.deepEqual(top.slice(-4), [65536 / HELD_BUCKET_PORTS - 1, 1, binOf(900), 1]);
    const copy = new ConnectFill(100, 'connect-call');
    copy.absorb(f.cells());
    assert.deepEqual(copy.cells().byHeld, top);
  });

  it('threads: two recorders absorbed into one give exactly the cells of one recorder', () => {
    const all = stream(1000);
    const whole = new ConnectFill(100, 'connect-call');
    const a = new ConnectFill(100, 'connect-call');
    const b = new ConnectFill(100, 'connect-call');
    all.forEach(([port, t, held, us], i) => {
      whole.record(t, port, held, us);
      (i % 3 === 0 ? a : b).record(t, port, held, us);
    });
    const merged = new ConnectFill(100, 'established');
    merged.absorb(a.cells(), 0, true);
    merged.absorb(b.cells(), 0, true);
    const m = merged.cells();
    const w = whole.cells();
    assert.equal(m.measure, 'connect-call', 'an empty recorder takes the threads\' measure');
    const sorted = (quads: number[]) => {
      const rows: string[] = [];
      for (let k = 0; k < quads.length; k += 4) rows.push(quads.slice(k, k + 4).join(','));
      return rows.sort();
    };
    assert.deepEqual(sorted(m.byHeld), sorted(w.byHeld));
    assert.deepEqual(sorted(m.byTime), sorted(w.byTime));
    assert.deepEqual(m.heldMax, w.heldMax);
    assert.deepEqual(m.parity, w.parity);
    assert.equal(countOf(m.histograms.odd), countOf(w.histograms.odd));
  });

  it('processes: an offset clock moves the intervals, and separate ports add their held peaks', () => {
    const a = new ConnectFill(100, 'connect-call');
    const b = new ConnectFill(100, 'connect-call');
    a.record(50, 40000, 10, 12);
    b.record(50, 40000, 7, 12);
    const merged = new ConnectFill(100, 'connect-call');
    merged.absorb(a.cells(), 0, false);
    merged.absorb(b.cells(), 0, false);
    assert.deepEqual(merged.cells().heldMax, [17]);
    const later = new ConnectFill(100, 'connect-call');
    later.absorb(a.cells(), 0, false);
    later.absorb(b.cells(), 250, false);
    const d = later.cells();
    // An interval moves by its start (0 + 250 ms → the interval from 200 ms), as the driver series do in a merge.
    assert.deepEqual(d.heldMax, [10, 0, 7]);
    assert.equal(d.parity.even.firstAtMs, 50);
    assert.equal(d.byTime.filter((_, k) => k % 4 === 0).join(','), '0,2');
  });

  it('refuses cells of another layout', () => {
    const f = new ConnectFill(100, 'connect-call');
    const d = { ...f.cells(), heldBucketPorts: 128 };
    assert.throws(() => f.absorb(d), /128 ports/);
  });
});
