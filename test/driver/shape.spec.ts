// The driver's pieces without sockets: back-off, endpoint choice, and the two load shapes
// against a launch function that only records when it was called.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/driver/backoff.js';
import { endpointPicker } from '../../src/driver/endpoints.js';
import { namedPortCycle } from '../../src/scenario/port-pools.js';
import { runShaped, type Launch } from '../../src/driver/shape/index.js';
import { constantClosedLoop } from '../../src/driver/shape/closed-constant.js';
import { rampingClosedLoop } from '../../src/driver/shape/closed-ramping.js';
import { openLoop } from '../../src/driver/shape/open.js';
import { compileRamp, concurrencyAt, firstWindowReaching, startsDueBy, startTimeOf, targetAt, timeConcurrencyReaches } from '../../src/driver/shape/ramp.js';
import { runClock, sleep } from '../../src/util/clock.js';
import { performance } from 'node:perf_hooks';

describe('Backoff', () => {
  it('doubles on resource errors up to its cap, ignores other errors, resets on success', () => {
    const b = new Backoff(1, 8);
    b.failed('ECONNRESET', 0);
    assert.equal(b.waitMs(0), 0, 'a reset is not a shortage');
    for (const expected of [1, 2, 4, 8, 8]) {
      b.failed('EADDRNOTAVAIL', 100);
      assert.equal(b.waitMs(100), expected);
    }
    b.succeeded();
    assert.equal(b.waitMs(100), 0);
  });

  it('settled(): only a failed bind or connect backs off; a success clears it', () => {
    const b = new Backoff(1, 8);
    b.settled({ ok: false, code: 'EADDRNOTAVAIL', phase: 'read' }, 0);
    assert.equal(b.waitMs(0), 0, 'a failure on an established connection is no shortage');
    b.settled({ ok: false, code: 'EADDRNOTAVAIL', phase: 'connect' }, 0);
    assert.equal(b.waitMs(0), 1);
    b.settled({ ok: true }, 0);
    assert.equal(b.waitMs(0), 0);
    // bind() out of ports is the same shortage (an audit: a closed loop spun on it).
    b.settled({ ok: false, code: 'EADDRINUSE', phase: 'bind' }, 0);
    assert.equal(b.waitMs(0), 1);
  });
});

describe('endpointPicker', () => {
  it('meets every (address, destination) pair: destinations round-robin, the address advancing after each round', () => {
    // Round-robin of both (i mod 2, i mod 2) met 2 of the 4 pairs: 2 addresses × 2 server ports
    // used 2 ephemeral ranges, not 4 (a run: 200 of 400 connections).
    const next = endpointPicker({ ports: [7000, 7001], sourceAddresses: ['127.0.0.2', '127.0.0.3'], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false });
    const picks = Array.from({ length: 4 }, next);
    assert.deepEqual(picks.map((p) => `${p.bind?.localAddress}>${p.port}`), ['127.0.0.2>7000', '127.0.0.2>7001', '127.0.0.3>7000', '127.0.0.3>7001']);
  });

  it('named ports: port fastest, then address, then destination', () => {
    const next = endpointPicker({
      ports: [7000, 7001],
      sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      bind: true,
      localPorts: [40000, 40001],
      reuseAddr: true,
      bindAddressNoPort: false,
    });
    const picks = Array.from({ length: 7 }, next);
    assert.deepEqual(picks.map((p) => p.bind?.localPort), [40000, 40001, 40000, 40001, 40000, 40001, 40000]);
    assert.deepEqual(picks.map((p) => p.bind?.localAddress), ['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3', '127.0.0.4', '127.0.0.4', '127.0.0.2']);
    assert.deepEqual(picks.map((p) => p.port), [7000, 7000, 7000, 7000, 7000, 7000, 7001]);
    assert.deepEqual(picks.map((p) => p.destination), [0, 0, 0, 0, 0, 0, 1], 'the index of its port');
  });

  it('named ports make the pairs and 4-tuples namedPortCycle counts (plan models them): every combination', () => {
    for (const [sources, ports, destinations] of [[1, 100, 2], [1, 101, 2], [2, 100, 2], [2, 101, 1], [3, 4, 6], [4, 6, 9]] as const) {
      const plan = {
        ports: Array.from({ length: destinations }, (_, i) => 7000 + i),
        sourceAddresses: Array.from({ length: sources }, (_, i) => `127.0.0.${i + 2}`),
        bind: true,
        localPorts: [40000, 40000 + ports - 1] as [number, number],
        reuseAddr: true,
        bindAddressNoPort: false,
      };
      const next = endpointPicker(plan);
      const picks = Array.from({ length: sources * ports * destinations }, next);
      const pairs = new Set(picks.map((e) => `${e.bind!.localAddress}:${e.bind!.localPort}`));
      const fourTuples = new Set(picks.map((e) => `${e.bind!.localAddress}:${e.bind!.localPort}>${e.port}`));
      assert.deepEqual(namedPortCycle(sources, ports, destinations), { pairs: pairs.size, fourTuples: fourTuples.size }, `${sources} × ${ports} × ${destinations}`);
      // The first sources × ports connections bind every pair once: all of them before any repeats.
      assert.equal(new Set(picks.slice(0, sources * ports).map((e) => `${e.bind!.localAddress}:${e.bind!.localPort}`)).size, sources * ports);
    }
  });

  it('a plain connect needs no bind; a source address alone defers the port to connect()', () => {
    const plain = endpointPicker({ ports: [7000], sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false });
    assert.deepEqual(plain(), { port: 7000, destination: 0, bind: null });
    const sourced = endpointPicker({ ports: [7000], sourceAddresses: ['127.0.0.2'], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false });
    assert.equal(sourced().bind?.bindAddressNoPort, true);
  });
});

