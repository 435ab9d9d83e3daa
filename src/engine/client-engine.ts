// The main-thread side of the client engine: splits the load over worker threads, starts them
// together, keeps the live counters the progress line reads, passes on an interrupt, and merges
// every thread's recorders into the run's LoadStats exactly (sums, HdrHistogram adds, series
// bucket by bucket, one shared port table). The threads do the syscalls; this thread stays free
// for signals, progress and the observers.
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { loadRawSockets } from '../sockets/raw.js';
import { addCounts } from '../metrics/histograms.js';
import type { LoadStats } from '../metrics/load-stats.js';
import type { Clock } from '../util/clock.js';
import type { EndpointPlan } from '../driver/endpoints.js';
import type { Stage } from '../driver/shape/ramp.js';
import {
  CONTROL_BYTES,
  CTL_F64_START,
  CTL_GO,
  CTL_READY,
  CTL_STOP,
  LIVE_ATTEMPTED,
  LIVE_COMPLETED,
  LIVE_ESTABLISHED,
  LIVE_FAILED,
  LIVE_ERRORS,
  LIVE_WIDTH,
  STOP_CUT,
  STOP_DRAIN,
  type ClientConnectionPlan,
  type ClientThreadConfig,
  type ClientThreadReport,
} from './client-config.js';
import { countPorts, newPortTable } from '../metrics/port-table.js';
import { CloserPool } from './linger-closers.js';
import { chooseIo, ioOfThreads, type EngineIo } from './io-choice.js';
import { entryUrl } from '../paths.js';
import { ExpectedError } from '../util/expected-error.js';
import { split } from '../util/shares.js';
import { peakConcurrency } from '../scenario/work.js';

export interface EngineLoadPlan {
  connection: Omit<ClientConnectionPlan, 'host'> & { host: string };
  endpoints: EndpointPlan;
  count: number;
  durationMs: number;
  concurrency: number;
  rate: number | null;
  maxInFlight: number;
  /** A ramp (k6-style) from `concurrency` or `rate`; empty or absent: flat. */
  stages?: readonly Stage[];
  interruptGraceMs: number;
  /** After durationMs, how long connections in flight get to end before they are cut. */
  gracefulStopMs: number;
  /** null: the CPUs this process may run on. */
  threads: number | null;
  sampleMs: number;
}

/** One engine thread's share and cost, for summary.driver.threads. */
export interface EngineThreadSummary {
  thread: number;
  attempted: number;
  established: number;
  completed: number;
  failed: number;
  /** Wall time outside the wait for the kernel: what the thread spent making the storm. */
  busyMs: number;
  wallMs: number;
  turns: number;
}

export interface EngineLoadOutcome {
  started: number;
  startMs: number;
  endMs: number;
  interrupted: boolean;
  threads: EngineThreadSummary[];
  /** How the threads did their I/O, and why not through io_uring when they did not. */
  io: EngineIo;
  ioFallback?: string;
}

/** Whether the native engine can run here, and why not. Cheap after the first call. */
export function engineAvailability(): { ok: true } | { ok: false; reason: string } {
  const r = loadRawSockets();
  return r.ok ? { ok: true } : { ok: false, reason: r.reason };
}

// Threads started ahead of the run (while the server child and the observers start), so their
// module and FFI loading does not delay the first connection.
const warm: Worker[] = [];
const CLIENT_WORKER = entryUrl('engine/client-worker.js');

/** What decides a load's thread count: the plan's fields that bound it. */
export type ThreadNeeds = Pick<EngineLoadPlan, 'threads' | 'rate' | 'concurrency' | 'maxInFlight' | 'count' | 'stages'>;

/**
 * The engine threads a load runs on: the one answer for the run and for the threads started
 * ahead of it. A closed loop never needs more threads than connections in flight at its peak
 * (a ramp's highest target, peakConcurrency), nor an open loop more than its in-flight bound;
 * null threads: the CPUs this process may run on.
 */
export function clientThreads(needs: ThreadNeeds): number {
  const bound = needs.rate === null ? peakConcurrency(needs) : needs.maxInFlight;
  return Math.max(1, Math.min(needs.threads ?? os.availableParallelism(), bound, Math.max(1, needs.count)));
}

/** Starts the threads the next runEngineLoad of such a load will take, so none is started twice or left idle. */
export function prewarmEngine(needs: ThreadNeeds): void {
  if (!engineAvailability().ok) return;
  const n = clientThreads(needs);
  while (warm.length < n) {
    const worker = new Worker(CLIENT_WORKER, { workerData: null });
    worker.on('error', () => undefined); // reported when it is used; an unused one just ends
    worker.unref(); // a run that fails before its load must not be kept alive by these
    warm.push(worker);
  }
}

