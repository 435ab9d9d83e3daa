// `target:` — a server twstorm did not start and does not stop (isolation: host). The run keeps
// the same handle it has on the bundled server, so the driver and observers need no branch.
import net from 'node:net';
import type { ServerProcess } from './process.js';
import { ServerStartError } from './process.js';

export function externalTarget(port: number): ServerProcess {
  const none = () => ({ accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: {} });
  return {
    pid: -1,
    port,
    ports: [port],
    stats: () => Promise.resolve(none()),
    restart: () => Promise.reject(new Error('the restart phase needs the bundled server')),
    stop: () => Promise.resolve(none()),
    // Not ours to watch: a target that goes away shows as connect errors, counted as measured.
    died: new Promise<string>(() => undefined),
  };
}

/** The target refused or did not answer the connection made before the load. */
export class TargetUnreachableError extends ServerStartError {}

/** How long the probe waits for a SYN to be answered (a dropped SYN is retried for ~2 min). */
export const TARGET_PROBE_MS = 5000;

/**
 * One connection to the target before the load starts. A target nobody listens on would run the
 * whole load as ECONNREFUSED, recorded as if measured (an audit: 50 of 50 refused, then "the run
 * failed"). The probe ends with an RST (resetAndDestroy, SO_LINGER 0), so it leaves no TIME_WAIT
 * on either side, and it comes before the observers' baseline, so no counter of the run sees it.
 */
export function probeTarget(target: { host: string; port: number; text: string }, timeoutMs = TARGET_PROBE_MS, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const done = (err?: TargetUnreachableError): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        socket.resetAndDestroy();
        resolve();
      }
    };
    const abort = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(); // the stop is the run's to report
    };
    const timer = setTimeout(
      () => done(new TargetUnreachableError('ETIMEDOUT', `target ${target.text} did not answer a test connection within ${timeoutMs / 1000} s: check that the address is right and that no firewall drops the SYN`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'ERROR';
      done(
        new TargetUnreachableError(
          code,
          code === 'ECONNREFUSED'
            ? `target ${target.text} refused a test connection (ECONNREFUSED): nothing listens there; start your server first, or give its start command as server.command (without target:) so the run starts it`
            : `target ${target.text} cannot be reached (${code}: ${err.message}): check the address and the route to it`,
        ),
      );
    });
  });
}
