import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, openSync, writeSync, closeSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelSampler, type KernelSample } from '../../src/observe/sampler.js';
import { startSamplerHere, startSamplerWorker, sharedNowMs } from '../../src/observe/sampler-thread.js';
import { KEY_COUNTERS } from '../../src/observe/counters.js';

/**
 * Waits until `done()` holds (checked every 5 ms), or fails after `limitMs`: the tests wait for
 * what they assert on, not for a fixed time a busy machine may not honour.
 */
async function until(what: string, done: () => boolean, limitMs = 15_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const FIXTURE_ROOT = fileURLToPath(new URL('../../../test/fixtures/proc', import.meta.url));

function assertWellFormed(samples: KernelSample[]): void {
  assert.ok(samples.length >= 2, `only ${samples.length} samples`);
  assert.ok(samples[0]?.census, 'first sample has no census');
  assert.ok(samples.at(-1)?.census, 'last sample has no census');
  for (let i = 1; i < samples.length; i++) {
    assert.ok((samples[i]?.t ?? 0) > (samples[i - 1]?.t ?? 0), `t not increasing at ${i}`);
  }
  for (const s of samples) {
    assert.deepEqual(Object.keys(s.counters), [...KEY_COUNTERS]);
    assert.equal(typeof s.sockstat.tw, 'number');
    assert.equal(typeof s.sockstat.inuse6, 'number');
  }
}

test('KernelSampler on fixtures: sockstat, counters and census land in the sample', async () => {
  const sampler = new KernelSampler({ sampleMs: 1000, censusMs: 1000, serverPorts: [7000, 7001], root: FIXTURE_ROOT });
  const s = await sampler.sampleNow();
  assert.deepEqual(s.sockstat, { inuse: 3, inuse6: 3, tw: 4, orphan: 0, alloc: 7 });
  assert.equal(s.counters.TcpActiveOpens, 6);
  assert.equal(s.counters.TcpExtTW, 4);
  const { t: censusT, ...sides } = s.census!;
  assert.deepEqual(sides, {
    server: { LISTEN: 2, TIME_WAIT: 2, ESTABLISHED: 2 },
    client: { TIME_WAIT: 2, ESTABLISHED: 2 },
  });
  // The census begins once the cheap files are read: never before the sample's own start.
  assert.ok(censusT >= s.t, `census at ${censusT}, sample at ${s.t}`);
  assert.equal((await sampler.sampleNow({ census: false })).census, undefined);
});

test('KernelSampler start/stop on real /proc: cadence, census ticks, no overlap', async () => {
  const clock = (): number => performance.now();
  const ends: number[] = [];
  const sampler = new KernelSampler({
    sampleMs: 20,
    censusMs: 50, // rounds to 3 ticks = 60 ms
    serverPorts: [7000],
    clock,
    onSample: () => ends.push(performance.now()),
    // The exact cadence: the host's table may be large enough to defer a census otherwise.
    censusBudget: { share: 1, freeMs: Infinity, changeShare: 1 },
  });
  assert.equal(sampler.censusMs, 60);
  sampler.start();
  await sampler.ready;
  // Ten ticks: with a census every third tick, at least three of them carry one.
  await until('10 samples', () => ends.length >= 10);
  const samples = await sampler.stop();
  assertWellFormed(samples);
  assert.ok(samples.length >= 11, `expected the 10 ticks and the final sample, got ${samples.length}`);
  const census = samples.filter((s) => s.census).length;
  assert.ok(census >= 3 && census < samples.length, `census on ${census} of ${samples.length}`);
  // No overlap: every sample starts after the previous one finished.
  for (let i = 1; i < samples.length; i++) {
    assert.ok((samples[i]?.t ?? 0) >= (ends[i - 1] ?? Infinity), `sample ${i} started before ${i - 1} ended`);
  }
  assert.equal(ends.length, samples.length);
  // stop() is idempotent and the timer is gone.
  assert.equal((await sampler.stop()).length, samples.length);
  await sleep(60);
  assert.equal(ends.length, samples.length);
});

test('KernelSampler skips ticks while a read is stuck instead of queueing them', async () => {
  // /proc/net/tcp replaced by a FIFO: the census read blocks until the test writes to it.
  const root = mkdtempSync(join(tmpdir(), 'twstorm-sampler-'));
  const fifo = join(root, 'net', 'tcp');
  const table = readFileSync(join(FIXTURE_ROOT, 'net', 'tcp'));
  // O_RDWR never blocks on a FIFO; the pending reader keeps the written bytes until it reads.
  const feed = (): void => {
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    writeSync(fd, table);
    closeSync(fd);
  };
  /** Writes the table as soon as a reader has the FIFO open (opening for write fails with ENXIO until then). */
  const feedOnceRead = async (): Promise<void> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        writeSync(fd, table);
        closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw err;
        await sleep(5);
      }
    }
  };
  let sampler: KernelSampler | undefined;
  try {
    mkdirSync(join(root, 'net'));
    for (const f of ['tcp6', 'sockstat', 'sockstat6', 'snmp', 'netstat']) copyFileSync(join(FIXTURE_ROOT, 'net', f), join(root, 'net', f));
    execFileSync('mkfifo', [fifo]);
    sampler = new KernelSampler({ sampleMs: 10, censusMs: 100_000, serverPorts: [7000], root });
    sampler.start();
    const blocked = sampler;
    await until('10 ticks skipped while the read is blocked', () => blocked.skippedTicks >= 10);
    const released = performance.now();
    feed();
    await sampler.ready;
    await sleep(100);
    const stopping = sampler.stop();
    // Release the final census once it is blocked on the FIFO. Fed before it opened the FIFO
    // (a fixed 50 ms was not always enough on a busy machine), the bytes were dropped and the
    // census, and the test, waited forever.
    await feedOnceRead();
    const samples = await stopping;
    assertWellFormed(samples);
    // The baseline census was blocked on the FIFO until the release: it is stamped when it
    // began walking the table, not when its counts came back after the release.
    const baseline = samples[0]!.census!;
    assert.ok(baseline.t >= samples[0]!.t && baseline.t < released, `census stamped ${baseline.t}, released at ${released}`);
    // Queued ticks would have fired ~20 samples right after the release.
    const burst = samples.filter((s) => s.t >= released - 1 && s.t < released + 30).length;
    assert.ok(burst <= 4, `${burst} samples within 30 ms of the release`);
    assert.ok(samples.length <= 16, `${samples.length} samples: ticks were queued`);
  } finally {
    // Unblock any read still waiting on the FIFO so the test process can exit.
    try {
      feed();
    } catch {
      /* no FIFO */
    }
    rmSync(root, { recursive: true, force: true });
  }
});

