// A linger closer thread (see linger-closers.ts): takes fds off the shared queue and closes
// them, blocking for as long as the kernel keeps close() waiting, and times each close.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { loadRawSockets } from '../sockets/raw.js';
import { errnoName } from '../sockets/errors.js';
import { histogramCounts, newHistogram } from '../metrics/histograms.js';
import { CloserQueue, type CloserReport } from './linger-closers.js';

const loaded = loadRawSockets();
if (!loaded.ok) throw new Error(loaded.reason);
const data = workerData as { queue: SharedArrayBuffer; live: SharedArrayBuffer; index: number };
const queue = new CloserQueue(data.queue);
const live = new Float64Array(data.live, data.index * 3 * 8, 3);
const blocked = newHistogram();
const errors: Record<string, number> = {};
let closes = 0;
for (let fd = queue.take(); fd >= 0; fd = queue.take()) {
  const t0 = performance.now();
  const r = loaded.raw.close(fd);
  if (r < 0) {
    const code = errnoName(loaded.raw.errno());
    errors[code] = (errors[code] ?? 0) + 1;
  }
  const ms = performance.now() - t0;
  blocked.recordValue(Math.max(1, Math.round(ms * 1000)));
  closes++;
  live[0] = closes;
  live[1]! += ms;
  live[2] = Math.max(live[2]!, ms);
}
const report: CloserReport = { closes, errors, blocked: histogramCounts(blocked) };
parentPort!.postMessage(report);
