// The TCP churn driver: many short connections in the chosen load shape, within bounds. Two
// engines make them: the native one (src/engine/: worker threads, each an epoll loop over raw
// sockets) wherever the native socket layer loads, and Node's `net` (one event loop, libuv
// sockets) where it cannot (TWSTORM_NATIVE_SOCKETS=off, no koffi). Same scenario, same
// semantics, same result; the result says which one ran.
import type net from 'node:net';
import type { LoadStats } from '../metrics/load-stats.js';
import type { Clock } from '../util/clock.js';
import { runShaped, type ShapePlan, type StopReason } from './shape/index.js';
import { runTcpConnection, type TcpConnectionSpec, type TcpExchangePlan } from './tcp-connection.js';
import { endpointPicker, type EndpointPlan } from './endpoints.js';
import { engineAvailability, prewarmEngine, runEngineLoad, type EngineThreadSummary } from '../engine/client-engine.js';

export { prewarmEngine };

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
}

export interface LoadOutcome {
  started: number;
  stoppedBy: StopReason;
  /** Run-clock times the load began and ended (in-flight connections included). */
  startMs: number;
  endMs: number;
  engine?: EngineInfo;
}

/** The engine a run would use here (native unless the layer is off or cannot load). */
export function chooseEngine(): { name: 'native' } | { name: 'net'; reason: string } {
  const a = engineAvailability();
  return a.ok ? { name: 'native' } : { name: 'net', reason: a.reason };
}

export async function runTcpLoad(plan: TcpLoadPlan, stats: LoadStats, clock: Clock, signal: AbortSignal): Promise<LoadOutcome> {
  const engine = chooseEngine();
  if (engine.name === 'native') {
    const { requestBytes, ...connection } = plan.connection;
    const out = await runEngineLoad(
      { ...plan, connection: { ...connection, requestBytes, http: null }, threads: plan.threads ?? null, sampleMs: stats.series.intervalMs },
      stats,
      clock,
      signal,
    );
    const stoppedBy: StopReason = out.interrupted ? 'interrupted' : out.started >= plan.count ? 'count' : 'duration';
    return {
      started: out.started,
      stoppedBy,
      startMs: out.startMs,
      endMs: out.endMs,
      engine: { name: 'native', threads: out.threads.length, perThread: out.threads },
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
  const { started, stoppedBy, startMs } = await runShaped(plan, clock, signal, launch, () => {
    for (const socket of live) socket.destroy();
  });
  return { started, stoppedBy, startMs, endMs: clock(), engine: { name: 'net', threads: 1, fallback: engine.reason } };
}
