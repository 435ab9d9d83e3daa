// The parent's handle on the server child process.
import { fork, type ChildProcess } from 'node:child_process';
import type { EchoServerStats } from './echo-server.js';
import type { FromServer, ServerConfig, ToServer } from './protocol.js';
import type { RestartOutcome } from './restart.js';

export interface ServerProcess {
  readonly pid: number;
  /** The first port listened on. */
  readonly port: number;
  /** Every port listened on (server.ports consecutive ports). */
  readonly ports: number[];
  stats(): Promise<EchoServerStats>;
  /** The restart phase: stop listening, try again until it works or the timeout. */
  restart(options: { epochMs: number; timeoutMs: number; retryEveryMs: number }): Promise<RestartOutcome>;
  /** Stops the server and waits for the child to exit; returns the final counts. */
  stop(): Promise<EchoServerStats>;
}

/** The server child stopped answering or died; the message says which. */
export class ServerProcessError extends Error {}

export class ServerStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CHILD = new URL('./child.js', import.meta.url);

/**
 * `enter`: an argv prefix that puts the child in another network namespace (the routed lab's
 * server host: `nsenter --net=/proc/PID/ns/net --`); nsenter execs node with the IPC channel
 * (an inherited fd named in NODE_CHANNEL_FD) intact.
 */
export async function startServerProcess(config: ServerConfig, timeoutMs = 10_000, enter: readonly string[] = []): Promise<ServerProcess> {
  const via = enter.length > 0 ? { execPath: enter[0]!, execArgv: [...enter.slice(1), process.execPath, ...process.execArgv] } : {};
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', ...via });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A send to a child that already died raises 'error' on the child (ERR_IPC_CHANNEL_CLOSED);
  // nextMessage() reports the death itself, so this only keeps it from crashing the run.
  child.on('error', () => undefined);
  try {
    const first = await nextMessage(child, timeoutMs, () => child.send({ type: 'start', config } satisfies ToServer));
    if (first.type === 'error') {
      throw new ServerStartError(
        first.code,
        `the bundled server could not listen on ${config.host}:${config.port}: ${first.message}`,
      );
    }
    if (first.type !== 'listening') throw new Error(`server child sent ${first.type} before listening`);
    const { ports } = first;
    return {
      pid: child.pid ?? -1,
      port: ports[0] ?? config.port,
      ports,
      async restart(options) {
        // The attempts alone may take the whole timeout: wait that long plus the usual margin.
        const reply = await nextMessage(child, options.timeoutMs + timeoutMs, () =>
          child.send({ type: 'restart', ...options } satisfies ToServer),
        );
        if (reply.type !== 'restarted') throw new Error(`server child answered ${reply.type} to restart`);
        return reply.outcome;
      },
      async stats() {
        const reply = await nextMessage(child, timeoutMs, () => child.send({ type: 'stats' } satisfies ToServer));
        if (reply.type !== 'stats') throw new Error(`server child answered ${reply.type} to stats`);
        return reply.stats;
      },
      async stop() {
        try {
          const reply = await nextMessage(child, timeoutMs, () => child.send({ type: 'stop' } satisfies ToServer));
          await exited;
          if (reply.type !== 'stopped') throw new Error(`server child answered ${reply.type} to stop`);
          return reply.stats;
        } catch (err) {
          // Never leave the child behind, whatever went wrong.
          child.kill('SIGKILL');
          await exited;
          throw err;
        }
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
      reject(new ServerProcessError(`the bundled server's process exited (code ${code}, signal ${signal}) before answering; its own output above says why`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new ServerProcessError(`the bundled server's process did not answer within ${timeoutMs} ms (is the machine overloaded?)`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    request();
  });
}
