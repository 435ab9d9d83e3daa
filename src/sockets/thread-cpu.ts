// CPU time of the calling thread: clock_gettime(CLOCK_THREAD_CPUTIME_ID), user and system mode.
// The kernel brings a running thread's runtime up to date for this call (task_sched_runtime);
// /proc/thread-self/schedstat prints it as last stored, at a scheduler tick or a switch, which
// read 0 for 174 of 200 half-millisecond loops at 250 Hz. Unlike the wall clock it does not
// grow while the thread waits for a CPU, so on a busy machine it is what a piece of work cost.
// Through koffi, as every native call here; undefined where the native layer is off or missing.
import { createRequire } from 'node:module';
import os from 'node:os';
import { NATIVE_ENV } from './native.js';

/** <linux/time.h> */
const CLOCK_THREAD_CPUTIME_ID = 3;

let clock: ((into: Buffer) => number) | null | undefined;
/** struct timespec on 64-bit Linux: tv_sec and tv_nsec, 8 bytes each. */
const timespec = Buffer.alloc(16);
const LE = os.endianness() === 'LE';

function load(): ((into: Buffer) => number) | null {
  if (process.env[NATIVE_ENV] === 'off' || process.platform !== 'linux') return null;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as { sizeof(type: string): number; load(path: string): { func(signature: string): (...args: unknown[]) => number } };
    // struct timespec is two longs: 16 bytes on 64-bit Linux, 8 on 32-bit, which this reader
    // does not decode (the census is then charged wall time).
    if (koffi.sizeof('long') !== 8) return null;
    const gettime = koffi.load('libc.so.6').func('int clock_gettime(int clock, void *into)');
    return (into) => gettime(CLOCK_THREAD_CPUTIME_ID, into);
  } catch {
    return null;
  }
}

/** ms on a CPU for this thread so far, or undefined without the native layer. */
export function threadCpuMs(): number | undefined {
  if (clock === undefined) clock = load();
  if (clock === null || clock(timespec) !== 0) return undefined;
  const seconds = LE ? timespec.readBigInt64LE(0) : timespec.readBigInt64BE(0);
  const nanos = LE ? timespec.readBigInt64LE(8) : timespec.readBigInt64BE(8);
  if (seconds < 0n || nanos < 0n || nanos >= 1_000_000_000n) return undefined;
  return Number(seconds) * 1000 + Number(nanos) / 1e6;
}
