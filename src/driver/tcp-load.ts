// The TCP churn driver: many short connections in the chosen load shape, within bounds.
import type net from 'node:net';
import type { LoadStats } from '../metrics/load-stats.js';
import type { Clock } from '../util/clock.js';
import { runShaped, type ShapePlan, type StopReason } from './load-shape.js';
import { runTcpConnection, type TcpConnectionSpec } from './tcp-connection.js';
import { endpointPicker, type EndpointPlan } from './endpoints.js';

export interface TcpLoadPlan extends ShapePlan {
  connection: Omit<TcpConnectionSpec, 'request' | 'port' | 'bind'> & { requestBytes: number };
  endpoints: EndpointPlan;
}

export type { StopReason };

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
  const launch = (intendedStartMs: number) => {
    const spec: TcpConnectionSpec = { ...base, ...next() };
    return runTcpConnection(spec, stats, clock, intendedStartMs, live);
  };
  const { started, stoppedBy, startMs } = await runShaped(plan, clock, signal, launch, () => {
    for (const socket of live) socket.destroy();
  });
  return { started, stoppedBy, startMs, endMs: clock() };
}
