// The listening side of both bundled servers: one or more listening sockets per port, made by
// Node when Node's defaults will do, natively when the scenario asks for what Node cannot do
// (SO_REUSEADDR off — libuv sets it on every bind —, SO_REUSEPORT on Node 20). Every listener
// only accepts; each accepted socket is handed to the one server that serves it
// (server.emit('connection'), which net.Server and http.Server both serve), so the serving
// code is the same whatever the listening setup.
import net from 'node:net';
import { listenNative, requireFeature } from '../sockets/index.js';
import type { BundledServer, ServerStats } from './stats.js';

export interface ListenOptions {
  host: string;
  /** First port; 0 picks a free one (only with ports: 1). */
  port: number;
  /** Consecutive ports from `port`, each a separate destination. */
  ports: number;
  backlog: number;
  reuseAddr: boolean;
  reusePort: boolean;
  /** Listening sockets per port (SO_REUSEPORT group when > 1). */
  listeners: number;
}

export interface Listening {
  /** The ports listened on, in order. */
  readonly ports: number[];
  /** Accepted connections per listening socket, port by port. */
  readonly acceptedPerListener: number[];
  close(): Promise<void>;
}

/** Whether Node's own listen() cannot give what the options ask for. */
export function needsNativeListener(o: Pick<ListenOptions, 'reuseAddr' | 'reusePort' | 'listeners'>): boolean {
  return !o.reuseAddr || o.reusePort || o.listeners > 1;
}

/**
 * Opens every listener or none: on a failure the ones already open are closed and the error
 * (with its errno `code`, e.g. EADDRINUSE) is thrown.
 */
export async function listenAll(serve: net.Server, o: ListenOptions): Promise<Listening> {
  const native = needsNativeListener(o);
  if (native) {
    if (!o.reuseAddr) requireFeature('reuseAddrOff', 'server.reuseAddr: false');
    if (o.reusePort) requireFeature('reusePort', 'server.reusePort: true');
  }
  const acceptors: net.Server[] = [];
  const accepted: number[] = [];
  const ports: number[] = [];
  try {
    for (let p = 0; p < o.ports; p++) {
      let port = o.port === 0 ? 0 : o.port + p;
      for (let l = 0; l < o.listeners; l++) {
        const index = accepted.length;
        accepted.push(0);
        // allowHalfOpen and noDelay are set on accepted sockets by the accepting server, so
        // they must match what the serving code expects (it decides when to send its FIN).
        const acceptor = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
          accepted[index]! += 1;
          serve.emit('connection', socket);
        });
        acceptors.push(acceptor);
        port = native
          ? (await listenNative(acceptor, { host: o.host, port, reuseAddr: o.reuseAddr, reusePort: o.reusePort, backlog: o.backlog })).port
          : await listenNode(acceptor, o.host, port, o.backlog);
      }
      ports.push(port);
    }
  } catch (err) {
    await closeAll(acceptors);
    throw err;
  }
  return { ports, acceptedPerListener: accepted, close: () => closeAll(acceptors) };
}

function listenNode(server: net.Server, host: string, port: number, backlog: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Stops accepting; connections already accepted belong to the serving code. */
function closeAll(servers: net.Server[]): Promise<void> {
  return Promise.all(
    servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
  ).then(() => undefined);
}

/** Node's own behaviour: one listener, SO_REUSEADDR on, no SO_REUSEPORT. */
export const PLAIN_LISTEN: Pick<ListenOptions, 'ports' | 'reuseAddr' | 'reusePort' | 'listeners'> = {
  ports: 1,
  reuseAddr: true,
  reusePort: false,
  listeners: 1,
};

/**
 * The lifecycle both bundled servers share: `serve` handles connections, the listeners feed
 * it, `sockets` are the connections it holds (destroyed on close), `stats` its own counts.
 */
export function serveWithListeners(
  serve: net.Server,
  options: ListenOptions,
  sockets: Set<net.Socket>,
  stats: () => ServerStats,
): BundledServer {
  let listening: Listening | undefined;
  return {
    async listen() {
      listening = await listenAll(serve, options);
      return listening.ports;
    },
    stopListening: async () => {
      await listening?.close();
    },
    stats: () => ({ ...stats(), ...(listening ? { acceptedPerListener: [...listening.acceptedPerListener] } : {}) }),
    close: async () => {
      // Resolves once every held socket is closed (its 'close' event), so the stats sent after
      // close() count them out — a server that leaked thousands (close.server never) included.
      const closed = [...sockets].map((socket) => (socket.closed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()))));
      for (const socket of sockets) socket.destroy();
      await Promise.all([...closed, listening?.close()]);
    },
  };
}
