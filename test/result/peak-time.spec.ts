import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contributorsLastClose, lastCloseMs, timeWaitPeakTime } from '../../src/result/peak-time.js';
import { makeResult } from '../report/make-result.js';

describe('when TIME_WAIT peaked (result/peak-time.ts)', () => {
  // A 0.4 s run sampled every 100 ms with a 1 s census: the census sees 0 then 3,000 at 1.1 s.
  const census = { t: [0, 1100], timeWait: [0, 3000] };
  const sockstat = { t: [0, 100, 200, 300, 400, 500, 600, 1100], tw: [0, 700, 1500, 2300, 2900, 3000, 3000, 3000] };

  it('reads the fast sockstat curve, not the census tick that came after the load', () => {
    assert.equal(timeWaitPeakTime({ census, sockstat, lastCloseMs: null }), 500);
  });

  it('moves back to the last close when it fell between the two samples around the peak', () => {
    assert.equal(timeWaitPeakTime({ census, sockstat, lastCloseMs: 430 }), 430);
    // A last close before the sample that preceded the peak is not the peak's moment (the
    // curve still rose after it: those TIME_WAITs came from the server side closing later).
    assert.equal(timeWaitPeakTime({ census, sockstat, lastCloseMs: 250 }), 500);
    // Or after the peak sample: the sample stands.
    assert.equal(timeWaitPeakTime({ census, sockstat, lastCloseMs: 900 }), 500);
  });

  it('falls back to the census when sockstat saw nothing, and is null when the census saw none', () => {
    const flat = { t: sockstat.t, tw: sockstat.t.map(() => 0) };
    assert.equal(timeWaitPeakTime({ census, sockstat: flat, lastCloseMs: null }), 1100);
    assert.equal(timeWaitPeakTime({ census: { t: [0, 1100], timeWait: [0, 0] }, sockstat, lastCloseMs: 430 }), null);
  });

  it('never lies outside the census curve it describes', () => {
    // sockstat peaking before the census's first point (a baseline taken late) is pulled in.
    const late = { t: [200, 1100], timeWait: [10, 3000] };
    assert.equal(timeWaitPeakTime({ census: late, sockstat: { t: [0, 100, 150], tw: [5, 3000, 3000] }, lastCloseMs: null }), 200);
  });

  it('the last close is the end of the last interval with a close, capped at the load end', () => {
    const driver = { intervalMs: 100, columns: { completed: [5, 5, 5, 2, 0, 0], failed: [0, 0, 0, 0, 1, 0] } };
    assert.equal(lastCloseMs(driver, 10_000), 500);
    assert.equal(lastCloseMs(driver, 430), 430);
    assert.equal(lastCloseMs({ intervalMs: 100, columns: {} }, 430), null);
  });

  it("results that ran together: each one's own last close on the common clock, not the re-bucketed sum's", () => {
    // An audit: a merge's peak fell 77 ms after its load's end, its last close read from series
    // re-bucketed to the common grid (up to an interval early) and so never pulled back to.
    const run = (lastBucket: number, endMs: number) =>
      makeResult((x) => {
        x.load = { startMs: 0, endMs };
        x.series.driver = { intervalMs: 100, t: [0, 100, 200, 300, 400], columns: { completed: [1, 1, 1, 1, 1].map((v, i) => (i <= lastBucket ? v : 0)) } };
      });
    // a closed last at 400 ms of its clock, b at 300 ms of its own, which began 170 ms later.
    assert.equal(contributorsLastClose([run(3, 450), run(2, 320)], [0, 170], 10_000), 470);
    // Capped at the merged load's end; null when none closed.
    assert.equal(contributorsLastClose([run(3, 450), run(2, 320)], [0, 170], 460), 460);
    assert.equal(contributorsLastClose([run(-1, 450)], [0], 10_000), null);
  });
});
