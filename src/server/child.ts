// Entry point of the server child process. The server runs apart from the driver so that
// neither event loop slows the other: a stalled accept loop must show up as connect latency,
// not be hidden inside the driver's own timings.
import { createEchoServer } from './echo-server.js';
import { createHttpServer } from './http-server.js';
import type { FromServer, ServerConfig, ToServer } from './protocol.js';

/** What the child needs of either bundled server. */
type BundledServer = Pick<ReturnType<typeof createEchoServer>, 'listen' | 'stats' | 'close'>;

let server: BundledServer | undefined;

function createServer(config: ServerConfig): BundledServer {
  return config.kind === 'http' ? createHttpServer(config) : createEchoServer(config);
}

function send(message: FromServer): void {
  process.send?.(message);
}

// A Ctrl-C reaches the whole process group; the run decides when the server stops, so that
// in-flight connections are not cut short and counted as server errors.
process.on('SIGINT', () => {});

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
      const port = await server.listen();
      send({ type: 'listening', port });
      return;
    }
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
