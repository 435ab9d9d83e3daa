import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initHistograms } from '../../src/metrics/histograms.js';
import { PortTracker } from '../../src/metrics/port-tracker.js';

describe('PortTracker', () => {
  before(initHistograms);

  it('counts distinct ports, reused ports and reuse events', () => {
    const t = new PortTracker();
    t.opened(40000, 0);
    t.opened(40002, 5);
    t.opened(40000, 1005); // back after 1,005 ms
    t.opened(40000, 3005); // and again after 2,000 ms
    t.opened(40004, 4000);
    const s = t.summary();
    assert.equal(s.distinct, 3);
    assert.equal(s.reused, 1, 'one port carried more than one connection');
    assert.equal(s.reuses, 2);
    assert.equal(s.minReuseIntervalMs, 1005);
    // HdrHistogram keeps 3 significant digits: the median of {1005, 2000} ms is 1005 ms.
    assert.ok(Math.abs(s.medianReuseIntervalMs! - 1005) <= 1, `median ${s.medianReuseIntervalMs}`);
  });

  it('reports nulls, not zeros, for what did not happen', () => {
    const t = new PortTracker();
    t.opened(40000, 0);
    const s = t.summary();
    assert.equal(s.minReuseIntervalMs, null);
    assert.equal(s.medianReuseIntervalMs, null);
    assert.equal(s.exhaustedAtMs, null);
  });

  it('keeps the first exhaustion time', () => {
    const t = new PortTracker();
    t.exhausted(250.04);
    t.exhausted(900);
    assert.equal(t.summary().exhaustedAtMs, 250);
  });

  it('tracks the peak of ports in use at once', () => {
    const t = new PortTracker();
    t.opened(1, 0);
    t.opened(2, 0);
    t.released();
    t.opened(3, 1);
    t.opened(4, 2);
    t.released();
    t.released();
    assert.equal(t.summary().peakInUse, 3);
  });
});

describe('PortTracker with several source addresses', () => {
  before(initHistograms);

  it('counts the same port number on two source addresses as two ports', () => {
    const t = new PortTracker();
    t.opened(40000, 0, '127.0.0.2');
    t.opened(40000, 1, '127.0.0.3');
    t.opened(40000, 2000, '127.0.0.2');
    const s = t.summary();
    assert.equal(s.distinct, 2);
    assert.equal(s.reused, 1);
    assert.equal(s.minReuseIntervalMs, 2000);
  });
});
