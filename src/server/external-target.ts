// `target:` — a server twstorm did not start and does not stop (isolation: host). The run keeps
// the same handle it has on the bundled server, so the driver and observers need no branch.
import type { ServerProcess } from './process.js';

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
