// The driver's pieces without sockets: back-off, endpoint choice, and the two load shapes
// against a launch function that only records when it was called.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/driver/backoff.js';
import { endpointPicker } from '../../src/driver/endpoints.js';
import { closedLoop, openLoop, runShaped, type Launch } from '../../src/driver/load-shape.js';
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
});

describe('endpointPicker', () => {
  it('spreads destinations and sources round-robin and walks the local port range', () => {
    const next = endpointPicker({
      ports: [7000, 7001],
      sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      bind: true,
      localPorts: [40000, 40001],
      reuseAddr: true,
      bindAddressNoPort: false,
    });
    const picks = Array.from({ length: 4 }, next);
    assert.deepEqual(picks.map((p) => p.port), [7000, 7001, 7000, 7001]);
    assert.deepEqual(picks.map((p) => p.bind?.localAddress), ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.2']);
    assert.deepEqual(picks.map((p) => p.bind?.localPort), [40000, 40001, 40000, 40001]);
  });

  it('a plain connect needs no bind; a source address alone defers the port to connect()', () => {
    const plain = endpointPicker({ ports: [7000], sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false });
    assert.deepEqual(plain(), { port: 7000, bind: null });
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
    const started = await closedLoop(5, { count: 40, deadlineMs: clock() + 10_000, signal: new AbortController().signal }, clock, launch);
    assert.equal(started, 40);
    assert.equal(peak, 5);
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

  it('runShaped stops at the deadline, and an abort stops it at once and cuts what is in flight', async () => {
    const launch: Launch = async () => {
      await sleep(1);
      return { ok: true };
    };
    const plan = { count: 1_000_000, durationMs: 100, concurrency: 4, rate: null, maxInFlight: 10, interruptGraceMs: 10 };
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
});
