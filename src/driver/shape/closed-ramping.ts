// Closed loop, ramping (`stages`): the number in flight follows the ramp — k6's ramping-vus.
// p-limit holds the bound and its concurrency moves with the ramp; while every slot is busy the
// loop wakes on a finished task or when the ramp allows one more.
import pLimit from 'p-limit';
import { Backoff } from '../backoff.js';
import { sleep, type Clock } from '../../util/clock.js';
import type { Bounds, Launch } from './bounds.js';
import { compileRamp, concurrencyAt, timeConcurrencyReaches, type Stage } from './ramp.js';

export async function rampingClosedLoop(
  concurrency: number,
  bounds: Bounds,
  clock: Clock,
  launch: Launch,
  stages: readonly Stage[],
): Promise<number> {
  const ramp = compileRamp(concurrency, stages);
  const origin = clock();
  const limit = pLimit(Math.max(1, concurrencyAt(ramp, 0)));
  const backoff = new Backoff();
  const running = new Set<Promise<void>>();
  let started = 0;
  while (started < bounds.count && !bounds.signal.aborted && clock() < bounds.deadlineMs) {
    const allowed = concurrencyAt(ramp, clock() - origin);
    // Keep only `allowed` tasks queued in p-limit: a queue of millions of closures
    // would cost memory and make a Ctrl-C wait for them to drain.
    if (limit.activeCount + limit.pendingCount >= allowed) {
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
    limit.concurrency = Math.max(1, allowed);
    const wait = backoff.waitMs(clock());
    if (wait > 0) {
      await sleep(Math.min(wait, bounds.deadlineMs - clock()), bounds.signal);
      continue;
    }
    started++;
    const task: Promise<void> = limit(async () => {
      backoff.settled(await launch(clock()), clock());
    }).finally(() => {
      running.delete(task);
    });
    running.add(task);
  }
  await Promise.all(running);
  return started;
}
