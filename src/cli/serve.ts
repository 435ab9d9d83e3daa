// `twstorm serve`: a bundled server alone (TCP echo, or HTTP/1.1 with --protocol http), in the
// foreground, for pointing other tools at (nc, curl, wrk, ab). It runs on the host network (no
// namespace): it is for what you bring to it.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { createEchoServer, type CloseFirst, type CloseMode } from '../server/echo-server.js';
import { createHttpServer, type HttpPolicy } from '../server/http-server.js';
import { HTTP_POLICIES, parseDuration } from '../scenario/index.js';
import { PLAIN_LISTEN } from '../server/listen.js';

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
  'close-mode': CloseMode;
  'linger-seconds': number;
  delay: string;
  request: number;
  response: number;
  backlog: number;
}

export const serveCommand = {
  command: 'serve',
  describe: 'Run a bundled server alone: TCP echo, or HTTP/1.1 with --protocol http (host network, foreground; Ctrl-C stops it)',
  builder: (y: Argv) =>
    y
      .option('protocol', {
        choices: ['tcp', 'http'] as const,
        default: 'tcp' as const,
        describe: 'tcp: the echo server (--close-first, --close-mode, --request, --response); http: the HTTP/1.1 server (--policy, --body, …)',
      })
      .option('policy', {
        choices: HTTP_POLICIES,
        default: 'keepalive' as const,
        describe: 'http: when the server closes: keepalive, close-after (N requests, server closes first), wait-client (client closes first), rst (RST after each response)',
      })
      .option('keep-alive-timeout', { type: 'string', default: '5s', describe: 'http: close connections idle this long (0 = never)' })
      .option('max-requests', { type: 'number', default: 0, describe: 'http, policy keepalive: close after this many requests on a connection (0 = no limit)' })
      .option('close-after', { type: 'number', default: 1, describe: 'http, policy close-after: requests per connection before the server closes it' })
      .option('body', { type: 'number', default: 64, describe: 'http: response body bytes of GET / (GET /bytes/N answers N bytes)' })
      .option('service-delay', { type: 'string', default: '0ms', describe: 'http: wait this long before answering each request' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('port', { alias: 'p', type: 'number', default: 7000, describe: 'Port to listen on (0: any free port)' })
      .option('close-first', {
        choices: ['client', 'server', 'both'] as const,
        default: 'client' as const,
        describe: 'Who closes first: client (server waits for the FIN), server (closes after replying), both',
      })
      .option('close-mode', {
        choices: ['fin', 'rst', 'linger'] as const,
        default: 'fin' as const,
        describe: 'How the server closes: fin (graceful), rst (SO_LINGER 0) or linger (SO_LINGER --linger-seconds)',
      })
      .option('linger-seconds', { type: 'number', default: 1, describe: 'SO_LINGER seconds for --close-mode linger' })
      .option('delay', { type: 'string', default: '0ms', describe: 'Wait after replying before the server closes first' })
      .option('request', { type: 'number', default: 64, describe: 'Bytes to read before replying' })
      .option('response', { type: 'number', default: 64, describe: 'Bytes to reply with' })
      .option('backlog', { type: 'number', default: 4096, describe: 'listen() backlog (capped by net.core.somaxconn)' })
      .example('$0 serve --port 7000 --close-first server', 'TIME_WAIT lands on this server')
      .example('$0 serve --protocol http --port 8080 --policy close-after', 'HTTP; closes after every response (try curl, wrk)'),
  handler: async (argv: ArgumentsCamelCase<ServeArgs>): Promise<void> => {
    if (argv.protocol === 'http') return serveHttp(argv);
    const server = createEchoServer({
      host: argv.host,
      port: argv.port,
      backlog: argv.backlog,
    ...PLAIN_LISTEN,
      ...PLAIN_LISTEN,
      requestBytes: argv.request,
      responseBytes: argv.response,
      close: { first: argv.closeFirst, mode: argv.closeMode, delayMs: parseDuration(argv.delay), lingerSeconds: argv.lingerSeconds },
      idleTimeoutMs: 60_000,
    });
    const [port] = await server.listen();
    process.stdout.write(
      `twstorm echo server on ${argv.host}:${port}: reads ${argv.request} B, replies ${argv.response} B, ` +
        `${argv.closeFirst} closes first, server closes with ${argv.closeMode}. Ctrl-C to stop.\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    const s = server.stats();
    const errors = Object.entries(s.errors).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
    process.stdout.write(`\naccepted ${s.accepted}, replied ${s.replied}, closed fin ${s.closedFin} / rst ${s.closedRst}, errors: ${errors}\n`);
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
  const port = await server.listen();
  const where = argv.host.includes(':') ? `[${argv.host}]` : argv.host;
  process.stdout.write(
    `twstorm HTTP/1.1 server on http://${where}:${port}/: GET / answers ${argv.body} B, policy ${argv.policy}. Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  const s = server.stats();
  const errors = Object.entries(s.errors).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  process.stdout.write(
    `\nconnections ${s.accepted}, responses ${s.replied}, server-first closes fin ${s.closedFin} / rst ${s.closedRst}, errors: ${errors}\n`,
  );
}
