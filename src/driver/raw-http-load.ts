// http.client: raw — HTTP/1.1 GET churn made by the engine's threads (src/engine/), without
// undici: each connection writes the request itself and reads the response (Content-Length,
// chunked, or until the server closes), `requestsPerConnection` times, then closes. This is
// wrk's way, so a server can be driven at the kernel's speed; the undici profiles stay for what
// real Node clients do (pools, reset semantics), which this mode does not reproduce.
import type { LoadStats } from '../metrics/load-stats.js';
import type { Clock } from '../util/clock.js';
import { runEngineLoad } from '../engine/client-engine.js';
import type { HttpLoadPlan } from './http-plan.js';
import type { LoadOutcome, StopReason } from './tcp-load.js';
import { endpoint } from '../util/format.js';

/** The request every connection sends; Connection: close when a connection carries one request. */
export function rawRequest(host: string, port: number, path: string, requestsPerConnection: number): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${endpoint(host, port)}\r\nUser-Agent: twstorm\r\n${requestsPerConnection === 1 ? 'Connection: close\r\n' : ''}\r\n`;
}

export async function runRawHttpLoad(plan: HttpLoadPlan, stats: LoadStats, clock: Clock, signal: AbortSignal, beforeGo?: () => Promise<void>): Promise<LoadOutcome> {
  const perConnection = plan.requestsPerConnection ?? 1;
  const out = await runEngineLoad(
    {
      connection: {
        host: plan.host,
        requestBytes: 0,
        responseBytes: 0,
        // The client closes after its last response (FIN); a server that answered
        // `Connection: close` has usually sent its own FIN first, and keeps the TIME_WAIT.
        first: 'client',
        mode: 'fin',
        lingerSeconds: 1,
        delayMs: 0,
        readDelayMs: 0,
        connectTimeoutMs: plan.connectTimeoutMs,
        idleTimeoutMs: plan.idleTimeoutMs,
        http: { request: rawRequest(plan.host, plan.port, plan.path ?? '/', perConnection), requestsPerConnection: perConnection },
      },
      endpoints: { ports: [plan.port], sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: plan.portRange ?? null },
      count: plan.count,
      durationMs: plan.durationMs,
      concurrency: plan.concurrency,
      rate: plan.rate === null ? null : plan.rate / perConnection,
      // A ramp's targets are requests (per second, or in flight); the engine starts connections.
      stages: (plan.stages ?? []).map((s) => ({ duration: s.duration, target: plan.rate === null ? s.target : s.target / perConnection })),
      maxInFlight: plan.maxInFlight,
      interruptGraceMs: plan.interruptGraceMs,
      gracefulStopMs: plan.gracefulStopMs,
      threads: plan.threads ?? null,
      sampleMs: stats.series.intervalMs,
    },
    stats,
    clock,
    signal,
    beforeGo,
  );
  const stoppedBy: StopReason = out.interrupted ? 'interrupted' : stats.requests.total >= plan.count ? 'count' : 'duration';
  return {
    started: stats.requests.total,
    stoppedBy,
    startMs: out.startMs,
    endMs: out.endMs,
    engine: { name: 'native', threads: out.threads.length, perThread: out.threads, io: out.io, ...(out.ioFallback ? { ioFallback: out.ioFallback } : {}) },
  };
}
