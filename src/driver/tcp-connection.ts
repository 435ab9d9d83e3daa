// One TCP connection's life: connect → send the request → read the response → close the way
// the policy says. Who sends the first FIN decides where TIME_WAIT lands (RFC 793 §3.5);
// closing with SO_LINGER {1, 0} (resetAndDestroy) sends RST and leaves no TIME_WAIT at all;
// SO_LINGER {1, n} makes close() wait up to n s for unsent data; Linux then still sends it
// (measured in linger-timeout), so no reset.
import net from 'node:net';
import type { LoadStats, Phase } from '../metrics/load-stats.js';
import { connectBound, lingerClose } from '../sockets/index.js';
import type { Clock } from '../util/clock.js';
import type { CloseFirst, CloseMode } from '../scenario/close-semantics.js';

export type { CloseFirst, CloseMode };

/** Bind before connect, done natively (Node cannot bind without SO_REUSEADDR or with IP_BIND_ADDRESS_NO_PORT). */
export interface BindSpec {
  localAddress: string | undefined;
  /** 0: the kernel picks (at bind(), or at connect() with bindAddressNoPort). */
  localPort: number;
  reuseAddr: boolean;
  bindAddressNoPort: boolean;
}

export interface TcpConnectionSpec {
  host: string;
  port: number;
  /** Which of the run's server ports `port` is (0…): the 4-tuple the port table counts. */
  destination: number;
  request: Buffer;
  responseBytes: number;
  first: CloseFirst;
  /** How the client closes its side. */
  mode: CloseMode;
  lingerSeconds: number;
  /**
   * close.delay. Client first (or both): the wait after the exchange before closing. Server
   * first: how long after the exchange the server's FIN comes; waiting for it is not idleness.
   */
  delayMs: number;
  /** Wait after connecting before reading: a slow reader leaves the server's data unsent. */
  readDelayMs: number;
  connectTimeoutMs: number;
  /** A stalled exchange or a peer that never closes is cut off after this long idle. */
  idleTimeoutMs: number;
  /** null: a plain connect() (the kernel picks the source address and port). */
  bind: BindSpec | null;
}

/**
 * One connection's exchange and close, as a load plan states it for every connection: the spec
 * less what each connection gets on its own (destination port, bind, the request buffer). Both
 * engines take this: the `net` driver here, the native engine's threads (src/engine).
 */
export type TcpExchangePlan = Omit<TcpConnectionSpec, 'request' | 'port' | 'destination' | 'bind'> & { requestBytes: number };

export type Outcome = { ok: true } | { ok: false; code: string; phase: Phase };

/**
 * Runs one connection and resolves when its socket is closed. `intendedStartMs` is when the
 * load shape wanted it to start: in an open loop, measuring from there keeps a stalled driver
 * from hiding its own delay (coordinated omission).
 */
