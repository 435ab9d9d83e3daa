// The capacity model's connect() port walk: past half the range every connect() walks one
// parity of it, so the client's threads bound the rate below ports ÷ 60 s when the walk is
// dear. Known answers from the formula; the calibration from a real run is held against that
// run's measured rate in test/run/connect-cliff.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computePlan, type PlanInputs } from '../../src/plan/index.js';
import { renderPlan } from '../../src/plan/render.js';

const DEFAULTS: PlanInputs = {
  portLow: 32768,
  portHigh: 60999,
  reservedPorts: 0,
  timeWaitSec: 60,
  sources: 1,
  destinations: 1,
  twReuse: 0,
  loopback: false,
  twReuseDelaySec: 1,
  keepAliveShare: 0,
  rate: null,
  maxTwBuckets: 262144,
  closer: 'client',
  bindBeforeConnect: false,
  twSockBytes: 256,
};
// Measured here (connect-slows-as-range-fills): ~0.27-0.35 µs per held port walked, ~400 µs of
// client work per connection per thread before the cliff, 2 threads.
const SCAN = { perPortUs: 0.3, baseConnectionUs: 400, threads: 2 };
const plan = (over: Partial<PlanInputs>) => computePlan({ ...DEFAULTS, connectScan: SCAN, ...over });

describe('plan model: connect() walking the range past half', () => {
  it('default range: the walk (14,116 even ports) binds below 28,232 ÷ 60 s', () => {
    const o = plan({ rate: 450 });
    const c = o.connectScan!;
    assert.equal(c.portsWalked, 14_116);
    assert.ok(Math.abs(c.connectExtraUs - 4234.8) < 0.01);
    // 2 threads ÷ (400 + 4,234.8 µs) = 431.5/s, below 470.5/s: sustainable is the walk's rate.
    assert.ok(Math.abs(c.scanLimitedPerSec - 431.52) < 0.01, String(c.scanLimitedPerSec));
    assert.ok(Math.abs(c.halfRangePerSec - 235.27) < 0.01);
    assert.equal(c.sustainablePerSec, c.scanLimitedPerSec);
    assert.ok(o.totalPerSec! > 470 && o.totalPerSec! < 471);
    // 450/s fits the ports but not the walk; half the range is held after 14,116 ÷ 450 s.
    assert.equal(o.fits, false);
    assert.equal(o.exhaustionSec, null);
    assert.ok(Math.abs(c.cliffAfterSec! - 14_116 / 450) < 1e-9);
    assert.ok(o.fixes.some((f) => /stay under half the range: up to 235 new connections\/s/.test(f)));
    assert.ok(o.notes.some((n) => /half held after 31\.4 s; .* walks ~14,116 held ports \(\+4,235 µs each\), so 2 client threads make at most 431 new connections\/s, below the 470\/s the ports allow/.test(n)));
    assert.match(renderPlan({ ...DEFAULTS, connectScan: SCAN, rate: 450 }, {}, o), /past half the range\s+connect\(\) walks ~14,116 held ports/);
  });

  it('below half the range the walk never starts: 200/s fits, no cliff', () => {
    const o = plan({ rate: 200 });
    assert.equal(o.fits, true);
    assert.equal(o.connectScan!.cliffAfterSec, null);
  });

  it('a cheap walk does not limit: sustainable stays ports ÷ 60 s', () => {
    const o = plan({ rate: 450, connectScan: { ...SCAN, perPortUs: 0.01 } });
    assert.equal(o.connectScan!.sustainablePerSec, o.totalPerSec);
    assert.equal(o.fits, true);
  });

  it('a walk dearer than half the range allows: the range sustains half of ports ÷ 60 s', () => {
    const o = plan({ rate: 300, connectScan: { ...SCAN, perPortUs: 2, threads: 1 } });
    assert.ok(o.connectScan!.scanLimitedPerSec < o.connectScan!.halfRangePerSec);
    assert.equal(o.connectScan!.sustainablePerSec, o.connectScan!.halfRangePerSec);
  });

  it('no walk where ports are not held or are taken over: reuse, server-first, RST, bind-before-connect', () => {
    assert.equal(plan({ rate: 450, twReuse: 1 }).connectScan, null);
    assert.equal(plan({ rate: 450, closer: 'server' }).connectScan, null);
    assert.equal(plan({ rate: 450, closer: 'rst' }).connectScan, null);
    assert.equal(plan({ rate: 450, bindBeforeConnect: true }).connectScan, null);
  });

  it('without a measured walk, a rate past half the range gets a note, not a number', () => {
    const o = computePlan({ ...DEFAULTS, rate: 400 });
    assert.equal(o.connectScan, null);
    assert.equal(o.fits, true);
    assert.ok(o.notes.some((n) => /past half the range \(above 235\.2 new connections\/s here\) every connect\(\) walks/.test(n)));
    assert.ok(!computePlan({ ...DEFAULTS, rate: 200 }).notes.some((n) => /past half the range/.test(n)));
  });
});
