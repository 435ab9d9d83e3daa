// One HTTP request's life through undici: send → response headers (time to first byte) → body
// read to the end (total) → counted as ok (2xx) or failed under a name that says why. Which
// connection carried it, and whether it was new, is the connector's business (http-load.ts).
import type { Dispatcher } from 'undici';
import type { LoadStats } from '../metrics/load-stats.js';
import type { Clock } from '../util/clock.js';
import type { Outcome } from './tcp-connection.js';
import { mapUndiciError, statusCode } from './undici-errors.js';
import { CUT_AT_STOP } from './shape/bounds.js';

export interface HttpRequestSpec {
  path: string;
  /** undici's `reset: true`: the socket is closed after this request (undici 7 also sends `connection: close`). */
  reset: boolean;
  /** Extra request headers, e.g. { connection: 'close' }. */
  headers: Record<string, string>;
  /** A server that stalls before or during the response is cut off after this long. */
  timeoutMs: number;
}

/**
 * Runs one request on `dispatcher` and resolves when its body was read (or it failed).
 * `intendedStartMs` is when the load shape wanted it to start: in an open loop, measuring
 * from there keeps a stalled driver from hiding its own delay (coordinated omission).
 * `connectErrors` holds the error objects the connector saw, so a failed connect is told
 * apart from a failure on an established connection; `stop.cut` says the run has cut what
 * is in flight.
 */
export async function runHttpRequest(
  dispatcher: Dispatcher,
  spec: HttpRequestSpec,
  stats: LoadStats,
  clock: Clock,
  intendedStartMs: number,
  connectErrors: WeakSet<object>,
  stop: { readonly cut: boolean },
): Promise<Outcome> {
  const since = (): number => Math.max(1, Math.round((clock() - intendedStartMs) * 1000));
  try {
    const response = await dispatcher.request({
      path: spec.path,
      method: 'GET',
      headers: spec.headers,
      reset: spec.reset,
      headersTimeout: spec.timeoutMs,
      bodyTimeout: spec.timeoutMs,
    });
    stats.firstByte.recordValue(since());
    // Read the body to its end, whatever its size: an unread body would keep the connection
    // busy (undici cannot reuse it) and `dump()` gives up on large bodies by closing it.
    for await (const _chunk of response.body) void _chunk;
    const now = clock();
    stats.total.recordValue(since());
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    stats.recordRequest(ok, now);
    if (ok) return { ok: true };
    const code = statusCode(response.statusCode);
    stats.recordError(code, 'read', now);
    return { ok: false, code, phase: 'read' };
  } catch (err) {
    const now = clock();
    const mapped = mapUndiciError(err, err !== null && typeof err === 'object' && connectErrors.has(err));
    const phase = mapped.connect ? 'connect' : 'read';
    // The run's own cut (shape/index.ts) destroyed the dispatcher under it: named as the cut.
    const code = stop.cut ? CUT_AT_STOP : mapped.code;
    stats.recordRequest(false, now);
    stats.recordError(code, phase, now);
    return { ok: false, code, phase };
  }
}
