// Closes with SO_LINGER {1, n>0} for the engine, off its loops. With unsent data, close() under
// linger n sleeps in the kernel until the data and FIN are acknowledged or n s pass
// (tcp_close → sk_stream_wait_close), even on a non-blocking socket: an engine thread that
// called it would stop serving every other connection for that long. So an engine thread puts
// the fd on a shared queue and goes on; closer threads, blocked in Atomics.wait while there is
// nothing to do, take fds off it and close them, timing each close. The queue is a ring of fds in
// a SharedArrayBuffer with a spin lock: no message, promise or callback per close.
import { Worker } from 'node:worker_threads';
import type { Histogram, HistogramCounts } from '../metrics/histograms.js';
import { entryUrl } from '../paths.js';

const Q_LOCK = 0;
const Q_COUNT = 1;
const Q_HEAD = 2;
const Q_TAIL = 3;
const Q_STOP = 4;
const Q_HEADER = 8;
const RING = 65536;

export function newCloserQueue(): SharedArrayBuffer {
  return new SharedArrayBuffer((Q_HEADER + RING) * 4);
}

/** Both ends of the queue; each thread makes its own view of the same buffer. */
export class CloserQueue {
  private readonly q: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.q = new Int32Array(buffer);
  }

  private lock(): void {
    while (Atomics.compareExchange(this.q, Q_LOCK, 0, 1) !== 0);
  }
  private unlock(): void {
    Atomics.store(this.q, Q_LOCK, 0);
  }

  /** Hands `fd` (SO_LINGER already set, out of every epoll set) to a closer. */
  push(fd: number): void {
    // A full ring (65,536 closes each waiting up to n s) waits here for a free place.
    while (Atomics.load(this.q, Q_COUNT) >= RING) Atomics.wait(this.q, Q_COUNT, RING, 1);
    this.lock();
    const tail = this.q[Q_TAIL]!;
    this.q[Q_HEADER + (tail % RING)] = fd;
    this.q[Q_TAIL] = (tail + 1) % RING;
    this.unlock();
    Atomics.add(this.q, Q_COUNT, 1);
    Atomics.notify(this.q, Q_COUNT, 1);
  }

  /** The next fd, or -1 once stopped and empty. Blocks while empty. */
  take(): number {
    for (;;) {
      const count = Atomics.load(this.q, Q_COUNT);
      if (count === 0) {
        if (Atomics.load(this.q, Q_STOP) !== 0) return -1;
        Atomics.wait(this.q, Q_COUNT, 0, 200);
        continue;
      }
      if (Atomics.compareExchange(this.q, Q_COUNT, count, count - 1) !== count) continue;
      this.lock();
      const head = this.q[Q_HEAD]!;
      const fd = this.q[Q_HEADER + (head % RING)]!;
      this.q[Q_HEAD] = (head + 1) % RING;
      this.unlock();
      return fd;
    }
  }

  stop(): void {
    Atomics.store(this.q, Q_STOP, 1);
    Atomics.notify(this.q, Q_COUNT);
  }
}

export interface CloserReport {
  closes: number;
  /** close() errors by errno name. */
  errors: Record<string, number>;
  /** How long each close() blocked, microseconds (HdrHistogram slot counts). */
  blocked: HistogramCounts;
}

/** The closer threads of one run. stop() waits for every queued close to return. */
export class CloserPool {
  readonly queue = newCloserQueue();
  /** Per closer: [closes, blocked ms total, blocked ms max], updated after every close. */
  private readonly live: Float64Array;
  private readonly workers: Worker[] = [];
  private readonly reports: Promise<CloserReport>[] = [];

  constructor(threads: number) {
    const live = new SharedArrayBuffer(threads * 3 * 8);
    this.live = new Float64Array(live);
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(entryUrl('engine/closer-worker.js'), { workerData: { queue: this.queue, live, index: i } });
      this.workers.push(worker);
      this.reports.push(
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`a linger closer thread exited with code ${code} before reporting`)));
        }),
      );
    }
  }

  /** Closes done so far and how long they blocked, summed over the closer threads. */
  liveStats(): { closes: number; blockedMsTotal: number; blockedMsMax: number } {
    let closes = 0;
    let total = 0;
    let max = 0;
    for (let i = 0; i < this.live.length; i += 3) {
      closes += this.live[i]!;
      total += this.live[i + 1]!;
      max = Math.max(max, this.live[i + 2]!);
    }
    return { closes, blockedMsTotal: total, blockedMsMax: max };
  }

  async stop(): Promise<{ closes: number; errors: Record<string, number>; blocked: Histogram[] }> {
    new CloserQueue(this.queue).stop();
    const reports = await Promise.all(this.reports);
    // Loaded here: the server child uses closers too, and needs no histogram code to start.
    const { histogramFromCounts } = await import('../metrics/histograms.js');
    const errors: Record<string, number> = {};
    for (const r of reports) for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
    return { closes: reports.reduce((a, r) => a + r.closes, 0), errors, blocked: reports.map((r) => histogramFromCounts(r.blocked)) };
  }

  /** Ends the threads without waiting for queued closes (an aborted start). */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
