// Load shapes. A closed loop keeps `concurrency` connections in flight (p-limit bounds them);
// an open loop starts connections on a schedule whatever the previous ones are doing,
// which is how real clients arrive and the only way to see queueing in the latencies.
// Either can ramp (`stages`, k6-style): the target (a rate, or a number in flight) moves
// linearly from stage to stage. The schedule is pure arithmetic on run-relative time (the
// first part of this file), so any engine (this promise loop, a worker-thread epoll loop)
// can drive the same shape and unit tests need no clock.
import pLimit from 'p-limit';
import { Backoff } from './backoff.js';
import { sleep, type Clock } from '../util/clock.js';
import type { Outcome } from './tcp-connection.js';

/** One step of a ramp, as the scenario gives it: milliseconds, and a rate (/s) or a number in flight. */
export interface Stage {
  duration: number;
  target: number;
}

/**
 * A ramp compiled for lookups: the corners of the piecewise-linear target (time ms → value),
 * and for each corner how many starts an open loop has made by then (the integral of the rate).
 */
export interface Ramp {
  readonly times: readonly number[];
  readonly values: readonly number[];
  /** Open loop: starts due before each corner, ∫ rate dt (rate per second, time in ms). */
  readonly starts: readonly number[];
}

/** `start` is the value before the first stage: `rate` in an open loop, `concurrency` in a closed one. */
export function compileRamp(start: number, stages: readonly Stage[] = []): Ramp {
  const times = [0];
  const values = [start];
  const starts = [0];
  for (const stage of stages) {
    const t0 = times.at(-1)!;
    const v0 = values.at(-1)!;
    times.push(t0 + stage.duration);
    values.push(stage.target);
    starts.push(starts.at(-1)! + ((v0 + stage.target) / 2) * (stage.duration / 1000));
  }
  return { times, values, starts };
}

/** Index of the last corner at or before `t` (binary search: a ramp has at most ~100 corners). */
function cornerAt(ramp: Ramp, t: number): number {
  let low = 0;
  let high = ramp.times.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (ramp.times[mid]! <= t) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The target at run-relative time `t`; before 0 the start value, after the last stage its target. */
export function targetAt(ramp: Ramp, t: number): number {
  const i = cornerAt(ramp, t);
  if (i === ramp.times.length - 1) return ramp.values[i]!;
  const t0 = ramp.times[i]!;
  const t1 = ramp.times[i + 1]!;
  const v0 = ramp.values[i]!;
  const v1 = ramp.values[i + 1]!;
  return t1 === t0 ? v1 : v0 + ((v1 - v0) * (Math.max(t, t0) - t0)) / (t1 - t0);
}

/** Closed loop: how many may be in flight at `t` (a ramp between 4 and 5 allows 4 until it reaches 5). */
export function concurrencyAt(ramp: Ramp, t: number): number {
  return Math.floor(targetAt(ramp, t) + 1e-9);
}

/** Open loop: how many starts are due by time `t` (the rate's integral; fractional). */
export function startsDueBy(ramp: Ramp, t: number): number {
  if (t <= 0) return 0;
  const i = cornerAt(ramp, t);
  const dt = t - ramp.times[i]!;
  const v0 = ramp.values[i]!;
  const slope = i === ramp.times.length - 1 ? 0 : (ramp.values[i + 1]! - v0) / (ramp.times[i + 1]! - ramp.times[i]! || 1);
  return ramp.starts[i]! + (v0 * dt + (slope * dt * dt) / 2) / 1000;
}

/**
 * Open loop: the run-relative time the start number `n` (0-based) is due, i.e. the first t
 * with startsDueBy(t) >= n; Infinity when the rate stays 0 and it never comes. A flat rate r
 * gives n·1000/r, the classic fixed interval.
 */
export function startTimeOf(ramp: Ramp, n: number): number {
  if (n <= 0) return 0;
  // The first corner by which n starts are due; n falls in the segment that ends there.
  let low = 0;
  let high = ramp.starts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (ramp.starts[mid]! >= n) high = mid;
    else low = mid + 1;
  }
  const i = Math.max(0, low - 1);
  const t0 = ramp.times[i]!;
  const v0 = ramp.values[i]!;
  const last = i === ramp.times.length - 1;
  const slope = last ? 0 : (ramp.values[i + 1]! - v0) / (ramp.times[i + 1]! - t0 || 1);
  // Solve v0·dt + slope·dt²/2 = 1000·(n - starts[i]) for dt ≥ 0. The form 2K / (v0 + √(v0² + 2·slope·K))
  // is the usual root without its cancellation when slope is near 0 (and is K/v0 when it is 0).
  const k = 1000 * (n - ramp.starts[i]!);
  const root = Math.sqrt(Math.max(0, v0 * v0 + 2 * slope * k));
  const denominator = v0 + root;
  if (denominator <= 0) return Infinity;
  return t0 + (2 * k) / denominator;
}

