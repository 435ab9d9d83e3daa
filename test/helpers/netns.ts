// Runs a scenario in a fresh network namespace through the harness and returns its result
// plus the kernel's own TIME_WAIT count. The namespace, and every socket in it, is gone when
// the harness exits; a run that hangs is killed by PID at the timeout.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/metrics/result.js';
import { probeNamespace } from '../../src/environment/namespace.js';

const HARNESS = fileURLToPath(new URL('./netns-run.js', import.meta.url));
export const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

export interface HarnessOutput {
  result: RunResult;
  ss: { client: number; server: number };
}

export function runInNetns(scenario: string, overrides: string[] = [], timeoutMs = 90_000): Promise<HarnessOutput> {
  const file = scenario.includes('/') ? scenario : `${SCENARIOS}${scenario}.yaml`;
  const probe = probeNamespace();
  if (!probe.ok) return Promise.reject(new Error(`these tests need a network namespace: ${probe.reason}`));
  const [command, ...prefixArgs] = probe.prefix;
  return new Promise((resolve, reject) => {
    execFile(
      command!,
      [...prefixArgs, process.execPath, HARNESS, file, JSON.stringify(overrides)],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`harness failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as HarnessOutput);
      },
    );
  });
}
