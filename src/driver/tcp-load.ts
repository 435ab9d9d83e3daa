// The TCP churn driver: many short connections in the chosen load shape, within bounds.
import type net from 'node:net';
import type { LoadStats } from '../metrics/load-stats.js';
import { sleep, type Clock } from '../util/clock.js';
import { closedLoop, openLoop, type Bounds } from './load-shape.js';
import { runTcpConnection, type TcpConnectionSpec } from './tcp-connection.js';
import { endpointPicker, type EndpointPlan } from './endpoints.js';

export interface TcpLoadPlan {
  connection: Omit<TcpConnectionSpec, 'request' | 'port' | 'bind'> & { requestBytes: number };
  endpoints: EndpointPlan;
  count: number;
  durationMs: number;
  /** Closed loop when `rate` is null. */
  concurrency: number;
  rate: number | null;
  maxInFlight: number;
  /** After an interrupt, in-flight connections get this long before they are cut. */
  interruptGraceMs: number;
}

export type StopReason = 'count' | 'duration' | 'interrupted';

export interface LoadOutcome {
  started: number;
  stoppedBy: StopReason;
  /** Run-clock times the load began and ended (in-flight connections included). */
  startMs: number;
  endMs: number;
}

export async function runTcpLoad(plan: TcpLoadPlan, stats: LoadStats, clock: Clock, signal: AbortSignal): Promise<LoadOutcome> {
  const { requestBytes, ...connection } = plan.connection;
  const base = { ...connection, request: Buffer.alloc(requestBytes, 'q') };
  const next = endpointPicker(plan.endpoints);
  const live = new Set<net.Socket>();
  const startMs = clock();
  const bounds: Bounds = { count: plan.count, deadlineMs: startMs + plan.durationMs, signal };
  const launch = (intendedStartMs: number) => {
    const spec: TcpConnectionSpec = { ...base, ...next() };
    return runTcpConnection(spec, stats, clock, intendedStartMs, live);
  };

  // On interrupt, stop starting new connections at once and give the in-flight ones a short
  // grace to finish their close, so the result still counts them; then cut what is left.
  const onAbort = (): void => {
    void sleep(plan.interruptGraceMs).then(() => {
      for (const socket of live) socket.destroy();
    });
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const started =
      plan.rate === null
        ? await closedLoop(plan.concurrency, bounds, clock, launch)
        : await openLoop(plan.rate, plan.maxInFlight, bounds, clock, launch);
    const stoppedBy: StopReason = signal.aborted ? 'interrupted' : started >= plan.count ? 'count' : 'duration';
    return { started, stoppedBy, startMs, endMs: clock() };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