/**
 * Ends the threads started ahead that no load took: a run that failed before its load leaves
 * them. The run calls it at its end (execute.ts), so none outlives its run. In a process that
 * makes several runs (the test harness), each in a fresh namespace, a leftover thread would
 * open the next run's sockets in the namespace it started in.
 */
export function releaseWarmThreads(): void {
  for (const worker of warm.splice(0)) void worker.terminate();
}

/** How many prewarmed threads wait for the next load (tests). */
export const warmThreads = (): number => warm.length;

function takeWorker(config: ClientThreadConfig): Worker {
  const pooled = warm.shift();
  if (pooled && pooled.threadId > 0) {
    pooled.removeAllListeners('error');
    pooled.ref();
    pooled.postMessage(config);
    return pooled;
  }
  return new Worker(CLIENT_WORKER, { workerData: config });
}

/** `beforeGo`: awaited once every thread has loaded, just before they go (a routed lab's client host waits there for the lab's 'go'). */
export async function runEngineLoad(plan: EngineLoadPlan, stats: LoadStats, clock: Clock, signal: AbortSignal, beforeGo?: () => Promise<void>): Promise<EngineLoadOutcome> {
  const loaded = loadRawSockets();
  if (!loaded.ok) throw new ExpectedError(`the native engine cannot run: ${loaded.reason}`);
  const host = net.isIP(plan.connection.host) ? plan.connection.host : (await dns.lookup(plan.connection.host)).address;
  const threads = clientThreads(plan);
  const counts = split(plan.count, threads);
  // A closed-loop ramp may go above `concurrency`: slots for its highest target.
  const concurrency = split(peakConcurrency(plan), threads);
  const inFlight = split(plan.maxInFlight, threads);
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const ctl = new Int32Array(control, 0, 4);
  const ctlF64 = new Float64Array(control);
  const live = new SharedArrayBuffer(threads * LIVE_WIDTH * 8);
  const liveView = new Float64Array(live);
  const portTable = newPortTable(Math.max(1, plan.endpoints.sourceAddresses.length), true, plan.endpoints.ports.length);
  const closers = plan.connection.mode === 'linger' ? new CloserPool(Math.min(4, Math.max(1, plan.concurrency))) : null;
  const io = chooseIo(plan.connection.mode);
  // The run clock's origin, for the threads' own clocks (same timeOrigin + now() instant).
  const epochMs = performance.timeOrigin + performance.now() - clock();
  // Warm threads beyond what this run uses are not needed any more.
  const spare = warm.splice(threads);
  for (const w of spare) void w.terminate();

  const workers: Worker[] = [];
  const reports: Promise<ClientThreadReport>[] = [];
  for (let t = 0; t < threads; t++) {
    const config: ClientThreadConfig = {
      thread: t,
      threads,
      io: io.io,
      layout: loaded.layout,
      epochMs,
      sampleMs: stats.series.intervalMs,
      connection: { ...plan.connection, host },
      endpoints: plan.endpoints,
      count: counts[t]!,
      durationMs: plan.durationMs,
      gracefulStopMs: plan.gracefulStopMs,
      concurrency: concurrency[t]!,
      rate: plan.rate === null ? null : plan.rate / threads,
      rateOffsetMs: plan.rate === null ? 0 : (t * 1000) / plan.rate,
      maxInFlight: inFlight[t]!,
      totalConcurrency: plan.concurrency,
      totalRate: plan.rate,
      stages: [...(plan.stages ?? [])],
      control,
      live,
      ports: portTable,
      closer: closers?.queue ?? null,
    };
    const worker = takeWorker(config);
    workers.push(worker);
    reports.push(
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', (err) => reject(new Error(`engine thread ${t} failed: ${err.message}`)));
        worker.once('exit', (code) => reject(new Error(`engine thread ${t} exited with code ${code} before reporting`)));
      }),
    );
  }
  // A failing thread must not leave the others running.
  const all = Promise.all(reports).catch(async (err: Error) => {
    Atomics.store(ctl, CTL_STOP, STOP_CUT);
    await Promise.all(workers.map((w) => w.terminate()));
    await closers?.terminate();
    throw err;
  });

  // Every thread has loaded its FFI and histograms: start them together.
  while (Atomics.load(ctl, CTL_READY) < threads) {
    const r = await Promise.race([all.then(() => 'done' as const), new Promise((res) => setTimeout(res, 5, 'wait'))]);
    if (r === 'done') break;
  }
  if (beforeGo && !signal.aborted) await beforeGo();
  const base = { attempted: stats.attempted, established: stats.established, completed: stats.completed, failed: stats.failed };
  const startMs = clock();
  ctlF64[CTL_F64_START] = startMs;
  // A stop that came while the threads loaded is in place before they go, so none of them
  // starts a connection (set after GO, a thread woken at once could start a few first).
  if (signal.aborted) Atomics.store(ctl, CTL_STOP, STOP_DRAIN);
  Atomics.store(ctl, CTL_GO, 1);
  Atomics.notify(ctl, CTL_GO);

  const copyLive = (): void => {
    const sum = [0, 0, 0, 0, 0];
    for (let t = 0; t < threads; t++) {
      for (const [i, k] of [LIVE_ATTEMPTED, LIVE_ESTABLISHED, LIVE_COMPLETED, LIVE_FAILED, LIVE_ERRORS].entries()) sum[i]! += liveView[t * LIVE_WIDTH + k]!;
    }
    stats.attempted = base.attempted + sum[0]!;
    stats.established = base.established + sum[1]!;
    stats.completed = base.completed + sum[2]!;
    stats.failed = base.failed + sum[3]!;
    stats.errorsUncoded = sum[4]!;
  };
  const liveTimer = setInterval(copyLive, 100);
  let graceTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    // No new connection from now; in-flight ones get the grace to finish their close.
    Atomics.store(ctl, CTL_STOP, STOP_DRAIN);
    graceTimer = setTimeout(() => Atomics.store(ctl, CTL_STOP, STOP_CUT), plan.interruptGraceMs);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let done: ClientThreadReport[];
  try {
    done = await all;
  } finally {
    clearInterval(liveTimer);
    clearTimeout(graceTimer);
    signal.removeEventListener('abort', onAbort);
  }
  stats.attempted = base.attempted;
  stats.established = base.established;
  stats.completed = base.completed;
  stats.failed = base.failed;
  stats.errorsUncoded = 0;
  for (const report of done) mergeThread(stats, report);
  // Each thread's port figures through the run tracker's own rules (absorb: reuses add, the
  // shortest interval and the highest peak win, the earliest shortage brings its count); the
  // table the threads share is counted once, with the first.
  const table = countPorts(portTable);
  done.forEach((r, i) => stats.ports.absorb({ distinct: i === 0 ? table.distinct : 0, reused: i === 0 ? table.reused : 0, ...r.ports }));
  // A linger close handed to a closer thread is still the load's: the load ends when the last
  // close() returned, not when the engine threads handed the fds over (an audit: fin-timeout-
  // myth's load "ended" at 0.51 s with most FINs unsent, and CLOSE_WAIT was judged from then).
  const closed = closers ? await closers.stop() : null;
  const endMs = clock();
  if (closed) {
    for (const h of closed.blocked) {
      stats.lingerBlocked.add(h);
      // The close of a connection handed to a closer is how long its close() blocked there.
      stats.close.add(h);
    }
    for (const [code, n] of Object.entries(closed.errors)) for (let i = 0; i < n; i++) stats.recordError(code, 'close', endMs);
  }
  return {
    started: done.reduce((a, r) => a + r.attempted, 0),
    startMs,
    endMs,
    interrupted: signal.aborted,
    threads: done.map((r) => ({
      thread: r.thread,
      attempted: r.attempted,
      established: r.established,
      completed: r.completed,
      failed: r.failed,
      busyMs: r.loop.busyMs,
      wallMs: r.loop.wallMs,
      turns: r.loop.turns,
    })),
    ...ioOfThreads(io, done),
  };
}

