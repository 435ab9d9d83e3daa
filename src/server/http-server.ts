// The bundled HTTP/1.1 server: Node's own http module, trivial routes, and a close policy that
// decides which side sends the first FIN — and so where TIME_WAIT lands (RFC 793 §3.5: the
// active closer passes through TIME_WAIT). RFC 7230 §6.6 says a server that receives
// `Connection: close` closes after its response, and Node's http server does; but the client
// (undici with `reset: true`) closes after the response too, and then the two FINs race. The
// policies make the closer explicit so a run measures one side, not the outcome of a race.
import http from 'node:http';
import type net from 'node:net';
import type { BundledServer, ServerStats } from './stats.js';
import { serveWithListeners, type ListenOptions } from './listen.js';
import { corkUntilClose } from '../sockets/index.js';

export type HttpPolicy = 'keepalive' | 'close-after' | 'wait-client' | 'rst';

export interface HttpServerConfig extends ListenOptions {
  policy: HttpPolicy;
  /** Idle keep-alive connections are closed by the server after this long (0 = no keep-alive timer; idleTimeoutMs still applies). */
  keepAliveTimeoutMs: number;
  /** policy keepalive: close after the Nth request on a connection (0 = no limit). */
  maxRequestsPerConnection: number;
  /** policy close-after: requests per connection before the server closes it. */
  closeAfter: number;
  /** Response body bytes of GET /. */
  bodyBytes: number;
  /** Wait before answering, uniform in [min, max] ms. */
  serviceDelayMs: { min: number; max: number };
  /** Connections idle this long are destroyed, so a client that never closes cannot pin the server. */
  idleTimeoutMs: number;
}



/** GET /bytes/N answers N bytes, up to this many (a sized body without a config change). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

// A repeating pattern so a truncated body is visible in a capture.
const PATTERN = Buffer.from('twstorm-http-');

function makeBody(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = PATTERN[i % PATTERN.length]!;
  return out;
}

export function createHttpServer(config: HttpServerConfig): BundledServer {
  /** Same counts as the echo server: `replied` counts responses, `closedFin` server-initiated FINs. */
  const stats: ServerStats = { accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: {} };
  const sockets = new Set<net.Socket>();
  const served = new WeakMap<net.Socket, number>();
  const resetByUs = new WeakSet<net.Socket>();
  const body = makeBody(config.bodyBytes);
  const countError = (code: string): void => {
    stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  };

  const server = http.createServer(
    (req, res) => {
      const socket = req.socket;
      const count = (served.get(socket) ?? 0) + 1;
      served.set(socket, count);
      const answer = (): void => respond(req, res, socket, count);
      const { min, max } = config.serviceDelayMs;
      const delay = min + Math.random() * (max - min);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    },
  );
  // keepalive honours maxRequestsPerConnection through Node itself (it answers the last request
  // with `Connection: close` and closes first); the other policies count for themselves.
  server.maxRequestsPerSocket = config.policy === 'keepalive' ? config.maxRequestsPerConnection : 0;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // Node's default headersTimeout (60 s) must stay above keepAliveTimeout; the request
  // timeout bounds a client that opens and never sends.
  server.requestTimeout = config.idleTimeoutMs;
  server.headersTimeout = Math.max(config.idleTimeoutMs, config.keepAliveTimeoutMs + 1000);

  const respond = (req: http.IncomingMessage, res: http.ServerResponse, socket: net.Socket, count: number): void => {
    const route = routeBody(req.url ?? '/');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('method not allowed\n');
      stats.replied++;
      return;
    }
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: GET / or GET /bytes/N\n');
      stats.replied++;
      return;
    }
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream', 'content-length': route.length };
    let closeNow = false;
    switch (config.policy) {
      case 'close-after':
        // The server closes first: Node writes `Connection: close` and ends the socket once
        // the response is flushed (TIME_WAIT on the server).
        if (count >= config.closeAfter) {
          headers['connection'] = 'close';
          closeNow = true;
          // The response and our FIN in one segment: a client that closes as soon as it has the
          // whole response (curl did, on most connections) no longer beats our close() below.
          corkUntilClose(socket);
        } else {
          headers['connection'] = 'keep-alive';
        }
        break;
      case 'wait-client':
        // Deliberately not what RFC 7230 §6.6 asks of a server: answering `keep-alive` even to a
        // `Connection: close` request stops Node from ending the socket, so the client (which
        // closes after a close request anyway) is the first closer.
        headers['connection'] = 'keep-alive';
        break;
      case 'rst':
        // `close` tells the client not to send another request on this connection: one sent
        // before our RST arrived would fail with ECONNRESET (measured: 22 of 3,000 with a
        // keep-alive pool). undici treats an RST after a complete `close` response as the end.
        headers['connection'] = 'close';
        // Runs before Node's own 'finish' listener, which would end the socket: a reset after
        // that (uv_tcp_close_reset on a shutting-down handle) fails with EINVAL. 'finish' fires
        // once the response is in the kernel, so the RST cannot discard it. SO_LINGER {1, 0}: no
        // TIME_WAIT anywhere.
        res.prependOnceListener('finish', () => {
          if (socket.destroyed) return;
          stats.closedRst++;
          resetByUs.add(socket);
          socket.resetAndDestroy();
        });
        break;
      case 'keepalive':
        break;
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : route);
    stats.replied++;
    if (closeNow) {
      // Node itself would end the socket two event-loop turns later ('finish', then
      // uv_shutdown waiting for POLLOUT), while undici destroys its side as soon as it has
      // parsed a `Connection: close` response: on loopback the client won that race for ~4%
      // of connections (measured), and even closing on 'finish' left ~0.1%. res.end() has
      // flushed the response into the kernel when the socket has nothing left buffered, so
      // close() now sends our FIN straight behind the data — nothing unread, so a FIN, not RST.
      if (socket.writableLength === 0) socket.destroy();
      else res.prependOnceListener('finish', () => socket.destroy());
    }
  };

  const routeBody = (url: string): Buffer | undefined => {
    const path = url.split('?')[0];
    if (path === '/') return body;
    const sized = /^\/bytes\/(\d{1,9})$/.exec(path ?? '');
    if (sized) return makeBody(Math.min(MAX_BODY_BYTES, Number(sized[1])));
    return undefined;
  };

  server.on('connection', (socket: net.Socket) => {
    stats.accepted++;
    stats.open++;
    sockets.add(socket);
    // Who closed first, from what this socket saw: the peer's FIN arriving while our side is
    // still open means the client closed first. Otherwise Node (or the policy) closed first:
    // by `Connection: close`, maxRequestsPerSocket, or keepAliveTimeout (a plain destroy).
    let peerFirst = false;
    // Prepended: Node's own 'end' listener (registered first) answers the peer's FIN with ours.
    socket.prependListener('end', () => {
      if (!socket.writableEnded) peerFirst = true;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => countError(err.code ?? 'UNKNOWN'));
    socket.on('close', (hadError) => {
      stats.open--;
      sockets.delete(socket);
      if (!peerFirst && !hadError && !resetByUs.has(socket)) stats.closedFin++;
    });
    socket.setTimeout(config.idleTimeoutMs, () => socket.destroy());
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    countError(err.code ?? 'UNKNOWN');
    // A reset peer or a closed socket cannot be answered; anything else gets a 400 (Node's own default).
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  // The listeners only accept and hand each socket over (listen.ts): this server itself never
  // listens, so Node's periodic headers/request timeout check (started on 'listening') does
  // not run; the idle timeout above bounds every connection instead.
  return serveWithListeners(server, config, sockets, () => ({ ...stats, errors: { ...stats.errors } }));
}
