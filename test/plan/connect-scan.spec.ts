// The capacity model's connect() port walk: past half the range every connect() walks one
// parity of it, so the client's threads bound the rate below ports ÷ 60 s when the walk is
// dear. Known answers from the formula; the calibration from a real run is held against that
// run's measured rate in test/run/connect-cliff.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computePlan, type PlanInputs } from '../../src/plan/index.js';
import { renderPlan } from '../../src/plan/render.js';
import { connectScanFromResult } from '../../src/plan/connect-calibration.js';
import { ConnectFill } from '../../src/metrics/connect-fill.js';
import { connectFillData } from '../../src/result/connect-fill-data.js';
import { percentilesMs } from '../../src/metrics/histograms.js';
import { cliffPools, connectFillSummary } from '../../src/result/connect-cliff.js';
import type { RunResult } from '../../src/result/model.js';
import { makeResult } from '../report/make-result.js';
import { DEFAULT_PLAN_INPUTS } from './plan-inputs.js';

const DEFAULTS = DEFAULT_PLAN_INPUTS;
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

/**
 * A run's connect-fill figures as build.ts makes them: `n` connects into an `n`-port range from
 * 40000, one a millisecond from run time 200, even ports first as the kernel hands them out,
 * held = connects so far; each connect takes `usOf(odd)` µs. The load ends `tailMs` after the last.
 */
function cliffRun(n: number, usOf: (odd: boolean) => number, edit: (r: RunResult) => void = () => {}, tailMs = 0): RunResult {
  return makeResult((r) => {
    const f = new ConnectFill(100, 'connect-call');
    for (let i = 0; i < n; i++) {
      const odd = i >= n / 2;
      f.record(200 + i, 40000 + (odd ? 2 * (i - n / 2) + 1 : 2 * i), i + 1, usOf(odd));
    }
    const range = { low: 40000, high: 40000 + n - 1, size: n };
    r.summary.ports.range = range;
    r.environment.sysctls['net.ipv4.ip_local_port_range'] = `${range.low} ${range.high}`;
    r.environment.cpus = 2;
    r.load = { startMs: 200, endMs: 200 + n + tailMs };
    r.summary.connections.established = n;
    r.connectFill = connectFillData(f);
    r.summary.connectFill = connectFillSummary(r.connectFill, range, percentilesMs(f.even), percentilesMs(f.odd), true);
    f.even.destroy();
    f.odd.destroy();
    edit(r);
  });
}

describe('plan --from: calibrating the walk from a run\'s cliff', () => {
  it('the rate past the cliff ends when the ports ran out, not with the back-off after it', () => {
    // 4,000 connects, one a ms: 2,000 after the cliff in 2,000 ms = 1,000/s. Then 8 s of back-off
    // before the load ended (an audit: counted in, it read 200/s).
    const r = cliffRun(4000, (odd) => (odd ? 600 : 12), (x) => (x.summary.ports.exhaustedAtMs = 200 + 4000), 8000);
    const scan = connectScanFromResult(r)!;
    assert.ok(scan !== null);
    assert.ok(scan.inputs.perPortUs > 0.25 && scan.inputs.perPortUs < 0.35, String(scan.inputs.perPortUs));
    assert.ok(Math.abs(scan.measuredPerSec - 1000) < 60, String(scan.measuredPerSec));
    // No exhaustion recorded: the last connection ends it.
    const noExhaustion = connectScanFromResult(cliffRun(4000, (odd) => (odd ? 600 : 12), () => {}, 8000))!;
    assert.ok(Math.abs(noExhaustion.measuredPerSec - 1000) < 60, String(noExhaustion.measuredPerSec));
  });

  it('no calibration from a second parity no slower than the first: 0 µs per port is no walk', () => {
    // Noise made the odd ports a little faster; clamped to 0 it predicted a free walk.
    assert.equal(connectScanFromResult(cliffRun(4000, (odd) => (odd ? 10 : 12))), null);
  });

  it('held ports are counted per destination: two destinations at a 50 % "cliff" are each only a quarter held, no calibration', () => {
    const two = cliffRun(4000, (odd) => (odd ? 600 : 12), (x) => {
      x.scenario = { ...x.scenario, server: { ...x.scenario.server, ports: 2 } } as RunResult['scenario'];
    });
    const pools = cliffPools(two)!;
    assert.equal(pools.destinations, 2);
    assert.ok(pools.heldPerPool >= 950 && pools.heldPerPool <= 1000, String(pools.heldPerPool));
    assert.ok(pools.fillPerPool! < 0.26);
    assert.ok(pools.connectionsBefore >= 1900 && pools.connectionsBefore <= 2000, String(pools.connectionsBefore));
    assert.equal(connectScanFromResult(two), null);
    // One destination, the same run: half held, calibrated.
    assert.ok(cliffPools(cliffRun(4000, (odd) => (odd ? 600 : 12)))!.fillPerPool! >= 0.45);
  });
});
