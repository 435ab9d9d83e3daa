// Which server a run talks to when it is not the bundled one: the user's `server.command`
// (started here, inside the run's namespace) or an external `target:` (started by nobody).
import path from 'node:path';
import type { Scenario } from '../scenario/index.js';
import { externalTarget } from './external-target.js';
import type { ServerProcess } from './process.js';
import { asServerProcess, startUserServer, type UserServerFacts } from './user-command.js';
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
