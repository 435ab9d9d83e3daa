// CPU time of the calling thread: clock_gettime(CLOCK_THREAD_CPUTIME_ID), user and system mode.
// The kernel brings a running thread's runtime up to date for this call (task_sched_runtime);
// /proc/thread-self/schedstat prints it as last stored, at a scheduler tick or a switch, which
// read 0 for 174 of 200 half-millisecond loops at 250 Hz. Unlike the wall clock it does not
// grow while the thread waits for a CPU, so on a busy machine it is what a piece of work cost.
// Through the native layer (native.ts); undefined where it is off or missing.
import os from 'node:os';
import { tryLoadNative } from './native.js';

/** struct timespec on 64-bit Linux: tv_sec and tv_nsec, 8 bytes each. */
const timespec = Buffer.alloc(16);
const LE = os.endianness() === 'LE';

/** ms on a CPU for this thread so far, or undefined without the native layer. */
export function threadCpuMs(): number | undefined {
  const loaded = tryLoadNative();
  if (!loaded.ok || loaded.native.threadCpuTime === undefined || loaded.native.threadCpuTime(timespec) !== 0) return undefined;
  const seconds = LE ? timespec.readBigInt64LE(0) : timespec.readBigInt64BE(0);
  const nanos = LE ? timespec.readBigInt64LE(8) : timespec.readBigInt64BE(8);
  if (seconds < 0n || nanos < 0n || nanos >= 1_000_000_000n) return undefined;
  return Number(seconds) * 1000 + Number(nanos) / 1e6;
}
