// The bundled TCP echo server. It reads the request, answers, and then closes the way the
// close policy says, because which side sends the first FIN decides where TIME_WAIT lands
// (RFC 793 §3.5: the active closer passes through TIME_WAIT, the passive one through
// CLOSE_WAIT → LAST_ACK). Mode "never" is the broken server: it reads the client's FIN and never
// closes, so each socket stays in CLOSE_WAIT with its descriptor until the server stops.
import net from 'node:net';
import os from 'node:os';
import { lingerClose } from '../sockets/index.js';
import { serveWithListeners, type ListenOptions } from './listen.js';
import { createEngineEchoServer } from '../engine/server-engine.js';
import { loadRawSockets } from '../sockets/raw.js';
import type { CloseFirst, CloseMode, ServerCloseMode } from '../scenario/close-semantics.js';
import type { BundledServer, LingerStats, ServerStats } from './stats.js';

export type { BundledServer, LingerStats, ServerStats, CloseFirst, CloseMode, ServerCloseMode };

export interface EchoServerConfig extends ListenOptions {
  requestBytes: number;
  responseBytes: number;
  close: {
    first: CloseFirst;
    /** How this server closes its side ("never": it leaks the socket after the client's FIN). */
    mode: ServerCloseMode;
    /** Wait after the reply before closing, when the server closes first (or both do). */
    delayMs: number;
    /** SO_LINGER seconds for mode 'linger'. */
    lingerSeconds: number;
  };
  /**
   * Sockets idle this long are destroyed, so a client that never closes cannot pin the server.
   * Not in mode "never": the leak must last until the server stops.
   */
  idleTimeoutMs: number;
  /** The process's RLIMIT_NOFILE when the scenario sets one (server.maxOpenFiles), else absent/null. */
  maxOpenFiles?: number | null;
}

/**
 * SO_LINGER {1, n} makes close() block the calling thread while unsent data drains (measured:
 * the event loop froze the full n). lingerClose() does the blocking close on a worker thread
 * and reports how long it blocked.
 */
export function closeWithLinger(socket: net.Socket, seconds: number, stats: { linger?: LingerStats }, onError: (code: string) => void): void {
  const linger = (stats.linger ??= { closes: 0, blockedMsTotal: 0, blockedMsMax: 0 });
  linger.closes++;
  lingerClose(socket, seconds).then(
    (r) => {
      linger.blockedMsTotal += r.blockedMs;
      linger.blockedMsMax = Math.max(linger.blockedMsMax, r.blockedMs);
    },
    (err: NodeJS.ErrnoException) => onError(err.code ?? 'UNKNOWN'),
  );
}

// A repeating pattern so a truncated response is visible in a capture.
const PATTERN = Buffer.from('twstorm-echo-');

function buildResponse(request: Buffer, size: number): Buffer {
  const out = Buffer.alloc(size);
  const copied = request.copy(out, 0, 0, Math.min(size, request.length));
  for (let i = copied; i < size; i++) out[i] = PATTERN[(i - copied) % PATTERN.length]!;
  return out;
}

/**
 * The echo server on the native engine (src/engine/server-engine.ts: epoll threads over raw
 * sockets) wherever the native layer loads; on Node's `net` otherwise (TWSTORM_NATIVE_SOCKETS
 * =off, no koffi). Same exchange, close policies, listeners and counts either way.
 */
export function createEchoServer(config: EchoServerConfig): BundledServer {
  return loadRawSockets().ok ? createEngineEchoServer(config, engineThreads(config.maxOpenFiles)) : createNetEchoServer(config);
}

/**
 * One engine thread per CPU, but under a small open-file limit each thread's own descriptors
 * (its event loop, epoll set, spare) would eat the limit meant for connections, and on a many-core
 * machine stop the server from starting at all: then at most one thread per 32 descriptors.
 */
export function engineThreads(maxOpenFiles: number | null | undefined, cpus = os.availableParallelism()): number {
  return maxOpenFiles === null || maxOpenFiles === undefined ? cpus : Math.max(1, Math.min(cpus, Math.floor(maxOpenFiles / 32)));
}

/** The echo server on Node's `net`: one event loop, libuv sockets. */
export function createNetEchoServer(config: EchoServerConfig): BundledServer {
  const stats: ServerStats = { accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: {} };
  const sockets = new Set<net.Socket>();
  const countError = (code: string): void => {
    stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  };

  // allowHalfOpen: Node would otherwise answer the client's FIN with its own at once, and
  // the server could no longer choose when (or whether) to close first.
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    stats.accepted++;
    stats.open++;
    sockets.add(socket);
    const { first, mode, delayMs } = config.close;
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let replied = false;
    let closing = false;
    let peerEnded = false;

    const closeNow = (): void => {
      if (closing || socket.destroyed) return;
      // The leak: EOF was read and close() is never called; the socket stays in CLOSE_WAIT.
      if (mode === 'never') return;
      closing = true;
      if (mode === 'rst') {
        // SO_LINGER {1, 0}: the kernel sends RST and skips TIME_WAIT (tcp_close → tcp_disconnect).
        stats.closedRst++;
        socket.resetAndDestroy();
      } else if (mode === 'linger') {
        closeWithLinger(socket, config.close.lingerSeconds, stats, countError);
      } else {
        // Counted only when this FIN goes first (active close: TIME_WAIT lands here), the
        // same meaning as the HTTP server's count; a FIN answering the client's is not.
        if (!peerEnded) stats.closedFin++;
        // Closing first after the whole request and no more: close once the FIN is out rather
        // than wait for the client's, as the engine server does (src/engine/server-worker.ts:
        // nginx's rule, nothing unread so no RST); the kernel finishes the close. A client that
        // sent more may still be sending: keep reading until its FIN (a lingering close).
        if (!peerEnded && receivedBytes === config.requestBytes) socket.end(() => socket.destroy());
        else socket.end();
      }
    };

    const reply = (): void => {
      replied = true;
      const request = Buffer.concat(received);
      received.length = 0;
      const afterWrite = (): void => {
        stats.replied++;
        if (first === 'client') return; // wait for the client's FIN
        if (delayMs > 0) setTimeout(closeNow, delayMs);
        else closeNow();
      };
      if (config.responseBytes === 0) afterWrite();
      // The write callback fires once the data is in the kernel, so an RST close that
      // follows does not discard the reply before it was even handed over.
      else socket.write(buildResponse(request, config.responseBytes), (err) => (err ? undefined : afterWrite()));
    };

    socket.on('data', (chunk: Buffer) => {
      // Counted after the reply too, as the engine server counts them: bytes beyond the request
      // (before a delayed close) make closeNow() linger rather than close over unread data.
      const before = receivedBytes;
      receivedBytes += chunk.length;
      if (replied) return;
      if (before < config.responseBytes) received.push(chunk);
      if (receivedBytes >= config.requestBytes) reply();
    });
    socket.on('end', () => {
      peerEnded = true;
      // The client sent its FIN: when the client closes first this is our cue; in any other
      // policy the client gave up early, and holding the socket would only leak it.
      closeNow();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => countError(err.code ?? 'UNKNOWN'));
    socket.on('close', () => {
      stats.open--;
      sockets.delete(socket);
    });
    if (mode !== 'never') socket.setTimeout(config.idleTimeoutMs, () => socket.destroy());
    if (config.requestBytes === 0) reply();
  });

  return serveWithListeners(server, config, sockets, () => ({
    ...stats,
    errors: { ...stats.errors },
    ...(stats.linger ? { linger: { ...stats.linger } } : {}),
  }));
}