export function runTcpConnection(
  spec: TcpConnectionSpec,
  stats: LoadStats,
  clock: Clock,
  intendedStartMs: number,
  live: Set<net.Socket>,
): Promise<Outcome> {
  stats.recordAttempt(clock());
  let socket: net.Socket;
  try {
    socket = openSocket(spec);
  } catch (err) {
    // bind() failed synchronously (EADDRINUSE: the port is taken; EADDRNOTAVAIL: no such
    // local address); the native layer already closed the fd.
    const code = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    const now = clock();
    stats.recordError(code, 'bind', now);
    stats.recordFailed(now);
    return Promise.resolve({ ok: false, code, phase: 'bind' });
  }
  return new Promise((resolve) => {
    let phase: Phase = 'connect';
    let received = 0;
    let exchanged = false;
    let closeStartMs = -1;
    let established = false;
    let error: { code: string; phase: Phase } | undefined;
    // Pending timers die with the socket, or an interrupted run would wait them out.
    const timers: NodeJS.Timeout[] = [];
    live.add(socket);

    const closeNow = (): void => {
      if (closeStartMs >= 0 || socket.destroyed) return;
      phase = 'close';
      closeStartMs = clock();
      // From our FIN on, the wait is for the server's: idle time again.
      socket.setTimeout(spec.idleTimeoutMs);
      if (spec.mode === 'rst') socket.resetAndDestroy();
      else if (spec.mode === 'linger') {
        lingerClose(socket, spec.lingerSeconds).then(
          (r) => stats.lingerBlocked.recordValue(Math.max(1, Math.round(r.blockedMs * 1000))),
          (err: NodeJS.ErrnoException) => stats.recordError(err.code ?? 'UNKNOWN', 'close', clock()),
        );
      } else socket.end();
    };

    const exchangeDone = (): void => {
      exchanged = true;
      phase = 'close';
      const now = clock();
      stats.total.recordValue(Math.max(1, Math.round((now - intendedStartMs) * 1000)));
      stats.recordCompleted(now);
      if (spec.first === 'server') {
        // Wait for the server's FIN ('end'): it comes close.delay after the exchange, a wait
        // that is the scenario's, not idleness (else a delay past the idle timeout had the
        // client close first, with ETIMEDOUT, and moved TIME_WAIT to the client).
        if (spec.delayMs > 0) socket.setTimeout(spec.delayMs + spec.idleTimeoutMs);
        return;
      }
      if (spec.delayMs > 0) {
        // Our close is due: no idle timeout until it has gone out (closeNow arms it again).
        socket.setTimeout(0);
        timers.push(setTimeout(closeNow, spec.delayMs));
      } else closeNow();
    };

    socket.setTimeout(spec.connectTimeoutMs, () => {
      // ETIMEDOUT is what the kernel itself reports when SYN retries run out.
      error ??= { code: 'ETIMEDOUT', phase };
      socket.destroy();
    });

    socket.once('connect', () => {
      const now = clock();
      established = true;
      stats.recordEstablished(now, (now - intendedStartMs) * 1000, socket.localPort ?? 0, socket.localAddress ?? '', spec.destination);
      socket.setTimeout(spec.idleTimeoutMs + spec.readDelayMs);
      phase = 'write';
      if (spec.readDelayMs > 0) {
        socket.pause();
        timers.push(setTimeout(() => socket.resume(), spec.readDelayMs));
      }
      socket.write(spec.request, () => {
        if (phase === 'write') phase = 'read';
      });
      countSentAtDestroy(socket, stats);
      if (spec.responseBytes === 0) exchangeDone();
    });

    socket.on('data', (chunk: Buffer) => {
      if (received === 0) stats.firstByte.recordValue(Math.max(1, Math.round((clock() - intendedStartMs) * 1000)));
      received += chunk.length;
      stats.bytesReceived += chunk.length;
      if (!exchanged && received >= spec.responseBytes) exchangeDone();
    });

    socket.on('end', () => {
      // The server's FIN. When the server closes first this is the client's cue; otherwise it
      // means the server closed before the exchange finished, and we close our side too.
      if (!exchanged) error ??= { code: 'PEER_CLOSED_EARLY', phase };
      closeNow();
    });

    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= { code: err.code ?? 'UNKNOWN', phase };
    });

    socket.once('close', () => {
      for (const timer of timers) clearTimeout(timer);
      live.delete(socket);
      const now = clock();
      if (closeStartMs >= 0) stats.close.recordValue(Math.max(1, Math.round((now - closeStartMs) * 1000)));
      if (established) {
        stats.life.recordValue(Math.max(1, Math.round((now - intendedStartMs) * 1000)));
        stats.ports.released();
        // What the server sent that never arrived: an RST (ours or the server's) threw it away;
        // bytes a connection that ended otherwise never got were never sent.
        const reset = (spec.mode === 'rst' && closeStartMs >= 0) || error?.code === 'ECONNRESET' || error?.code === 'EPIPE';
        if (reset && received < spec.responseBytes) stats.bytesLost += spec.responseBytes - received;
      }
      if (error) stats.recordError(error.code, error.phase, now);
      if (!exchanged) stats.recordFailed(now);
      resolve(error ? { ok: false, ...error } : { ok: true });
    });
  });
}

/**
 * Bytes sent are what the kernel took, as the engine counts what send() took: counted when the
 * socket is destroyed (every close path goes through destroy()), while libuv's queue is still
 * there to subtract. Node's bytesWritten counts what libuv still queues, and the write's
 * callback fires without an error for a request cut short (an audit: 8 MiB "sent" per
 * connection to a server that never read, of which the kernel took ~3.9 MB).
 */
function countSentAtDestroy(socket: net.Socket, stats: LoadStats): void {
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (error?: Error) => {
    if (!socket.destroyed) {
      const queued = (socket as unknown as { _handle?: { writeQueueSize?: number } | null })._handle?.writeQueueSize ?? 0;
      stats.bytesSent += Math.max(0, socket.bytesWritten - queued);
    }
    return destroy(error);
  };
}

function openSocket(spec: TcpConnectionSpec): net.Socket {
  if (spec.bind === null) return net.connect({ host: spec.host, port: spec.port, allowHalfOpen: true, noDelay: true });
  return connectBound({
    host: spec.host,
    port: spec.port,
    ...(spec.bind.localAddress !== undefined ? { localAddress: spec.bind.localAddress } : {}),
    localPort: spec.bind.localPort,
    reuseAddr: spec.bind.reuseAddr,
    bindAddressNoPort: spec.bind.bindAddressNoPort,
    allowHalfOpen: true,
    noDelay: true,
  });
}