/** Adds one thread's recorders to the run's: every figure is a sum, a histogram add or a bucket add. */
export function mergeThread(stats: LoadStats, r: ClientThreadReport): void {
  stats.attempted += r.attempted;
  stats.established += r.established;
  stats.completed += r.completed;
  stats.failed += r.failed;
  stats.bytesSent += r.bytesSent;
  stats.bytesReceived += r.bytesReceived;
  stats.bytesLost += r.bytesLost;
  stats.requests.total += r.requests.total;
  stats.requests.ok += r.requests.ok;
  stats.requests.failed += r.requests.failed;
  for (const [code, count] of Object.entries(r.errors)) {
    let mine = stats.errors.get(code);
    if (mine === undefined) {
      mine = { total: 0, byPhase: {} };
      stats.errors.set(code, mine);
    }
    mine.total += count.total;
    for (const [phase, n] of Object.entries(count.byPhase) as [keyof typeof count.byPhase, number][]) {
      mine.byPhase[phase] = (mine.byPhase[phase] ?? 0) + n;
    }
  }
  addCounts(stats.connect, r.histograms.connect);
  addCounts(stats.firstByte, r.histograms.firstByte);
  addCounts(stats.total, r.histograms.total);
  addCounts(stats.close, r.histograms.close);
  addCounts(stats.life, r.histograms.life);
  addCounts(stats.ports.reuseIntervals, r.histograms.portReuseInterval);
  // Threads share one ports-held window, so their held counts are one count (the max per interval).
  stats.connectFill.absorb(r.connectFill, 0, true);
  for (const [name, column] of Object.entries(r.series.columns)) {
    column.forEach((n, i) => {
      if (n > 0) stats.series.add(name, r.series.t[i]!, n);
    });
  }
}
