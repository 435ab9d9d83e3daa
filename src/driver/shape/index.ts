// Load shapes, one per file (k6's executors): a closed loop keeps a number of connections in
// flight — constant (closed-constant.ts) or ramping (closed-ramping.ts) — and an open loop
// starts them on a schedule (open.ts). runShaped picks the shape from the plan and owns the
// bounds: count, duration, and an interrupt's grace before in-flight work is cut.
import { sleep, type Clock } from '../../util/clock.js';
import type { Bounds, Launch } from './bounds.js';
import { constantClosedLoop } from './closed-constant.js';
import { rampingClosedLoop } from './closed-ramping.js';
import { openLoop } from './open.js';
import type { Stage } from './ramp.js';

export type { Launch } from './bounds.js';

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
  /** After durationMs, in-flight work gets this long before `cut` ends it (k6's gracefulStop). */
  gracefulStopMs: number;
}

/**
 * Runs the load shape within its bounds. On interrupt no new work starts at once, and the
 * in-flight work gets a short grace to finish its close (so the result still counts it)
 * before `cut` ends whatever is left; after the duration, the same with gracefulStop, so no
 * timeout or delay of the scenario's keeps a run going past duration + gracefulStop. `cut`
 * counts what it ends as CUT_AT_STOP.
 */
export async function runShaped(
  plan: ShapePlan,
  clock: Clock,
  signal: AbortSignal,
  launch: Launch,
  cut: () => void,
  beforeGo?: () => Promise<void>,
): Promise<{ started: number; stoppedBy: StopReason; startMs: number }> {
  // A routed lab's client host waits here for the lab's 'go' (run/execute.ts), as the engine
  // waits with its threads loaded (runEngineLoad): the load's start is after it.
  if (beforeGo && !signal.aborted) await beforeGo();
  const startMs = clock();
  const bounds: Bounds = { count: plan.count, deadlineMs: startMs + plan.durationMs, signal };
  const onAbort = (): void => {
    void sleep(plan.interruptGraceMs).then(cut);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const stopTimer = setTimeout(cut, Math.max(0, bounds.deadlineMs + plan.gracefulStopMs - clock()));
  try {
    const started =
      plan.rate !== null
        ? await openLoop(plan.rate, plan.maxInFlight, bounds, clock, launch, plan.stages)
        : plan.stages && plan.stages.length > 0
          ? await rampingClosedLoop(plan.concurrency, bounds, clock, launch, plan.stages)
          : await constantClosedLoop(plan.concurrency, bounds, clock, launch);
    const stoppedBy: StopReason = signal.aborted ? 'interrupted' : started >= plan.count ? 'count' : 'duration';
    return { started, stoppedBy, startMs };
  } finally {
    clearTimeout(stopTimer);
    signal.removeEventListener('abort', onAbort);
  }
}
