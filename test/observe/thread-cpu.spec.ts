// The census budget's clock (src/observe/thread-cpu.ts, censusCostMs in sampler.ts): this
// thread's CPU time grows with work done on it and not while it waits, so a census that waited
// for a CPU on a busy machine is not charged for the wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadCpuMs } from '../../src/observe/thread-cpu.js';
import { censusCostMs } from '../../src/observe/sampler.js';

test('threadCpuMs grows with work on this thread, not with waiting', async () => {
  const start = threadCpuMs();
  assert.ok(start !== undefined && start > 0, 'the kernel gives /proc/thread-self/schedstat (CONFIG_SCHED_INFO)');
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

test('a census is charged its CPU time when it ran on this thread, its wall time otherwise', async () => {
  const wall = performance.now();
  const cpu = threadCpuMs();
  await sleep(300); // a census that waited: on a busy machine, for a CPU
  const onThread = censusCostMs(wall, cpu);
  const elsewhere = censusCostMs(wall, undefined);
  assert.ok(onThread < 100, `charged ${onThread} ms for a wait`);
  assert.ok(elsewhere >= 290, `wall clock charged ${elsewhere} ms`);
});
