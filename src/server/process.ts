// The parent's handle on the server child process.
import { fork, type ChildProcess } from 'node:child_process';
import type { EchoServerStats } from './echo-server.js';
import type { FromServer, ServerConfig, ToServer } from './protocol.js';

export interface ServerProcess {
  readonly pid: number;
  readonly port: number;
  stats(): Promise<EchoServerStats>;
  /** Stops the server and waits for the child to exit; returns the final counts. */
  stop(): Promise<EchoServerStats>;
}

export class ServerStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CHILD = new URL('./child.js', import.meta.url);

export async function startServerProcess(config: ServerConfig, timeoutMs = 10_000): Promise<ServerProcess> {
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const first = await nextMessage(child, timeoutMs, () => child.send({ type: 'start', config } satisfies ToServer));
    if (first.type === 'error') {
      throw new ServerStartError(
        first.code,
        `the bundled server could not listen on ${config.host}:${config.port}: ${first.message}`,
      );
    }
    if (first.type !== 'listening') throw new Error(`server child sent ${first.type} before listening`);
    const port = first.port;
    return {
      pid: child.pid ?? -1,
      port,
      async stats() {
        const reply = await nextMessage(child, timeoutMs, () => child.send({ type: 'stats' } satisfies ToServer));
        if (reply.type !== 'stats') throw new Error(`server child answered ${reply.type} to stats`);
        return reply.stats;
      },
      async stop() {
        const reply = await nextMessage(child, timeoutMs, () => child.send({ type: 'stop' } satisfies ToServer));
        await exited;
        if (reply.type !== 'stopped') throw new Error(`server child answered ${reply.type} to stop`);
        return reply.stats;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

function nextMessage(child: ChildProcess, timeoutMs: number, request: () => void): Promise<FromServer> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: FromServer): void => {
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`the server child exited (code ${code}, signal ${signal}) before answering`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the server child did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    request();
  });
}
