import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bothSides, decayOf, isTimerOf } from '../../../src/report/verdict/decay.js';

describe('lifetime from a census curve (verdict/decay.ts)', () => {
  it('rise and fall: half made to half gone, interpolated between census points', () => {
    // 1,000 made between 0.5 s and 1.5 s, all gone between 60.5 s and 61.5 s.
    const t = [0, 500, 1000, 1500, 2500, 60_000, 60_500, 61_000, 61_500, 62_000];
    const v = [0, 0, 500, 1000, 1000, 1000, 1000, 500, 0, 0];
    const d = decayOf(t, v)!;
    assert.equal(d.peak, 1000);
    assert.equal(d.halfUpMs, 1000);
    assert.equal(d.halfDownMs, 61_000);
    assert.equal(d.lifetimeMs, 60_000);
    assert.equal(d.fullAtMs, 1500);
    assert.equal(d.emptyAtMs, 61_500);
    assert.equal(d.resolutionMs, 500);
  });

  it('a crossing between two points lands in proportion to the counts', () => {
    const d = decayOf([0, 1000, 2000, 7000, 8000], [0, 400, 400, 100, 0])!;
    // Half of 400 = 200: halfway up the first second, a third of the way through 2 s → 7 s.
    assert.equal(d.halfUpMs, 500);
    assert.ok(Math.abs(d.halfDownMs - (2000 + (200 / 300) * 5000)) < 1e-9);
    assert.equal(d.resolutionMs, 5000);
  });

  it('nothing to measure: no rise seen from below half, or no fall before the end', () => {
    assert.equal(decayOf([0, 1000], [0, 0]), null);
    assert.equal(decayOf([0, 1000, 2000], [800, 800, 0]), null, 'already full at the first look');
    assert.equal(decayOf([0, 1000, 2000], [0, 800, 600]), null, 'still above half at the end');
  });

  it('both sides summed per census point', () => {
    assert.deepEqual(bothSides({ t: [0, 1, 2], client: { TIME_WAIT: [1, 2, 3] }, server: { TIME_WAIT: [0, 5] } }, 'TIME_WAIT'), [1, 7, 3]);
  });
});

describe('isTimerOf: a kernel timer read through the census', () => {
  it('never early beyond the census resolution, late by at most the granule of this HZ (tcp-facts.ts timerLateSeconds)', () => {
    // Measured here (HZ 250): TIME_WAIT 60.2-61.9 s; a 60 s timer may fire up to 4.096 s late at HZ 1000.
    assert.equal(isTimerOf(61_863, 60_000, 407, 250), true);
    assert.equal(isTimerOf(64_096, 60_000, 0, 1000), true);
    // 64.1 s is no 60 s timer at HZ 250 (2.048 s late at most, 1 s of slack): something held it.
    assert.equal(isTimerOf(64_096, 60_000, 0, 250), false);
    // Not known: the latest any HZ fires it (5.12 s, at HZ 100).
    assert.equal(isTimerOf(66_000, 60_000, 0, null), true);
    assert.equal(isTimerOf(59_500, 60_000, 250, 250), true);
    assert.equal(isTimerOf(57_000, 60_000, 250, 250), false, 'early: something ended it');
    assert.equal(isTimerOf(69_000, 60_000, 250, null), false, 'beyond a granule: not this timer');
    assert.equal(isTimerOf(5_080, 5_000, 250, 250), true);
    assert.equal(isTimerOf(60_300, 5_000, 250, null), false, 'a 60 s FIN_WAIT2 is not tcp_fin_timeout=5');
  });
});
