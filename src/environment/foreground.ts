// Runs a child in the foreground with our stdio and waits for it: the way twstorm hands a
// job to a copy of itself inside a network namespace (unshare, nsenter).
import { spawn } from 'node:child_process';
import { withParentDeathSignal } from './parent-death.js';

export interface ForegroundExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A Ctrl-C on a terminal reaches the child directly (same process group); a SIGINT or SIGTERM
 * sent to this process alone is passed on as SIGINT, the signal the child treats as "stop and
 * write what you have". Meanwhile this process stays alive to report the child's exit.
 * Rejects only when the child cannot be started (err.code ENOENT: the command is missing).
 */
export function runInForeground(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ForegroundExit> {
  return new Promise((resolve, reject) => {
    // Dies with this process (parent-death.ts): no orphan re-exec outlives a kill -9.
    const [cmd, ...rest] = withParentDeathSignal([command, ...args], 'TERM');
    const child = spawn(cmd!, rest, { stdio: 'inherit', env });
    const forward = (): void => {
      child.kill('SIGINT');
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const done = (): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    };
    child.once('error', (err) => {
      done();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve({ code, signal });
    });
  });
}
