// CPU time of the calling thread: the first field of /proc/thread-self/schedstat, nanoseconds
// the thread spent on a CPU in user and system mode (sched_info, kernel/sched/stats.h; needs
// CONFIG_SCHED_INFO, which distribution kernels enable). Unlike the wall clock it does not grow
// while the thread waits for a CPU, so on a busy machine it is what a piece of work cost, not
// how long the scheduler kept it waiting. Read synchronously: an asynchronous read runs on a
// libuv pool thread, and thread-self would name that thread. ~50 µs a read.
import { readFileSync } from 'node:fs';

let readable = true;

/** ms on a CPU for this thread so far, or undefined where the kernel does not say. */
export function threadCpuMs(): number | undefined {
  if (!readable) return undefined;
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    if (Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // No /proc/thread-self (Linux < 3.17, another /proc) or no schedstat: the wall clock serves.
  }
  readable = false;
  return undefined;
}