// The same handle, in a worker or on this thread (startSamplerHere: runs whose load is on engine
// threads): both must sample on the caller's time base, stream live samples, and report a
// failure instead of hanging.
for (const [where, start] of [
  ['a worker', startSamplerWorker],
  ['this thread', startSamplerHere],
] as const) {
  test(`sampler in ${where}: samples on the caller's time base`, async () => {
    const epochMs = sharedNowMs();
    let live = 0;
    const handle = start({ sampleMs: 20, censusMs: 60, serverPorts: [7000], epochMs, onSample: () => live++ });
    await handle.ready;
    const readyAt = sharedNowMs() - epochMs;
    await until('5 live samples', () => live >= 5);
    const stopAt = sharedNowMs() - epochMs;
    const samples = await handle.stop();
    assertWellFormed(samples);
    assert.ok(samples.length >= 5, `only ${samples.length} samples`);
    // On the caller's time base: the baseline sample lies between the epoch and `ready`.
    assert.ok((samples[0]?.t ?? -1) >= 0, 'first t before the epoch');
    assert.ok((samples[0]?.t ?? Infinity) <= readyAt, `first t ${samples[0]?.t} after ready (${readyAt})`);
    assert.ok((samples.at(-1)?.t ?? 0) >= stopAt - 1, 'final sample taken before stop()');
    assert.equal(live, samples.length);
    assert.equal((await handle.stop()).length, samples.length);
  });

  test(`sampler in ${where} reports a failure instead of hanging`, async () => {
    const errors: string[] = [];
    const handle = start({
      sampleMs: 20,
      censusMs: 20,
      serverPorts: [],
      root: '/nonexistent-twstorm',
      onError: (m) => errors.push(m),
    });
    await handle.ready;
    const samples = await handle.stop();
    assert.deepEqual(samples, []);
    assert.ok(errors.length >= 2, `errors: ${errors.length}`);
    assert.match(errors[0] ?? '', /ENOENT/);
  });
}

test('the census is deferred while its own cost would exceed its share of a core', async () => {
  // A budget no census can meet (any cost, a millionth of a core): after the second census the
  // cadence asked for (every tick) is overridden, and only stop() takes one more.
  const sampler = new KernelSampler({ sampleMs: 10, censusMs: 10, serverPorts: [7000], censusBudget: { share: 1e-6, freeMs: 0, changeShare: 1e-6 } });
  sampler.start();
  await sampler.ready;
  await sleep(200);
  const samples = await sampler.stop();
  assert.ok(samples.length >= 4, `only ${samples.length} samples`);
  // The baseline's cost is warm-up and not counted, so the tick after it takes one more; its
  // cost then defers every later one.
  assert.equal(samples.filter((s) => s.census).length, 3, 'the baseline census, the next one, and the final one');
});

