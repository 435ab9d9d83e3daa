// The parent's handle on the server child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { withParentDeathSignal } from '../environment/parent-death.js';
import type { ServerStats } from './stats.js';
import type { FromServer, ServerConfig, ToServer } from './protocol.js';
import type { RestartOutcome } from './restart.js';
import { entryFile } from '../paths.js';
import { ownNodeEnv } from '../util/own-node-env.js';
import { ExpectedError } from '../util/expected-error.js';
import { endpoint } from '../util/format.js';

export interface ServerProcess {
  readonly pid: number;
  /** The first port listened on. */
  readonly port: number;
  /** Every port listened on (server.ports consecutive ports). */
  readonly ports: number[];
  /**
   * Settles, with what happened, only if the child exits before stop() was asked for: a server
   * that crashed or was killed mid-run, so the run can stop and say so instead of recording
   * ECONNREFUSED as if it were measured.
   */
  readonly died: Promise<string>;
  stats(): Promise<ServerStats>;
  /**
   * The restart phase: stop listening, try again until it works or the timeout. An abort (Ctrl-C)
   * ends the attempts at once; the outcome then holds the attempts made so far.
   */
  restart(options: { epochMs: number; timeoutMs: number; retryEveryMs: number }, signal?: AbortSignal): Promise<RestartOutcome>;
  /** Stops the server and waits for the child to exit; returns the final counts. */
  stop(): Promise<ServerStats>;
}

/** The server child stopped answering or died; the message says which. */
export class ServerProcessError extends ExpectedError {}

export class ServerStartError extends ExpectedError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The user's command (server.command) failed to start, exited early or never listened; `code` says which. */
export class UserServerError extends ServerStartError {}

const CHILD = entryFile('server/child.js');

/**
 * `enter`: an argv prefix that puts the child in another network namespace (the routed lab's
 * server host: `nsenter --net=/proc/PID/ns/net --`); nsenter and setpriv exec node in place, so
 * the IPC channel (an inherited fd named in NODE_CHANNEL_FD) stays intact.
 */
export async function startServerProcess(config: ServerConfig, timeoutMs = 10_000, enter: readonly string[] = []): Promise<ServerProcess> {
  // SIGKILL when this process dies: the server has nothing to save, and an orphan would keep
  // its ports (and the namespace) alive. See environment/parent-death.ts.
  const [command, ...args] = withParentDeathSignal([...enter, ...openFileLimit(config.maxOpenFiles), process.execPath, ...process.execArgv, CHILD], 'KILL');
  const child = spawn(command!, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', env: ownNodeEnv() });
  let stopping = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const died = exited.then(({ code, signal }) =>
    stopping
      ? new Promise<string>(() => undefined)
      : `the bundled server's process died during the run (${signal ? `killed by ${signal}` : `exit code ${code}`})`,
  );
  // A send to a child that already died raises 'error' on the child (ERR_IPC_CHANNEL_CLOSED);
  // nextMessage() reports the death itself, so this only keeps it from crashing the run.
  child.on('error', () => undefined);
  try {
    const first = await nextMessage(child, timeoutMs, () => child.send({ type: 'start', config } satisfies ToServer));
    if (first.type === 'error') {
      throw new ServerStartError(
        first.code,
        `the bundled server could not listen on ${endpoint(config.host, config.port)}: ${first.message}`,
      );
    }
    if (first.type !== 'listening') throw new Error(`server child sent ${first.type} before listening`);
    const { ports } = first;
    return {
      pid: child.pid ?? -1,
      port: ports[0] ?? config.port,
      ports,
      died,
      async restart(options, signal) {
        // A Ctrl-C must not wait out the restart timeout: the child ends its attempts when told.
        const cancel = (): void => {
          if (child.connected) child.send({ type: 'cancel-restart' } satisfies ToServer);
        };
        signal?.addEventListener('abort', cancel, { once: true });
        try {
          // The attempts alone may take the whole timeout: wait that long plus the usual margin.
          const reply = await nextMessage(child, options.timeoutMs + timeoutMs, () => {
            child.send({ type: 'restart', ...options } satisfies ToServer);
            if (signal?.aborted) cancel();
          });
          if (reply.type !== 'restarted') throw new Error(`server child answered ${reply.type} to restart`);
          return reply.outcome;
        } finally {
          signal?.removeEventListener('abort', cancel);
        }
      },
      async stats() {
        const reply = await nextMessage(child, timeoutMs, () => child.send({ type: 'stats' } satisfies ToServer));
        if (reply.type !== 'stats') throw new Error(`server child answered ${reply.type} to stats`);
        return reply.stats;
      },
      async stop() {
        stopping = true;
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
    stopping = true;
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

/**
 * server.maxOpenFiles: util-linux's prlimit sets RLIMIT_NOFILE (soft and hard: Node raises its
 * soft limit to the hard one at start-up) and execs node in place, like setpriv and nsenter.
 */
function openFileLimit(n: number | null | undefined): string[] {
  return n === null || n === undefined ? [] : ['prlimit', `--nofile=${n}:${n}`, '--'];
}

function nextMessage(child: ChildProcess, timeoutMs: number, request: () => void): Promise<FromServer> {
  return new Promise((resolve, reject) => {
    // Already gone (it died mid-run): no answer will come, and no 'exit' event either.
    if (child.exitCode !== null || child.signalCode !== null) {
      reject(new ServerProcessError(`the bundled server's process had already exited (code ${child.exitCode}, signal ${child.signalCode})`));
      return;
    }
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
