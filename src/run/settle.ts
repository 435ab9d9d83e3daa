// The end of a run's tail: the final census waits until the bundled server has closed what it
// will close. The driver stops only once every client socket is closed, but the server child
// closes its side when it reads the client's FIN (or after its reply, when it closes first), and
// a server starved of CPU (a busy CI machine, a loaded laptop) can be seconds behind. Until it
// has, the client's sockets sit in FIN_WAIT2 rather than TIME_WAIT (RFC 9293 §3.6), and the
// census would count a state the run has not finished producing: TIME_WAIT 1,186 where the run
// makes 1,200.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerProcess } from '../server/process.js';

/** How long the tail may be stretched for a slow server; past it the census takes what it sees. */
export const SETTLE_MAX_MS = 10_000;
const POLL_MS = 20;

/**
 * Resolves once the bundled server holds no connection, after SETTLE_MAX_MS, on abort, or at once
 * when the server holds connections on purpose (close.server never) or is not ours to ask (a
 * server.command or an external target: they have no counts). Returns how long it waited.
 */
export async function waitForServerToSettle(
  server: Pick<ServerProcess, 'stats'>,
  holdsOnPurpose: boolean,
  signal: AbortSignal,
): Promise<number> {
  if (holdsOnPurpose) return 0;
  const t0 = performance.now();
  while (!signal.aborted && performance.now() - t0 < SETTLE_MAX_MS) {
    const open = await server.stats().then(
      (s) => s.open,
      () => 0, // a server that cannot answer has nothing left to close for us
    );
    if (open <= 0) break;
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return performance.now() - t0;
}