describe('load shapes', () => {
  const epoch = performance.timeOrigin + performance.now();
  const clock = runClock(epoch);

  it('closed loop: never more than `concurrency` in flight, exactly `count` started', async () => {
    let inFlight = 0;
    let peak = 0;
    const launch: Launch = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(2);
      inFlight--;
      return { ok: true };
    };
    const started = await constantClosedLoop(5, { count: 40, deadlineMs: clock() + 10_000, signal: new AbortController().signal }, clock, launch);
    assert.equal(started, 40);
    assert.equal(peak, 5);
  });

  it('closed loop: workers back off together while connects fail for want of ports', async () => {
    // Every connect fails with EADDRNOTAVAIL at once. One back-off shared by the four workers
    // doubles with every failure (1, 2, 4 … 100 ms) and lets ~1 start through per step: the
    // first 4 at once (the back-off is then 8 ms), and the 5th to 8th only after 8 + 16 + 32 +
    // 64 ms more. With one back-off per worker, 12 starts are 3 per worker, ~3 ms of waiting;
    // with none, no wait at all. Held as a floor on the time 12 starts take, not as starts per
    // time window: a sleep is never shorter than asked, however busy the machine (a 300 ms
    // window once saw only the first 4 at --test-concurrency=6, the process starved of CPU).
    const launch: Launch = async () => ({ ok: false, code: 'EADDRNOTAVAIL', phase: 'connect' });
    const t0 = clock();
    const started = await constantClosedLoop(4, { count: 12, deadlineMs: t0 + 60_000, signal: new AbortController().signal }, clock, launch);
    const tookMs = clock() - t0;
    assert.equal(started, 12);
    assert.ok(tookMs >= 8 + 16 + 32 + 64, `12 failing starts took ${tookMs.toFixed(1)} ms`);
  });

  it('closed loop: 64 workers waiting out one back-off on one signal is no listener leak (no Node warning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const launch: Launch = async () => ({ ok: false, code: 'EADDRNOTAVAIL', phase: 'connect' });
      const started = await constantClosedLoop(64, { count: 200, deadlineMs: clock() + 150, signal: new AbortController().signal }, clock, launch);
      assert.ok(started >= 64, `${started} started`);
      // Node emits the warning on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
  });

  it('closed loop: an abort starts nothing more, and the loop ends when the work in flight does', async () => {
    let inFlight = 0;
    const launch: Launch = async () => {
      inFlight++;
      await sleep(60);
      inFlight--;
      return { ok: true };
    };
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 20);
    const started = await constantClosedLoop(3, { count: 1000, deadlineMs: clock() + 10_000, signal: abort.signal }, clock, launch);
    assert.equal(started, 3, 'the first three, none after the abort');
    assert.equal(inFlight, 0, 'it waited for them');
  });

  it('ramping closed loop: the deadline and an abort stop new starts', async () => {
    const launch: Launch = async () => {
      await sleep(2);
      return { ok: true };
    };
    const stages = [{ duration: 10_000, target: 8 }];
    const t0 = clock();
    const byDeadline = await rampingClosedLoop(1, { count: 1_000_000, deadlineMs: t0 + 100, signal: new AbortController().signal }, clock, launch, stages);
    assert.ok(byDeadline > 0 && clock() - t0 < 1000, `${byDeadline} starts, ended ${clock() - t0} ms in`);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const t1 = clock();
    await rampingClosedLoop(1, { count: 1_000_000, deadlineMs: t1 + 60_000, signal: abort.signal }, clock, launch, stages);
    assert.ok(clock() - t1 < 1000, `ended ${clock() - t1} ms after the start, the abort came at 50 ms`);
  });

  it('open loop: starts on schedule and passes each start its intended time', async () => {
    const intended: number[] = [];
    const launch: Launch = async (t) => {
      intended.push(t);
      return { ok: true };
    };
    const t0 = clock();
    const started = await openLoop(200, 100, { count: 20, deadlineMs: t0 + 10_000, signal: new AbortController().signal }, clock, launch);
    assert.equal(started, 20);
    // 200/s: one every 5 ms, measured from the loop's own origin.
    for (let i = 1; i < intended.length; i++) assert.ok(Math.abs(intended[i]! - intended[i - 1]! - 5) < 1e-6);
    assert.ok(clock() - t0 >= 90, 'the schedule was kept, not rushed');
  });

  it('open loop: a ramp down to 0 holds its last target until the deadline, as the engine does, and an abort still ends it', async () => {
    // 1000/s → 0 over 20 ms: starts 0 to 10 (the 10th is due as the area reaches 10, at 20 ms), then none. The load lasts its duration (README:
    // "its target holds until duration ... ends the load"); it once ended after the 10th start,
    // its result saying the duration stopped it. A sleep is never shorter than asked: a floor.
    const launch: Launch = async () => ({ ok: true });
    const stages = [{ duration: 20, target: 0 }];
    const t0 = clock();
    const started = await openLoop(1000, 100, { count: 1_000_000, deadlineMs: t0 + 150, signal: new AbortController().signal }, clock, launch, stages);
    assert.equal(started, 11);
    assert.ok(clock() - t0 >= 148, `returned ${(clock() - t0).toFixed(1)} ms in, before the 150 ms deadline`);
    // A flat rate whose next start lies past the deadline waits for it too.
    const t1 = clock();
    assert.equal(await openLoop(5, 100, { count: 1_000_000, deadlineMs: t1 + 100, signal: new AbortController().signal }, clock, launch), 1);
    assert.ok(clock() - t1 >= 98, `flat 5/s returned ${(clock() - t1).toFixed(1)} ms in, before the 100 ms deadline`);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const t2 = clock();
    await openLoop(1000, 100, { count: 1_000_000, deadlineMs: t2 + 60_000, signal: abort.signal }, clock, launch, stages);
    assert.ok(clock() - t2 < 5_000, `an abort ended the wait ${(clock() - t2).toFixed(0)} ms in`);
  });

  it('runShaped stops at the deadline, and an abort stops it at once and cuts what is in flight', async () => {
    const launch: Launch = async () => {
      await sleep(1);
      return { ok: true };
    };
    const plan = { count: 1_000_000, durationMs: 100, concurrency: 4, rate: null, maxInFlight: 10, interruptGraceMs: 10, gracefulStopMs: 30_000 };
    const byDeadline = await runShaped(plan, clock, new AbortController().signal, launch, () => undefined);
    assert.equal(byDeadline.stoppedBy, 'duration');

    const abort = new AbortController();
    let cut = false;
    setTimeout(() => abort.abort(), 50);
    const t0 = clock();
    const interrupted = await runShaped({ ...plan, durationMs: 60_000, rate: 10 }, clock, abort.signal, launch, () => (cut = true));
    assert.equal(interrupted.stoppedBy, 'interrupted');
    assert.ok(clock() - t0 < 1000, 'a pending open-loop sleep does not hold the abort up');
    await sleep(30);
    assert.ok(cut, 'in-flight work is cut after the grace');
  });

  it('duration + gracefulStop bounds the load: work still in flight then is cut, whatever its own timers', async () => {
    // Connections that would end only when cut (a server that never closes, a 10 min idle timeout).
    const open = new Set<() => void>();
    const launch: Launch = () => new Promise((resolve) => open.add(() => resolve({ ok: false, code: 'CUT_AT_STOP', phase: 'read' })));
    let cuts = 0;
    const cut = (): void => {
      cuts++;
      for (const end of open) end();
      open.clear();
    };
    const t0 = clock();
    const plan = { count: 3, durationMs: 30, concurrency: 3, rate: null, maxInFlight: 10, interruptGraceMs: 10, gracefulStopMs: 40 };
    const out = await runShaped(plan, clock, new AbortController().signal, launch, cut);
    const took = clock() - t0;
    assert.equal(cuts, 1);
    assert.equal(out.started, 3);
    assert.ok(took >= 65 && took < 5_000, `ended at duration + gracefulStop (70 ms), took ${took.toFixed(0)} ms`);

    // Work that ends within the grace is never cut.
    let cutLate = 0;
    const quick: Launch = async () => {
      await sleep(5);
      return { ok: true };
    };
    await runShaped({ ...plan, count: 1 }, clock, new AbortController().signal, quick, () => cutLate++);
    await sleep(80);
    assert.equal(cutLate, 0, 'the stop timer is cleared when the load ends');
  });
});

