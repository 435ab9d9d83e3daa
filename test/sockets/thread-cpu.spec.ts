// The census budget's clock (src/sockets/thread-cpu.ts, censusCostMs in src/observe/sampler.ts): this
// thread's CPU time grows with work done on it and not while it waits, so a census that waited
// for a CPU on a busy machine is not charged for the wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadCpuMs } from '../../src/sockets/thread-cpu.js';
import { censusCostMs } from '../../src/observe/sampler.js';
import { setNativeLoader, tryLoadNative } from '../../src/sockets/native.js';

test('threadCpuMs grows with work on this thread, not with waiting', async () => {
  const start = threadCpuMs();
  assert.ok(start !== undefined && start > 0, 'clock_gettime(CLOCK_THREAD_CPUTIME_ID) through the native layer');
  await sleep(300);
  const slept = threadCpuMs()! - start;
  assert.ok(slept >= 0 && slept < 100, `300 ms asleep cost ${slept} ms of CPU`);
  // Spin until 30 ms of CPU are counted (bounded in wall time: a busy machine slows it, never hangs it).
  const from = threadCpuMs()!;
  const deadline = performance.now() + 10_000;
  let spins = 0;
  while (threadCpuMs()! - from < 30 && performance.now() < deadline) spins++;
  assert.ok(threadCpuMs()! - from >= 30, `no CPU counted after ${spins} spins in 10 s`);
});

test('threadCpuMs counts a fraction of a millisecond, between scheduler ticks', () => {
  // /proc/thread-self/schedstat, updated only at a tick or a switch, read 0 for most of these.
  let x = 0;
  for (let round = 0; round < 20; round++) {
    const before = threadCpuMs()!;
    for (let i = 0; i < 200_000; i++) x += i % 7;
    const spent = threadCpuMs()! - before;
    assert.ok(spent > 0, `round ${round}: 200,000 iterations counted ${spent} ms`);
  }
  assert.ok(x > 0);
});

test('a census is charged its CPU time when it ran on this thread, its wall time otherwise', async () => {
  const wall = performance.now();
  const cpu = threadCpuMs();
  await sleep(300); // a census that waited: on a busy machine, for a CPU
  const onThread = censusCostMs(wall, cpu);
  const elsewhere = censusCostMs(wall, undefined);
  assert.ok(onThread < 100, `charged ${onThread} ms for a wait`);
  assert.ok(elsewhere >= 290, `wall clock charged ${elsewhere} ms`);
});

test('without the native layer\'s clock (a replacement FFI without it) there is no CPU time, and the census is charged wall time', async () => {
  const real = tryLoadNative();
  assert.ok(real.ok);
  const { threadCpuTime: _unused, ...withoutClock } = real.native;
  setNativeLoader(() => withoutClock);
  try {
    assert.equal(threadCpuMs(), undefined);
    const wall = performance.now();
    await sleep(50);
    assert.ok(censusCostMs(wall, threadCpuMs()) >= 45);
  } finally {
    setNativeLoader(undefined);
  }
  assert.ok(threadCpuMs()! > 0, 'the real clock again');
});
