// One time base for the whole run: milliseconds since the run's origin, shared by the driver,
// the observers (in a worker thread) and the result. performance.timeOrigin + now() is the
// same wall-clock instant in every thread of the process.
import { performance } from 'node:perf_hooks';

export type Clock = () => number;

export function runClock(epochMs: number): Clock {
  return () => performance.timeOrigin + performance.now() - epochMs;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
