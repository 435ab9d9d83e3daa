// The ramp schedule (`stages`, k6-style): the target — a rate, or a number in flight — moves
// linearly from stage to stage. Pure arithmetic on run-relative time, so any engine (the promise
// loops next to this file, the worker-thread epoll loop in src/engine/) drives the same shape
// and unit tests need no clock.

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

/**
 * Open loop: the first run-relative time t (ms) by which at least `n` starts fell within the
 * last `windowMs` — startsDueBy(t) − startsDueBy(t − windowMs) ≥ n — or null if the ramp, its
 * last target held for ever after, never gets there. What a pool of n ports, each held
 * `windowMs` after its connection, meets first under a ramp (plan's time to exhaustion); a flat
 * rate r gives n·1000/r when that is within the window.
 */
export function firstWindowReaching(ramp: Ramp, windowMs: number, n: number): number | null {
  if (n <= 0) return 0;
  const rateAt = (t: number): number => (t < 0 ? 0 : targetAt(ramp, t));
  const held = (t: number): number => startsDueBy(ramp, t) - startsDueBy(ramp, t - windowMs);
  // Between these points neither t nor t − windowMs passes a corner: held() is quadratic there,
  // its slope rateAt(t) − rateAt(t − windowMs) linear. After the last corner plus the window it
  // stays at the last target × the window.
  const end = ramp.times.at(-1)! + windowMs;
  const points = [...new Set([0, ...ramp.times, ...ramp.times.map((t) => t + windowMs)])].filter((t) => t <= end).sort((a, b) => a - b);
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k]!;
    const b = points[k + 1]!;
    if (held(a) >= n) return a;
    // The slope just inside [a, b], from a and the middle (a corner's jump lands at a).
    const mid = (a + b) / 2;
    const slopeA = rateAt(a) - rateAt(a - windowMs);
    const slopeB = 2 * (rateAt(mid) - rateAt(mid - windowMs)) - slopeA;
    // A quadratic is monotone on each side of its vertex: bisect the first side that reaches n.
    const vertex = slopeA > 0 && slopeB < 0 ? a + ((b - a) * slopeA) / (slopeA - slopeB) : null;
    for (const [from, to] of vertex === null ? [[a, b]] : [[a, vertex], [vertex, b]]) {
      if (held(to!) < n) continue;
      let low = from!;
      let high = to!;
      for (let i = 0; i < 64 && high - low > 1e-9; i++) {
        const m = (low + high) / 2;
        if (held(m) >= n) high = m;
        else low = m;
      }
      return high;
    }
  }
  return held(end) >= n ? end : null;
}
