// Entry point of the server child process. The server runs apart from the driver so that
// neither event loop slows the other: a stalled accept loop must show up as connect latency,
// not be hidden inside the driver's own timings.
import { createEchoServer, type BundledServer } from './echo-server.js';
import { createHttpServer } from './http-server.js';
import type { FromServer, ServerConfig, ToServer } from './protocol.js';
import { restartListening } from './restart.js';
import { runClock } from '../util/clock.js';

let server: BundledServer | undefined;
let restarting: AbortController | undefined;

function createServer(config: ServerConfig): BundledServer {
  return config.kind === 'http' ? createHttpServer(config) : createEchoServer(config);
}

function send(message: FromServer): void {
  // The parent may be gone already (its 'disconnect' then ends this process).
  process.send?.(message, undefined, undefined, () => undefined);
}

// A Ctrl-C (or a SIGTERM from `timeout`, a CI cancel, systemd) reaches the whole process
// group; the run decides when the server stops, so that in-flight connections are not cut
// short and the run can still ask for the server's counts.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

// The parent vanished (crash or kill -9): there is nobody left to serve.
process.on('disconnect', () => process.exit(0));

process.on('message', (message: ToServer) => {
  void handle(message).catch((err: NodeJS.ErrnoException) =>
    send({ type: 'error', code: err.code ?? 'UNKNOWN', message: err.message }),
  );
});

async function handle(message: ToServer): Promise<void> {
  switch (message.type) {
    case 'start': {
      server = createServer(message.config);
      const ports = await server.listen();
      send({ type: 'listening', ports });
      return;
    }
    case 'restart': {
      if (!server) throw new Error('restart before start');
      restarting = new AbortController();
      try {
        const outcome = await restartListening(server, {
          timeoutMs: message.timeoutMs,
          retryEveryMs: message.retryEveryMs,
          clock: runClock(message.epochMs),
          signal: restarting.signal,
        });
        send({ type: 'restarted', outcome });
      } finally {
        restarting = undefined;
      }
      return;
    }
    case 'cancel-restart':
      restarting?.abort();
      return;
    case 'stats':
      send({ type: 'stats', stats: server?.stats() ?? emptyStats() });
      return;
    case 'stop': {
      await server?.close();
      send({ type: 'stopped', stats: server?.stats() ?? emptyStats() });
      process.disconnect();
      return;
    }
  }
}

function emptyStats() {
  return { accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: {} };
}
