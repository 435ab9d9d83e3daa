// The TCP churn driver: many short connections in the chosen load shape, within bounds. Two
// engines make them: the native one (src/engine/: worker threads, each a loop over raw
// sockets) wherever the native socket layer loads, and Node's `net` (one event loop, libuv
// sockets) where it cannot (TWSTORM_NATIVE_SOCKETS=off, no koffi). Same scenario, same
// semantics, same result; the result says which one ran.
import type net from 'node:net';
import type { LoadStats } from '../metrics/load-stats.js';
import type { Clock } from '../util/clock.js';
import { runShaped, type ShapePlan, type StopReason } from './shape/index.js';
import { CUT_AT_STOP } from './shape/bounds.js';
import { runTcpConnection, type TcpConnectionSpec, type TcpExchangePlan } from './tcp-connection.js';
import { endpointPicker, type EndpointPlan } from './endpoints.js';
import { engineAvailability, prewarmEngine, releaseWarmThreads, runEngineLoad, type EngineThreadSummary } from '../engine/client-engine.js';
import type { EngineIo } from '../engine/io-choice.js';

export { prewarmEngine, releaseWarmThreads };

export interface TcpLoadPlan extends ShapePlan {
  connection: TcpExchangePlan;
  endpoints: EndpointPlan;
  /** Engine threads; null or absent: the CPUs the run may use. Ignored by the `net` engine. */
  threads?: number | null;
}

export type { StopReason };

/** Which engine made the load, and with how many threads. */
export interface EngineInfo {
  name: 'native' | 'net';
  threads: number;
  /** Why the native engine did not run, when it did not. */
  fallback?: string;
  /** Native engine: each thread's share and busy time. */
  perThread?: EngineThreadSummary[];
  /** Native engine: io_uring or epoll, and why not io_uring when not. */
  io?: EngineIo;
  ioFallback?: string;
}

export interface LoadOutcome {
  started: number;
  stoppedBy: StopReason;
  /** Run-clock times the load began and ended (in-flight connections included). */
  startMs: number;
  endMs: number;
  engine?: EngineInfo;
}

/**
 * Two loads of one run (server.restart's first act and its resumed one) as one: counts added,
 * the first's start and the second's end and stop, and the engine that made both (each thread's
 * share added up by thread number; the resumed act may use fewer threads).
 */
export function joinLoads(first: LoadOutcome, second: LoadOutcome): LoadOutcome {
  const joined: LoadOutcome = { started: first.started + second.started, stoppedBy: second.stoppedBy, startMs: first.startMs, endMs: second.endMs };
  const engine = first.engine ?? second.engine;
  if (engine === undefined) return joined;
  const byThread = new Map<number, EngineThreadSummary>();
  for (const t of [...(first.engine?.perThread ?? []), ...(second.engine?.perThread ?? [])]) {
    const seen = byThread.get(t.thread);
    byThread.set(
      t.thread,
      seen === undefined
        ? { ...t }
        : {
            thread: t.thread,
            attempted: seen.attempted + t.attempted,
            established: seen.established + t.established,
            completed: seen.completed + t.completed,
            failed: seen.failed + t.failed,
            busyMs: seen.busyMs + t.busyMs,
            wallMs: seen.wallMs + t.wallMs,
            turns: seen.turns + t.turns,
          },
    );
  }
  const threads = Math.max(first.engine?.threads ?? 0, second.engine?.threads ?? 0);
  const perThread = byThread.size === 0 ? undefined : [...byThread.values()].sort((a, b) => a.thread - b.thread);
  return { ...joined, engine: { ...engine, threads, ...(perThread ? { perThread } : {}) } };
}

/** The engine a run would use here (native unless the layer is off or cannot load). */
export function chooseEngine(): { name: 'native' } | { name: 'net'; reason: string } {
  const a = engineAvailability();
  return a.ok ? { name: 'native' } : { name: 'net', reason: a.reason };
}

/** `beforeGo`: awaited just before the first connection, once the engine's threads have loaded. */
export async function runTcpLoad(plan: TcpLoadPlan, stats: LoadStats, clock: Clock, signal: AbortSignal, beforeGo?: () => Promise<void>): Promise<LoadOutcome> {
  const engine = chooseEngine();
  if (engine.name === 'native') {
    const { requestBytes, ...connection } = plan.connection;
    const out = await runEngineLoad(
      { ...plan, connection: { ...connection, requestBytes, http: null }, threads: plan.threads ?? null, sampleMs: stats.series.intervalMs },
      stats,
      clock,
      signal,
      beforeGo,
    );
    const stoppedBy: StopReason = out.interrupted ? 'interrupted' : out.started >= plan.count ? 'count' : 'duration';
    return {
      started: out.started,
      stoppedBy,
      startMs: out.startMs,
      endMs: out.endMs,
      engine: { name: 'native', threads: out.threads.length, perThread: out.threads, io: out.io, ...(out.ioFallback ? { ioFallback: out.ioFallback } : {}) },
    };
  }
  const { requestBytes, ...connection } = plan.connection;
  const base = { ...connection, request: Buffer.alloc(requestBytes, 'q') };
  const next = endpointPicker(plan.endpoints);
  const live = new Set<net.Socket>();
  const launch = (intendedStartMs: number) => {
    const spec: TcpConnectionSpec = { ...base, ...next() };
    return runTcpConnection(spec, stats, clock, intendedStartMs, live);
  };
  const cut = (): void => {
    // The error names the cut: tcp-connection.ts counts a socket's first error.
    for (const socket of live) socket.destroy(Object.assign(new Error('cut at the stop'), { code: CUT_AT_STOP }));
  };
  const { started, stoppedBy, startMs } = await runShaped(plan, clock, signal, launch, cut, beforeGo);
  return { started, stoppedBy, startMs, endMs: clock(), engine: { name: 'net', threads: 1, fallback: engine.reason } };
}
