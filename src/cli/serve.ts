// `twstorm serve`: a bundled server alone (TCP echo, or HTTP/1.1 with --protocol http), in the
// foreground, for pointing other tools at (nc, curl, wrk, ab). It runs on the host network (no
// namespace): it is for what you bring to it.
import { isIP } from 'node:net';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { createEchoServer, type BundledServer, type CloseFirst, type ServerCloseMode, type ServerStats } from '../server/echo-server.js';
import { ServerStartError } from '../server/process.js';
import { createHttpServer, type HttpPolicy } from '../server/http-server.js';
import { HTTP_POLICIES, SERVER_CLOSE_MODES, formatDuration, parseDuration } from '../scenario/index.js';
import * as L from '../scenario/limits.js';
import { big } from '../scenario/fields.js';
import { PLAIN_LISTEN } from '../server/listen.js';
import { hintFor } from '../sockets/errors.js';
import { givenOptions } from './given-options.js';
import { endpoint } from '../util/format.js';

interface ServeArgs {
  protocol: 'tcp' | 'http';
  policy: HttpPolicy;
  'keep-alive-timeout': string;
  'max-requests': number;
  'close-after': number;
  body: number;
  'service-delay': string;
  host: string;
  port: number;
  'close-first': CloseFirst;
  'close-mode': ServerCloseMode;
  'linger-seconds': number;
  delay: string;
  request: number;
  response: number;
  backlog: number;
}

/** What each string option takes, for the line that says one was given no value (main.ts). */
const VALUE_HINTS: Record<string, string> = {
  'keep-alive-timeout': 'a duration like 5s',
  'service-delay': 'a duration like 10ms',
  host: 'an address like 127.0.0.1',
  delay: 'a duration like 10ms',
};

export const serveCommand = {
  command: 'serve',
  describe: 'Run a bundled server alone: TCP echo, or HTTP/1.1 with --protocol http (host network, foreground; Ctrl-C stops it)',
  valueHints: VALUE_HINTS,
  // requiresArg on every option with a value: without it a bare `--port` or `--host` (last, or
  // before another option) was the default, and a server came up where nobody asked for it.
  builder: (y: Argv) =>
    y
      .option('protocol', {
        choices: ['tcp', 'http'] as const,
        requiresArg: true,
        default: 'tcp' as const,
        describe: 'tcp: the echo server (--close-first, --close-mode, --request, --response); http: the HTTP/1.1 server (--policy, --body, …)',
      })
      .option('policy', {
        choices: HTTP_POLICIES,
        requiresArg: true,
        default: 'keepalive' as const,
        describe: 'http: when the server closes: keepalive, close-after (N requests, server closes first), wait-client (client closes first), rst (RST after each response)',
      })
      .option('keep-alive-timeout', { type: 'string', requiresArg: true, default: '5s', describe: 'http: close connections idle this long (0 = no keep-alive timer; idle connections are still cut after 60 s)' })
      .option('max-requests', { type: 'number', requiresArg: true, default: 0, describe: 'http, policy keepalive: close after this many requests on a connection (0 = no limit)' })
      .option('close-after', { type: 'number', requiresArg: true, default: 1, describe: 'http, policy close-after: requests per connection before the server closes it' })
      .option('body', { type: 'number', requiresArg: true, default: 64, describe: 'http: response body bytes of GET / (GET /bytes/N answers N bytes)' })
      .option('service-delay', { type: 'string', requiresArg: true, default: '0ms', describe: 'http: wait this long before answering each request' })
      .option('host', { type: 'string', requiresArg: true, default: '127.0.0.1', describe: 'Address to listen on' })
      .option('port', { alias: 'p', type: 'number', requiresArg: true, default: 7000, describe: 'Port to listen on (0: any free port)' })
      .option('close-first', {
        choices: ['client', 'server', 'both'] as const,
        requiresArg: true,
        default: 'client' as const,
        describe: 'Who closes first: client (server waits for the FIN), server (closes after replying), both',
      })
      .option('close-mode', {
        choices: SERVER_CLOSE_MODES,
        requiresArg: true,
        default: 'fin' as const,
        describe: 'How the server closes: fin (graceful), rst (SO_LINGER 0), linger (SO_LINGER --linger-seconds) or never (the leak: sockets stay in CLOSE_WAIT; needs --close-first client)',
      })
      .option('linger-seconds', { type: 'number', requiresArg: true, default: 1, describe: 'SO_LINGER seconds for --close-mode linger' })
      .option('delay', { type: 'string', requiresArg: true, default: '0ms', describe: 'Wait after replying before the server closes first' })
      .option('request', { type: 'number', requiresArg: true, default: 64, describe: 'Bytes to read before replying' })
      .option('response', { type: 'number', requiresArg: true, default: 64, describe: 'Bytes to reply with' })
      .option('backlog', { type: 'number', requiresArg: true, default: 4096, describe: 'listen() backlog (capped by net.core.somaxconn)' })
      .check(checkServeArgs)
      .example('$0 serve --port 7000 --close-first server', '')
      .example('$0 serve --protocol http --policy close-after', ''),
  handler: async (argv: ArgumentsCamelCase<ServeArgs>): Promise<void> => {
    if (argv.protocol === 'http') return serveHttp(argv);
    const server = createEchoServer({
      host: argv.host,
      port: argv.port,
      backlog: argv.backlog,
      ...PLAIN_LISTEN,
      requestBytes: argv.request,
      responseBytes: argv.response,
      close: { first: argv.closeFirst, mode: argv.closeMode, delayMs: parseDuration(argv.delay), lingerSeconds: argv.lingerSeconds },
      idleTimeoutMs: 60_000,
    });
    await serveUntilStopped(
      server,
      argv,
      (port) =>
        `twstorm echo server on ${endpoint(argv.host, port)}: reads ${argv.request} B, replies ${argv.response} B, ` +
        (argv.closeMode === 'never'
          ? 'the server never closes (its sockets stay in CLOSE_WAIT). Ctrl-C to stop.'
          : `${argv.closeFirst} closes first, server closes with ${argv.closeMode}. Ctrl-C to stop.`),
      (s, errors) => `accepted ${s.accepted}, replied ${s.replied}, server-first closes fin ${s.closedFin} / rst ${s.closedRst}, errors: ${errors}`,
    );
  },
};

