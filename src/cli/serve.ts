// `twstorm serve`: the bundled echo server alone, in the foreground, for pointing other
// tools at. It runs on the host network (no namespace): it is for what you bring to it.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { createEchoServer, type CloseFirst, type CloseMode } from '../server/echo-server.js';
import { parseDuration } from '../scenario/index.js';

interface ServeArgs {
  host: string;
  port: number;
  'close-first': CloseFirst;
  'close-mode': CloseMode;
  delay: string;
  request: number;
  response: number;
  backlog: number;
}

export const serveCommand = {
  command: 'serve',
  describe: 'Run the bundled TCP echo server alone (host network, foreground; Ctrl-C stops it)',
  builder: (y: Argv) =>
    y
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('port', { alias: 'p', type: 'number', default: 7000, describe: 'Port to listen on (0: any free port)' })
      .option('close-first', {
        choices: ['client', 'server', 'both'] as const,
        default: 'client' as const,
        describe: 'Who closes first: client (server waits for the FIN), server (closes after replying), both',
      })
      .option('close-mode', {
        choices: ['fin', 'rst'] as const,
        default: 'fin' as const,
        describe: 'How the server closes: fin (graceful) or rst (SO_LINGER 0)',
      })
      .option('delay', { type: 'string', default: '0ms', describe: 'Wait after replying before the server closes first' })
      .option('request', { type: 'number', default: 64, describe: 'Bytes to read before replying' })
      .option('response', { type: 'number', default: 64, describe: 'Bytes to reply with' })
      .option('backlog', { type: 'number', default: 4096, describe: 'listen() backlog (capped by net.core.somaxconn)' })
      .example('$0 serve --port 7000 --close-first server', 'TIME_WAIT lands on this server'),
  handler: async (argv: ArgumentsCamelCase<ServeArgs>): Promise<void> => {
    const server = createEchoServer({
      host: argv.host,
      port: argv.port,
      backlog: argv.backlog,
      requestBytes: argv.request,
      responseBytes: argv.response,
      close: { first: argv.closeFirst, mode: argv.closeMode, delayMs: parseDuration(argv.delay) },
      idleTimeoutMs: 60_000,
    });
    const port = await server.listen();
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
