// Closed loop, flat: `concurrency` workers, each starting its next connection (or request) as
// soon as its last one ends — k6's constant-vus. No queue and no per-connection promise beyond
// the launch's own: at 6,000+ requests/s, a limiter's extra promises and wake-ups per task were
// ~5 % of the undici driver's CPU (bench/undici-reset-cpu.ts, interleaved A/B).
import { getMaxListeners, setMaxListeners } from 'node:events';
import { Backoff } from '../backoff.js';
import { sleep, type Clock } from '../../util/clock.js';
import type { Bounds, Launch } from './bounds.js';

export async function constantClosedLoop(concurrency: number, bounds: Bounds, clock: Clock, launch: Launch): Promise<number> {
  // One back-off for every worker: the resource it waits out (ports, descriptors) is shared.
  const backoff = new Backoff();
  // While ports or descriptors run out every worker waits out the back-off on this one signal
  // at once: that many listeners is the design, not a leak (Node warns past 10).
  const workers = Math.max(1, concurrency);
  setMaxListeners(Math.max(getMaxListeners(bounds.signal), workers + 10), bounds.signal);
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < bounds.count && !bounds.signal.aborted && clock() < bounds.deadlineMs) {
      const wait = backoff.waitMs(clock());
      if (wait > 0) {
        await sleep(Math.min(wait, bounds.deadlineMs - clock()), bounds.signal);
        continue;
      }
      started++;
      backoff.settled(await launch(clock()), clock());
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return started;
}
