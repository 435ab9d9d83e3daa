// One time base for the whole run: milliseconds since the run's origin, shared by the driver,
// the observers (in a worker thread) and the result. performance.timeOrigin + now() is the
// same wall-clock instant in every thread of the process.
import { performance } from 'node:perf_hooks';

export type Clock = () => number;

export function runClock(epochMs: number): Clock {
  return () => performance.timeOrigin + performance.now() - epochMs;
}

/** Resolves after `ms`, or at once when `signal` aborts (an interrupt must not wait out a pause). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