/**
 * Closed loop: the first time at or after `from` at which `concurrencyAt` reaches `level`
 * (when to look again while every slot is busy and the ramp is going up); Infinity if never.
 */
export function timeConcurrencyReaches(ramp: Ramp, level: number, from: number): number {
  if (concurrencyAt(ramp, from) >= level) return from;
  for (let i = cornerAt(ramp, from); i < ramp.times.length - 1; i++) {
    const t0 = ramp.times[i]!;
    const t1 = ramp.times[i + 1]!;
    const v0 = ramp.values[i]!;
    const v1 = ramp.values[i + 1]!;
    if (v1 + 1e-9 < level) continue;
    // Within this segment the target rises through `level` (or jumps there when t1 === t0).
    const t = t1 === t0 || v1 === v0 ? t1 : t0 + ((level - v0) * (t1 - t0)) / (v1 - v0);
    return Math.max(from, t);
  }
  return Infinity;
}

export interface Bounds {
  /** Total connections to start. */
  count: number;
  /** Run-clock time after which nothing new starts. */
  deadlineMs: number;
  signal: AbortSignal;
}

/** Starts one connection; `intendedStartMs` is when the shape wanted it to start. */
export type Launch = (intendedStartMs: number) => Promise<Outcome>;

export async function closedLoop(
  concurrency: number,
  bounds: Bounds,
  clock: Clock,
  launch: Launch,
  stages: readonly Stage[] = [],
): Promise<number> {
  const ramp = compileRamp(concurrency, stages);
  const flat = stages.length === 0;
  const origin = clock();
  const limit = pLimit(Math.max(1, concurrency));
  const backoff = new Backoff();
  const running = new Set<Promise<void>>();
  // Flat: a finished task wakes the loop directly. Promise.race(running) would add a reaction
  // to every running task on each call, so each one settling ran ~concurrency of them.
  let slotFreed: (() => void) | null = null;
  let started = 0;
  while (started < bounds.count && !bounds.signal.aborted && clock() < bounds.deadlineMs) {
    const allowed = flat ? concurrency : concurrencyAt(ramp, clock() - origin);
    // Keep only `allowed` tasks queued in p-limit: a queue of millions of closures
    // would cost memory and make a Ctrl-C wait for them to drain.
    if (limit.activeCount + limit.pendingCount >= allowed) {
      if (flat) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      // Ramping: wake on a finished connection, or when the ramp allows one more.
      const busy = limit.activeCount + limit.pendingCount;
      const more = origin + timeConcurrencyReaches(ramp, busy + 1, clock() - origin);
      const wake = Math.min(more, bounds.deadlineMs) - clock();
      const pause = new AbortController();
      const onAbort = (): void => pause.abort();
      bounds.signal.addEventListener('abort', onAbort, { once: true });
      await Promise.race([...running, sleep(Math.max(0, wake), pause.signal)]);
      bounds.signal.removeEventListener('abort', onAbort);
      pause.abort();
      continue;
    }
    if (!flat) limit.concurrency = Math.max(1, allowed);
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
    }).finally(() => {
      running.delete(task);
      slotFreed?.();
      slotFreed = null;
    });
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
  stages: readonly Stage[] = [],
): Promise<number> {
  const ramp = compileRamp(ratePerSec, stages);
  const origin = clock();
  const running = new Set<Promise<void>>();
  let started = 0;
  while (started < bounds.count && !bounds.signal.aborted && clock() < bounds.deadlineMs) {
    const due = origin + startTimeOf(ramp, started);
    // Nothing more is due before the deadline (a slow rate, or a ramp down to 0): stop now
    // rather than sleep past the end of the load.
    if (due >= bounds.deadlineMs) break;
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
  /** A ramp from `rate` (open loop) or `concurrency` (closed loop); empty or absent = flat. */
  stages?: readonly Stage[];
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
        ? await closedLoop(plan.concurrency, bounds, clock, launch, plan.stages)
        : await openLoop(plan.rate, plan.maxInFlight, bounds, clock, launch, plan.stages);
    const stoppedBy: StopReason = signal.aborted ? 'interrupted' : started >= plan.count ? 'count' : 'duration';
    return { started, stoppedBy, startMs };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
