// Which server a run talks to when it is not the bundled one: the user's `server.command`
// (started here, inside the run's namespace) or an external `target:` (started by nobody), each
// behind the handle the run uses for the bundled server (ServerProcess).
import path from 'node:path';
import type { Scenario } from '../scenario/index.js';
import { externalTarget } from './external-target.js';
import type { ServerProcess } from './process.js';
import { startUserServer, type UserServer, type UserServerExit } from './user-command.js';
import { describeCommand } from './command-line.js';
import { PACKAGE_ROOT } from '../paths.js';
import { makeScratchDir } from './scratch-dir.js';

/** The twstorm package root (where examples/ and scenarios/ are), for TWSTORM_HOME. */
export const TWSTORM_HOME = PACKAGE_ROOT;

/** The scenario as the driver must see it: with `target:`, server.host/port are the target's. */
export function withTarget(scenario: Scenario): Scenario {
  const { target } = scenario;
  if (target === null) return scenario;
  return { ...scenario, server: { ...scenario.server, host: target.host, port: target.port, ports: 1 } };
}

/** `<result>.server.log` beside the result; in a scratch directory when there is no result path. */
export function serverLogPath(resultPath: string, scratch: string): string {
  return resultPath ? resultPath.replace(/\.json$/, '') + '.server.log' : path.join(scratch, 'server.log');
}

/**
 * null: the scenario wants the bundled server. Otherwise a handle whose stop() also removes the
 * scratch directory the command was given.
 */
export async function startOwnServer(
  scenario: Scenario,
  resultPath: string,
  where: { enter?: readonly string[]; procRoot?: string; signal?: AbortSignal; reachedFromOutside?: 4 | 6 } = {},
): Promise<(ServerProcess & { facts(): UserServerFacts | { target: string } }) | null> {
  if (scenario.target !== null) {
    const text = scenario.target.text;
    return { ...externalTarget(scenario.target.port), facts: () => ({ target: text }) };
  }
  const { command } = scenario.server;
  if (command === null) return null;
  const dir = await makeScratchDir();
  const scratch = dir.path;
  try {
    const server = await startUserServer({
      command,
      host: scenario.server.host,
      port: scenario.server.port,
      logPath: serverLogPath(resultPath, scratch),
      readyTimeoutMs: scenario.server.readyTimeout,
      stopTimeoutMs: scenario.server.stopTimeout,
      ...where,
      env: {
        TWSTORM_HOME,
        TWSTORM_SERVER_DIR: scratch,
        TWSTORM_SERVER_HOST: scenario.server.host,
        TWSTORM_SERVER_PORT: String(scenario.server.port),
      },
    });
    const handle = asServerProcess(server, command);
    return {
      ...handle,
      async stop() {
        try {
          return await handle.stop();
        } finally {
          await dir.remove();
        }
      },
    };
  } catch (err) {
    await dir.remove();
    throw err;
  }
}

export interface UserServerFacts {
  command: string;
  logPath: string;
  /** Bytes of its output left out of the middle of the log (capped-log.ts); only when some were. */
  logDropped?: number;
  exit: UserServerExit | null;
}

/** Empty counts: twstorm cannot see inside the user's server; the kernel's census can. */
const NO_STATS = { accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: {} };

/**
 * The user's server behind the same handle the run uses for the bundled one. It has no counts
 * of its own to give (the census and the kernel counters tell its side) and no restart phase
 * (the schema refuses server.restart with a command).
 */
export function asServerProcess(server: UserServer, command: string | readonly string[]): ServerProcess & { facts(): UserServerFacts } {
  let exit: UserServerExit | null = null;
  return {
    pid: server.pid,
    port: server.port,
    ports: [server.port],
    stats: () => Promise.resolve({ ...NO_STATS, errors: {} }),
    restart: () => Promise.reject(new Error('the restart phase needs the bundled server')),
    died: server.died,
    async stop() {
      exit ??= await server.stop();
      return { ...NO_STATS, errors: {} };
    },
    facts: () => {
      const dropped = server.logDroppedBytes();
      return { command: describeCommand(command), logPath: server.logPath, ...(dropped > 0 ? { logDropped: dropped } : {}), exit };
    },
  };
}