// The ramp schedule is pure arithmetic on run-relative milliseconds: exact values, no clock.
describe('ramp schedule (stages)', () => {
  const near = (actual: number, expected: number, what: string): void =>
    assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} is not ${expected}`);

  it('without stages the target is flat and starts come at the fixed interval', () => {
    const flat = compileRamp(200);
    assert.equal(targetAt(flat, 0), 200);
    assert.equal(targetAt(flat, 1e9), 200);
    for (const n of [0, 1, 2, 10, 1000]) near(startTimeOf(flat, n), n * 5, `start ${n}`);
    near(startsDueBy(flat, 1000), 200, 'starts in 1 s');
  });

  it('moves linearly from the start value through each stage, then holds the last target', () => {
    const ramp = compileRamp(100, [
      { duration: 10_000, target: 1100 },
      { duration: 0, target: 50 },
      { duration: 5000, target: 50 },
    ]);
    assert.equal(targetAt(ramp, 0), 100);
    assert.equal(targetAt(ramp, 5000), 600);
    assert.equal(targetAt(ramp, 9999.5), 1099.95);
    assert.equal(targetAt(ramp, 10_000), 50, 'a stage of 0 jumps');
    assert.equal(targetAt(ramp, 12_000), 50);
    assert.equal(targetAt(ramp, 60_000), 50, 'holds after the last stage');
  });

  it('open loop: starts due are the area under the rate, and startTimeOf inverts it', () => {
    // 0 → 1000/s over 10 s: 5000 starts in the ramp, then 1000/s.
    const ramp = compileRamp(0, [{ duration: 10_000, target: 1000 }]);
    near(startsDueBy(ramp, 10_000), 5000, 'area of the ramp');
    near(startsDueBy(ramp, 5000), 1250, 'a quarter of it by half-time (rate grows linearly)');
    near(startsDueBy(ramp, 11_000), 6000, 'then 1000/s');
    // n = t²/20000 (t in ms) inside the ramp: start 1250 at 5 s, start 5000 at 10 s.
    near(startTimeOf(ramp, 1250), 5000, 'start 1250');
    near(startTimeOf(ramp, 5000), 10_000, 'start 5000');
    near(startTimeOf(ramp, 6000), 11_000, 'start 6000, after the ramp');
    for (const n of [1, 7, 100, 4999, 5001, 123_456]) near(startsDueBy(ramp, startTimeOf(ramp, n)), n, `round trip ${n}`);
    let previous = -1;
    for (let n = 0; n < 8000; n += 37) {
      const t = startTimeOf(ramp, n);
      assert.ok(t > previous || n === 0, 'start times never go backwards');
      previous = t;
    }
  });

  it('open loop: when n starts first fall within a sliding window (a pool of n ports held that long)', () => {
    // Flat 500/s: 500 starts within any 60 s window after 1 s; 1,000 never fit in a 1 s window.
    near(firstWindowReaching(compileRamp(500), 60_000, 500)!, 1000, 'flat, inside the window');
    assert.equal(firstWindowReaching(compileRamp(500), 1000, 1000), null);
    near(firstWindowReaching(compileRamp(500), 1000, 500)!, 1000, 'exactly the window: a port is asked for again as its hold ends');
    // ramp-to-exhaustion: 20 → 500/s over 15 s, 1,000 ports held 60 s: 20·t + 16·t² = 1,000 (measured 7,305.4 ms).
    const ramp = compileRamp(20, [{ duration: 15_000, target: 500 }]);
    near(firstWindowReaching(ramp, 60_000, 1000)!, startTimeOf(ramp, 1000), 'within the window it is the start time');
    assert.equal(Math.round(firstWindowReaching(ramp, 60_000, 1000)! * 10) / 10, 7305.4, 'ramp-to-exhaustion');
    // A window shorter than the ramp: 0 → 1000/s over 10 s holds (t² − (t − 1000)²) ÷ 20,000 = t/10 − 50 starts in 1 s: 300 at 3.5 s.
    const slope = compileRamp(0, [{ duration: 10_000, target: 1000 }]);
    const t = firstWindowReaching(slope, 1000, 300)!;
    near(startsDueBy(slope, t) - startsDueBy(slope, t - 1000), 300, 'the window holds 300 then');
    near(t, 3500, 'at 3.5 s');
    // A spike that passes: up to 1000/s for 1 s and back, 2,000 never fall within a 60 s window.
    const spike = compileRamp(10, [{ duration: 500, target: 1000 }, { duration: 500, target: 10 }]);
    assert.equal(firstWindowReaching(spike, 60_000, 2000), null);
    // 505 starts in its first second, then 10/s: 600 within the window at 10.5 s.
    near(firstWindowReaching(spike, 60_000, 600)!, 10_500, 'the spike and the held target together');
    // A window that only the held target fills: 10/s × 2 s = 20, reached once the spike has left the window.
    const window2 = firstWindowReaching(compileRamp(10, [{ duration: 500, target: 10 }]), 2000, 20)!;
    near(window2, 2000, 'flat 10/s fills 2 s with 20 at 2 s');
  });

  it('open loop: a ramp down to 0 ends the starts; none is ever due after', () => {
    const ramp = compileRamp(1000, [{ duration: 2000, target: 0 }]);
    near(startsDueBy(ramp, 2000), 1000, 'the triangle');
    near(startTimeOf(ramp, 500), 2000 - Math.SQRT2 * 1000, 'half the triangle');
    assert.ok(startTimeOf(ramp, 999.999) <= 2000);
    assert.equal(startTimeOf(ramp, 1001), Infinity);
  });

  it('closed loop: whole connections in flight, and when the ramp next allows one more', () => {
    const ramp = compileRamp(1, [{ duration: 9000, target: 10 }, { duration: 1000, target: 2 }]);
    assert.equal(concurrencyAt(ramp, 0), 1);
    assert.equal(concurrencyAt(ramp, 999), 1);
    assert.equal(concurrencyAt(ramp, 1000), 2);
    assert.equal(concurrencyAt(ramp, 9000), 10);
    assert.equal(concurrencyAt(ramp, 9500), 6);
    assert.equal(concurrencyAt(ramp, 20_000), 2);
    near(timeConcurrencyReaches(ramp, 2, 0), 1000, 'level 2');
    near(timeConcurrencyReaches(ramp, 5, 1500), 4000, 'level 5');
    assert.equal(timeConcurrencyReaches(ramp, 3, 5000), 5000, 'already there');
    assert.equal(timeConcurrencyReaches(ramp, 11, 0), Infinity, 'never above the highest target');
    assert.equal(timeConcurrencyReaches(ramp, 7, 9600), Infinity, 'not again once the ramp goes down for good');
  });

  it('closed loop with stages: in flight follows the ramp, never above it', async () => {
    const epoch = performance.timeOrigin + performance.now();
    const rampClock = runClock(epoch);
    const stages = [{ duration: 200, target: 6 }];
    let inFlight = 0;
    const seen: Array<{ t: number; inFlight: number }> = [];
    const origin = rampClock();
    const launch: Launch = async () => {
      inFlight++;
      seen.push({ t: rampClock() - origin, inFlight });
      await sleep(5);
      inFlight--;
      return { ok: true };
    };
    const started = await rampingClosedLoop(1, { count: 200, deadlineMs: rampClock() + 10_000, signal: new AbortController().signal }, rampClock, launch, stages);
    assert.equal(started, 200);
    const ramp = compileRamp(1, stages);
    // The loop reads the clock just before launching, so the ramp at that moment bounds what it started.
    for (const s of seen) assert.ok(s.inFlight <= concurrencyAt(ramp, s.t + 1), `${s.inFlight} in flight at ${s.t} ms`);
    assert.equal(Math.max(...seen.map((s) => s.inFlight)), 6, 'reaches the last target');
  });
});
