// Load shapes. A closed loop keeps `concurrency` connections in flight (p-limit bounds them);
// an open loop starts connections on a fixed schedule whatever the previous ones are doing,
// which is how real clients arrive and the only way to see queueing in the latencies.
import pLimit from 'p-limit';
import { Backoff } from './backoff.js';
import { sleep, type Clock } from '../util/clock.js';
import type { Outcome } from './tcp-connection.js';

export interface Bounds {
  /** Total connections to start. */
  count: number;
  /** Run-clock time after which nothing new starts. */
  deadlineMs: number;
  signal: AbortSignal;
}

/** Starts one connection; `intendedStartMs` is when the shape wanted it to start. */
export type Launch = (intendedStartMs: number) => Promise<Outcome>;

export async function closedLoop(concurrency: number, bounds: Bounds, clock: Clock, launch: Launch): Promise<number> {
  const limit = pLimit(concurrency);
  const backoff = new Backoff();
  const running = new Set<Promise<void>>();
  let started = 0;
  while (started < bounds.count && !bounds.signal.aborted && clock() < bounds.deadlineMs) {
    // Keep only `concurrency` tasks queued in p-limit: a queue of millions of closures
    // would cost memory and make a Ctrl-C wait for them to drain.
    if (limit.activeCount + limit.pendingCount >= concurrency) {
      await Promise.race(running);
      continue;
    }
    const wait = backoff.waitMs(clock());
    if (wait > 0) {
      await sleep(Math.min(wait, bounds.deadlineMs - clock()), bounds.signal);
      continue;
    }
    started++;
    const task: Promise<void> = limit(async () => {
      const outcome = await launch(clock());
      if (outcome.ok) backoff.succeeded();
      else if (outcome.phase === 'connect') backoff.failed(outcome.code, clock());
    }).finally(() => running.delete(task));
    running.add(task);
  }
  await Promise.all(running);
  return started;
}

export async function openLoop(
  ratePerSec: number,
  maxInFlight: number,
  bounds: Bounds,
  clock: Clock,
  launch: Launch,
): Promise<number> {
  const intervalMs = 1000 / ratePerSec;
  const origin = clock();
  const running = new Set<Promise<void>>();
  let started = 0;
  while (started < bounds.count && !bounds.signal.aborted && clock() < bounds.deadlineMs) {
    const due = origin + started * intervalMs;
    const now = clock();
    if (due > now) {
      await sleep(due - now, bounds.signal);
      continue;
    }
    if (running.size >= maxInFlight) {
      // Late starts are still measured from `due`, so this wait shows in the latencies.
      await Promise.race(running);
      continue;
    }
    started++;
    const task: Promise<void> = launch(due).then(
      () => undefined,
      () => undefined,
    );
    const tracked = task.finally(() => running.delete(tracked));
    running.add(tracked);
  }
  await Promise.all(running);
  return started;
}

export type StopReason = 'count' | 'duration' | 'interrupted';

export interface ShapePlan {
  count: number;
  durationMs: number;
  /** Closed loop when `rate` is null. */
  concurrency: number;
  rate: number | null;
  maxInFlight: number;
  /** After an interrupt, in-flight work gets this long before `cut` ends it. */
  interruptGraceMs: number;
}

/**
 * Runs the load shape within its bounds. On interrupt no new work starts at once, and the
 * in-flight work gets a short grace to finish its close (so the result still counts it)
 * before `cut` ends whatever is left.
 */
export async function runShaped(
  plan: ShapePlan,
  clock: Clock,
  signal: AbortSignal,
  launch: Launch,
  cut: () => void,
): Promise<{ started: number; stoppedBy: StopReason; startMs: number }> {
  const startMs = clock();
  const bounds: Bounds = { count: plan.count, deadlineMs: startMs + plan.durationMs, signal };
  const onAbort = (): void => {
    void sleep(plan.interruptGraceMs).then(cut);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const started =
      plan.rate === null
        ? await closedLoop(plan.concurrency, bounds, clock, launch)
        : await openLoop(plan.rate, plan.maxInFlight, bounds, clock, launch);
    const stoppedBy: StopReason = signal.aborted ? 'interrupted' : started >= plan.count ? 'count' : 'duration';
    return { started, stoppedBy, startMs };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