async function serveHttp(argv: ArgumentsCamelCase<ServeArgs>): Promise<void> {
  const delay = parseDuration(argv.serviceDelay);
  const server = createHttpServer({
    host: argv.host,
    port: argv.port,
    backlog: argv.backlog,
    ...PLAIN_LISTEN,
    policy: argv.policy,
    keepAliveTimeoutMs: parseDuration(argv.keepAliveTimeout),
    maxRequestsPerConnection: argv.maxRequests,
    closeAfter: argv.closeAfter,
    bodyBytes: argv.body,
    serviceDelayMs: { min: delay, max: delay },
    idleTimeoutMs: 60_000,
  });
  await serveUntilStopped(
    server,
    argv,
    (port) => `twstorm HTTP/1.1 server on http://${endpoint(argv.host, port)}/: GET / answers ${argv.body} B, policy ${argv.policy}. Ctrl-C to stop.`,
    (s, errors) => `connections ${s.accepted}, responses ${s.replied}, server-first closes fin ${s.closedFin} / rst ${s.closedRst}, errors: ${errors}`,
  );
}

/** Listens, prints the banner, serves until Ctrl-C or SIGTERM, then prints the counts. */
async function serveUntilStopped(
  server: BundledServer,
  argv: { host: string; port: number },
  banner: (port: number) => string,
  counts: (stats: ServerStats, errors: string) => string,
): Promise<void> {
  let port: number;
  try {
    [port = argv.port] = await server.listen();
  } catch (err) {
    // The engine's threads already run (they wait for listeners): stop them before the error
    // ends the process, or process.exit can tear a worker down inside a native epoll_wait and
    // the command dies by a signal instead of exiting 1.
    await server.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    // The one errno wording (src/sockets/errors.ts); a port in use needs no TIME_WAIT lesson here.
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'no interface of this host has that address' : hintFor('bind', code, 'listener') || (err as Error).message;
    // A missing address is fixed with --host; everything else here with another port.
    const fix = code === 'EADDRNOTAVAIL' ? 'choose an address this host has with --host' : 'choose another with --port, or --port 0 for any free port';
    throw new ServerStartError(code, `cannot listen on ${endpoint(argv.host, argv.port)}: ${code} (${why}); ${fix}`);
  }
  process.stdout.write(`${banner(port)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  const stats = server.stats();
  const errors = Object.entries(stats.errors).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  process.stdout.write(`\n${counts(stats, errors)}\n`);
}

/** The options of one server only: given to the other, they would be ignored without a word. */
const TCP_ONLY = ['close-first', 'close-mode', 'linger-seconds', 'delay', 'request', 'response'];
const HTTP_ONLY = ['policy', 'keep-alive-timeout', 'max-requests', 'close-after', 'body', 'service-delay'];

/**
 * The ceilings a scenario's own fields have (scenario/limits.ts), for the same numbers given here:
 * without them `--response 1e10` or `--linger-seconds 99999999999` killed every engine thread
 * (Buffer.alloc, SO_LINGER's int) and the server sat with no listener and no word until killed,
 * and `--protocol http --body 1e10` ended in a stack trace.
 */
const MAX_NUMBER: Record<string, number> = {
  request: L.MAX_PAYLOAD_BYTES,
  response: L.MAX_PAYLOAD_BYTES,
  body: L.MAX_PAYLOAD_BYTES,
  'max-requests': L.MAX_COUNT,
  'close-after': L.MAX_COUNT,
  backlog: L.MAX_BACKLOG,
  'linger-seconds': L.MAX_LINGER_SECONDS,
};
/** Past setTimeout's 2^31 ms Node fires a timer at once: a "delay" would be none. */
const MAX_DURATION_MS: Record<string, number> = {
  delay: L.MAX_WAIT_MS,
  'service-delay': L.MAX_WAIT_MS,
  'keep-alive-timeout': L.MAX_KEEPALIVE_MS,
};

/** yargs check: a message (exit 2) instead of a stack trace from deep inside the server. */
function checkServeArgs(argv: Record<string, unknown>): true | string {
  const given = givenOptions();
  const http = argv['protocol'] === 'http';
  const foreign = (http ? TCP_ONLY : HTTP_ONLY).filter((name) => given.has(name));
  if (foreign.length > 0) {
    const names = `${foreign.map((n) => `--${n}`).join(', ')} ${foreign.length > 1 ? 'are' : 'is'}`;
    return http
      ? `${names} for the TCP echo server (--protocol tcp); the HTTP server takes --policy, --body, --close-after, --max-requests, --keep-alive-timeout, --service-delay`
      : `${names} for the HTTP server (--protocol http); the TCP echo server takes --close-first, --close-mode, --linger-seconds, --delay, --request, --response`;
  }
  for (const [name, max] of Object.entries(MAX_NUMBER)) {
    const v = argv[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) return `--${name} must be a whole number from 0 to ${big(max)}, got ${String(v)}`;
  }
  // A server that never closes can only wait for the client's FIN: closing first would be a close.
  if (argv['close-mode'] === 'never' && argv['close-first'] !== 'client') return '--close-mode never needs --close-first client: a server that never closes cannot close first';
  // The echo server binds natively, an address only (sockets/structs.ts), while the HTTP server's
  // Node listen() looks a name up: "localhost" failed on one with exit 1 and advice to change the
  // port, and on the other listened on whichever of 127.0.0.1 or ::1 the resolver gave first.
  const host = String(argv['host']);
  if (isIP(host) === 0) return `--host must be an IP address, got ${JSON.stringify(host)}: the server binds an address, not a name; use 127.0.0.1 or ::1 for localhost`;
  // An IPv6 link-local address is an address only with its interface (RFC 4007 §6: fe80::1%eth0);
  // bind() without the scope fails with EINVAL, which the listen error would blame on the port.
  if (/^fe[89ab][0-9a-f]:/i.test(host)) return `--host ${host} is an IPv6 link-local address, which needs an interface scope serve does not take (bind() fails with EINVAL); use ::1, 127.0.0.1 or a global address`;
  const port = argv['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return `--port must be 0 to 65535, got ${String(port)}`;
  for (const [name, max] of Object.entries(MAX_DURATION_MS)) {
    let ms: number;
    try {
      ms = parseDuration(String(argv[name]));
    } catch (err) {
      return `--${name}: ${(err as Error).message}`;
    }
    if (ms > max) return `--${name} must be at most ${formatDuration(max)}, got ${String(argv[name])}`;
  }
  return true;
}
