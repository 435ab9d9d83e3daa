// The restart phase: stop listening, then try to listen on the same port(s) again at once and
// every `retryEveryMs` until it works or `timeoutMs` is over. This is the "bind: address
// already in use" story: a listener without SO_REUSEADDR cannot bind a port while connections
// on it sit in TIME_WAIT (inet_csk_bind_conflict), which lasts 60 s on Linux; with
// SO_REUSEADDR on the old and the new listener the bind succeeds at once.
import { sleep, type Clock } from '../util/clock.js';
import { roundMs } from '../util/round.js';
import type { BundledServer } from './stats.js';

export interface BindAttempt {
  /** Run-clock time of the attempt. */
  tMs: number;
  /** null when the listen succeeded; the errno code otherwise (EADDRINUSE). */
  code: string | null;
}

export interface RestartOutcome {
  ok: boolean;
  attempts: BindAttempt[];
  /** From the moment the old listeners closed until the new ones listened (or the timeout). */
  unavailableMs: number;
  ports: number[];
}

export async function restartListening(
  server: BundledServer,
  options: { timeoutMs: number; retryEveryMs: number; clock: Clock; signal?: AbortSignal },
): Promise<RestartOutcome> {
  const { clock } = options;
  await server.stopListening();
  const stoppedAt = clock();
  const attempts: BindAttempt[] = [];
  for (;;) {
    const tMs = clock();
    try {
      const ports = await server.listen();
      attempts.push({ tMs, code: null });
      return { ok: true, attempts, unavailableMs: roundMs(clock() - stoppedAt), ports };
    } catch (err) {
      attempts.push({ tMs, code: (err as NodeJS.ErrnoException).code ?? 'UNKNOWN' });
    }
    // Given up at the timeout, or at once on Ctrl-C (the run records itself as interrupted).
    if (options.signal?.aborted || clock() - stoppedAt + options.retryEveryMs > options.timeoutMs) {
      return { ok: false, attempts, unavailableMs: roundMs(clock() - stoppedAt), ports: [] };
    }
    await sleep(options.retryEveryMs, options.signal);
  }
}