test('a sock_diag census is charged its thread\'s CPU time, not the wall clock: one that used no CPU is never deferred', async () => {
  // The same impossible budget, but this thread's CPU clock frozen: every census cost 0 ms of
  // CPU however long it took by the wall clock (on a busy machine, the wait for a CPU), so the
  // cadence holds. Charged the wall clock, the test above gets 3.
  let censuses = 0;
  const sampler = new KernelSampler({
    sampleMs: 10,
    censusMs: 10,
    serverPorts: [7000],
    censusBudget: { share: 1e-6, freeMs: 0, changeShare: 1e-6 },
    cpuClock: () => 5,
    onSample: (s) => void (s.census && censuses++),
  });
  sampler.start();
  await sampler.ready;
  await until('8 censuses', () => censuses >= 8);
  const samples = await sampler.stop();
  assert.ok(samples.filter((s) => s.census).length >= 8);
});

/**
 * A /proc root of fixture files whose sockstat `tw` the test sets (setTw), for the change-driven
 * census; remove() deletes it.
 */
function procRootWithSockstat(tw: number): { root: string; setTw(tw: number): void; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'twstorm-sampler-'));
  const setTw = (n: number): void =>
    writeFileSync(join(root, 'net', 'sockstat'), `sockets: used 6\nTCP: inuse 3 orphan 0 tw ${n} alloc 7 mem 49\nUDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n`);
  mkdirSync(join(root, 'net'));
  for (const f of ['tcp', 'tcp6', 'sockstat6', 'snmp', 'netstat']) copyFileSync(join(FIXTURE_ROOT, 'net', f), join(root, 'net', f));
  setTw(tw);
  return { root, setTw, remove: () => rmSync(root, { recursive: true, force: true }) };
}

test('a census is also taken when the cheap sockstat counts moved, not only on the cadence', async () => {
  // A cadence no test reaches (100 s): every census between the first and the final one is
  // change-driven. sockstat is rewritten between ticks; the census must follow the jump once.
  const proc = procRootWithSockstat(4);
  const { root } = proc;
  let sampler: KernelSampler | undefined;
  try {
    let seen: (s: KernelSample) => void = () => undefined;
    sampler = new KernelSampler({
      sampleMs: 10,
      censusMs: 100_000,
      serverPorts: [7000],
      root,
      censusBudget: { share: 1, freeMs: Infinity, changeShare: 1 },
      onSample: (s) => seen(s),
    });
    const waitFor = (pred: (s: KernelSample) => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        // The sampler's timer is unref'd: this bound keeps the test alive and ends a hang.
        const bound = setTimeout(() => reject(new Error('the sampler stopped sampling')), 10_000);
        seen = (s) => {
          if (pred(s)) {
            clearTimeout(bound);
            resolve();
          }
        };
      });
    sampler.start();
    await sampler.ready;
    // Unchanged counts: several ticks go by without a census.
    let quiet = 0;
    await waitFor(() => ++quiet >= 5);
    proc.setTw(500);
    await waitFor((s) => s.census !== undefined);
    let after = 0;
    await waitFor(() => ++after >= 5);
    const samples = await sampler.stop();
    const census = samples.filter((s) => s.census);
    // first, the one the jump caused, the final one: nothing else while the counts stood still.
    assert.deepEqual(
      census.map((s) => s.sockstat.tw),
      [4, 500, 500],
    );
    assert.ok(samples.length >= 12, `${samples.length} samples`);
  } finally {
    await sampler?.stop();
    proc.remove();
  }
});

test('the change-driven census keeps to its own share of a core, with no free pass for a cheap table', async () => {
  // The counts move at every tick (a storm), the cadence is out of reach, and the cadence's
  // budget would let any census under 10 s through: only the change budget (a millionth of a
  // core) holds the census back. The first change-driven one is free (the baseline's cost is
  // warm-up, not counted); its own cost then defers every later one until stop().
  let tw = 100;
  const proc = procRootWithSockstat(tw);
  const { root } = proc;
  let sampler: KernelSampler | undefined;
  try {
    let ticks = 0;
    sampler = new KernelSampler({
      sampleMs: 10,
      censusMs: 100_000,
      serverPorts: [7000],
      root,
      censusBudget: { share: 1, freeMs: 10_000, changeShare: 1e-6 },
      onSample: () => {
        // Double the TIME_WAIT count after every sample: every tick sees a move.
        ticks += 1;
        tw *= 2;
        proc.setTw(tw);
      },
    });
    sampler.start();
    await sampler.ready;
    await until('12 samples', () => ticks >= 12);
    const samples = await sampler.stop();
    assert.equal(samples.filter((s) => s.census).length, 3, 'the baseline census, one change-driven census, and the final one');
  } finally {
    await sampler?.stop();
    proc.remove();
  }
});
