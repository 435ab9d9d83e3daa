// The HTTP churn driver: requests through undici 7 in the chosen load shape, within bounds,
// with connections used the way the client mode says. Every new connection goes through one
// connector that wraps undici's own, so the connection counts, connect latency and local
// ports come from the sockets themselves — not from guessing which request opened one.
import type net from 'node:net';
import { buildConnector, Client, Pool, type Dispatcher } from 'undici';
import type { LoadStats } from '../metrics/load-stats.js';
import type { Clock } from '../util/clock.js';
import { runShaped } from './shape/index.js';
import { runHttpRequest, type HttpRequestSpec } from './http-request.js';
import type { LoadOutcome } from './tcp-load.js';
import { findErrno } from './undici-errors.js';
import { withCheapInformationalStacks } from './undici-stacks.js';
import { runRawHttpLoad } from './raw-http-load.js';
import type { HttpLoadPlan } from './http-plan.js';
import { endpoint } from '../util/format.js';

/**
 * undici's connector with accounting around it: a connect attempt, its latency and local
 * port when it succeeds (the port tracker's input), and the socket's close and byte counts.
 * Connect errors are remembered so a failed request can be attributed to the connect phase.
 */
function trackingConnector(
  plan: HttpLoadPlan,
  stats: LoadStats,
  clock: Clock,
  live: Set<net.Socket>,
  connectErrors: WeakSet<object>,
): buildConnector.connector {
  const connect = buildConnector({ timeout: plan.connectTimeoutMs });
  return (options, callback) => {
    const startMs = clock();
    stats.recordAttempt(startMs);
    let established: net.Socket | null = null;
    // One 'close' listener per connection does all the accounting (listeners are a
    // per-connection cost). undici destroys a socket it is done with by passing an
    // InformationalError (code UND_ERR_INFO), so Node's `hadError` is true for every close;
    // the error it was destroyed with (`errored`) is a failure only when it carries an errno.
    const closed = (sock: net.Socket): void => {
      live.delete(sock);
      // Only the socket the connector called back with is accounted, once.
      if (sock !== established) return;
      stats.ports.released();
      stats.bytesSent += established.bytesWritten;
      stats.bytesReceived += established.bytesRead;
      if (!findErrno(established.errored)) stats.recordCompleted(clock());
    };
    // undici's connector returns the socket it made (its type says void); it is kept so an
    // interrupt can cut connects still in progress.
    const socket = connect(options, (err, sock) => {
      const now = clock();
      if (err !== null || sock === null) {
        const failure = err ?? new Error('undici connector returned no socket');
        connectErrors.add(failure);
        stats.recordFailed(now);
        callback(failure, null);
        return;
      }
      established = sock;
      stats.recordEstablished(now, (now - startMs) * 1000, sock.localPort ?? 0, sock.localAddress ?? '');
      if (sock !== socket) sock.once('close', () => closed(sock));
      callback(null, sock);
    }) as unknown as net.Socket | undefined;
    if (socket) {
      live.add(socket);
      socket.once('close', () => closed(socket));
    }
  };
}

/** `beforeGo`: awaited just before the first request (raw: once the engine's threads have loaded). */
export async function runHttpLoad(plan: HttpLoadPlan, stats: LoadStats, clock: Clock, signal: AbortSignal, beforeGo?: () => Promise<void>): Promise<LoadOutcome> {
  if (plan.client === 'raw') return runRawHttpLoad(plan, stats, clock, signal, beforeGo);
  return withCheapInformationalStacks(() => runUndiciLoad(plan, stats, clock, signal, beforeGo));
}

async function runUndiciLoad(plan: HttpLoadPlan, stats: LoadStats, clock: Clock, signal: AbortSignal, beforeGo?: () => Promise<void>): Promise<LoadOutcome> {
  const live = new Set<net.Socket>();
  const connectErrors = new WeakSet<object>();
  const origin = `http://${endpoint(plan.host, plan.port)}`;
  const connect = trackingConnector(plan, stats, clock, live, connectErrors);
  const clientOptions = {
    connect,
    pipelining: 1,
    headersTimeout: plan.idleTimeoutMs,
    bodyTimeout: plan.idleTimeoutMs,
  } satisfies Client.Options;
  const spec: HttpRequestSpec = {
    path: plan.path ?? '/',
    // `reset: true` and `Connection: close` are the same thing on the wire in undici 7: it
    // sends `connection: close` and destroys the socket once the response is complete.
    reset: plan.client === 'reset',
    headers: plan.client === 'connection-close' ? { connection: 'close' } : {},
    timeoutMs: plan.idleTimeoutMs,
  };
  const perRequest = new Set<Client>();
  const pool =
    plan.client === 'agent-per-request' ? undefined : new Pool(origin, { ...clientOptions, connections: plan.poolConnections });

  // The pool's launch is runHttpRequest itself: no wrapping async function (and its promise)
  // per request.
  // Set when the run cuts what is in flight: a request that fails from then on was cut.
  const stop = { cut: false };
  const launch = pool
    ? (intendedStartMs: number) => runHttpRequest(pool, spec, stats, clock, intendedStartMs, connectErrors, stop)
    : async (intendedStartMs: number) => {
        // The "agent per request" bug: a fresh client has no connection to reuse, so every
        // request pays a connect and leaves its port behind in TIME_WAIT once the client closes.
        const client = new Client(origin, clientOptions);
        perRequest.add(client);
        try {
          return await runHttpRequest(client, spec, stats, clock, intendedStartMs, connectErrors, stop);
        } finally {
          await closeDispatcher(client);
          perRequest.delete(client);
        }
      };

  try {
    const cut = (): void => {
      stop.cut = true;
      void pool?.destroy().catch(() => undefined);
      for (const client of perRequest) void client.destroy().catch(() => undefined);
      for (const socket of live) socket.destroy();
    };
    const { started, stoppedBy, startMs } = await runShaped(plan, clock, signal, launch, cut, beforeGo);
    const endMs = clock();
    // The pool's idle connections are closed by the client, so they end in TIME_WAIT here —
    // at most `poolConnections` of them, which is the whole point of keep-alive.
    if (pool) await closeDispatcher(pool);
    return { started, stoppedBy, startMs, endMs };
  } finally {
    if (pool && !pool.destroyed) await pool.destroy().catch(() => undefined);
  }
}

/** close() waits for queued requests, then closes the sockets (FIN); destroy() if that fails. */
async function closeDispatcher(dispatcher: Dispatcher): Promise<void> {
  await dispatcher.close().catch(() => dispatcher.destroy().catch(() => undefined));
}
