// A run whose server dies mid-load stops its load and is marked failed: loading a dead server
// would record its ECONNREFUSED as if it were the phenomenon. One watch for both kinds of run,
// on one loopback (execute.ts) and in the routed lab (routed-run.ts), so they judge a death alike
// (an audit: the lab never looked, and a server that exited with code 3 after 300 accepts left
// 1,685 ECONNREFUSED recorded as measurements, exit 0, no `failed`).
import { performance } from 'node:perf_hooks';
import type { RunResult } from '../result/model.js';
import { sleep } from '../util/clock.js';

/**
 * A signal to a whole process group (systemd stopping a unit, a CI job cancelled, `kill 0`)
 * reaches the server and this process at once, and the server's exit may be seen first. Its
 * death fails the run only when no stop came with it: within this long after, or before.
 */
export const STOP_SIGNAL_RACE_MS = 1_000;

export interface Ends {
  died: { why: string; atMs: number } | null;
  stopAtMs: number | null;
}

/** Why the run failed because its server died, or null: it did not, or a stop signal explains it. */
export function serverDeathFailure({ died, stopAtMs }: Ends): string | null {
  if (died === null) return null;
  return stopAtMs !== null && stopAtMs <= died.atMs + STOP_SIGNAL_RACE_MS ? null : died.why;
}

export interface ServerWatch {
  /** Aborted by the run's stop (Ctrl-C) and by the server's death: what the load listens to. */
  readonly load: AbortSignal;
  /** Whether the server died on its own (so far). */
  died(): boolean;
  /** When the run was told to stop (performance.now(); 0: before the watch began), or null. */
  stoppedAtMs(): number | null;
  /**
   * Call once the server is stopped: when it died and no stop came yet, waits out the rest of
   * STOP_SIGNAL_RACE_MS (a stop on its way explains the death), then says why the run failed
   * because of it, or null. Also lets go of the run's signal.
   */
  settle(): Promise<string | null>;
}

/** Watches `died` (a server's `died` promise) beside the run's stop signal. */
export function watchServer(died: Promise<string>, signal: AbortSignal, now: () => number = () => performance.now()): ServerWatch {
  const stopLoad = new AbortController();
  const ends: Ends = { died: null, stopAtMs: signal.aborted ? 0 : null };
  const onAbort = (): void => {
    ends.stopAtMs ??= now();
    stopLoad.abort();
  };
  if (signal.aborted) stopLoad.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  void died.then((why) => {
    ends.died ??= { why, atMs: now() };
    stopLoad.abort();
  });
  return {
    load: stopLoad.signal,
    died: () => ends.died !== null,
    stoppedAtMs: () => ends.stopAtMs,
    async settle() {
      if (ends.died !== null && !signal.aborted) await sleep(ends.died.atMs + STOP_SIGNAL_RACE_MS - now(), signal);
      signal.removeEventListener('abort', onAbort);
      // A stop that came while waiting above is recorded by then (its listener ran first).
      if (signal.aborted) ends.stopAtMs ??= now();
      return serverDeathFailure(ends);
    },
  };
}

/** The result with `failed` set, placed beside `interrupted` and `stoppedBy` where a reader looks. */
export function markFailed<R extends RunResult>(result: R, reason: string): R {
  // A reason already there (a routed lab's client host's) gives way to this one, the run's.
  const entries = Object.entries(result).filter(([key]) => key !== 'failed');
  const at = entries.findIndex(([key]) => key === 'stoppedBy') + 1;
  entries.splice(at, 0, ['failed', reason]);
  return Object.fromEntries(entries) as unknown as R;
}
