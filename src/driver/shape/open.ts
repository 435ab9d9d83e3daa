// Open loop: starts on a schedule (a flat rate or a ramp) whatever the previous ones are doing,
// which is how real clients arrive and the only way to see queueing in the latencies. A start
// made late (every slot busy) is still measured from when it was due: no coordinated omission.
import { sleep, type Clock } from '../../util/clock.js';
import type { Bounds, Launch } from './bounds.js';
import { compileRamp, startTimeOf, type Stage } from './ramp.js';

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
    const now = clock();
    // Nothing more is due before the deadline (a slow rate, or a ramp down to 0): the last
    // target holds until `duration` ends the load, as on the engine's threads, so wait for the
    // deadline, not for a start that never comes. Ending here cut the load short while the
    // result still said the duration stopped it (a ramp to 0 over 1 s of a 3 s duration: "101/s
    // over 1.00 s" here, "33/s over 3.05 s" on the engine).
    if (due >= bounds.deadlineMs) {
      await sleep(bounds.deadlineMs - now, bounds.signal);
      continue;
    }
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
