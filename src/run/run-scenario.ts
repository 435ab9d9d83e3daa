// The outer half of `twstorm run`: choose the isolation, start the run process inside a fresh
// network namespace, wait for its result file. The run process (execute.ts) does the work;
// keeping it separate means the namespace and every socket in it vanish when it exits.
import { mkdir, mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../scenario/index.js';
import { probeNamespace, type Isolation } from '../environment/namespace.js';
import { runInForeground, type ForegroundExit } from '../environment/foreground.js';
import type { RunResult, RunVariant } from '../metrics/result.js';
import type { RunJob } from './job.js';

export class RunError extends Error {}

export interface IsolationChoice {
  isolation: Isolation;
  prefix: string[];
  how: string;
  /** Set when `auto` had to fall back to the host. */
  fallbackReason: string | null;
}

export function chooseIsolation(wanted: Scenario['environment']['isolation']): IsolationChoice {
  if (wanted === 'host') return { isolation: 'host', prefix: [], how: 'isolation: host (asked for)', fallbackReason: null };
  const probe = probeNamespace();
  if (probe.ok) return { isolation: 'netns', prefix: probe.prefix, how: probe.how, fallbackReason: null };
  if (wanted === 'netns') {
    throw new RunError(
      `cannot create a network namespace: ${probe.reason}. ` +
        `Run as root, enable unprivileged user namespaces, or set environment.isolation: auto|host to run on the host.`,
    );
  }
  return { isolation: 'host', prefix: [], how: `fallback: ${probe.reason}`, fallbackReason: probe.reason };
}

const CLI_ENTRY = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** File-name-safe UTC timestamp, sortable: 20261124T155011Z. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export interface RunOutcome {
  result: RunResult;
  resultPath: string;
}

export async function runScenario(
  scenario: Scenario,
  outDir: string,
  choice: IsolationChoice,
  variant: (RunVariant & { slug: string }) | null = null,
  /** Appended to the file name, e.g. "-shard2of4": copies started in the same second must not share a file. */
  suffix = '',
): Promise<RunOutcome> {
  await mkdir(outDir, { recursive: true });
  const stem = `${variant ? `${scenario.name}-${variant.slug}` : scenario.name}${suffix}`;
  const resultPath = path.resolve(outDir, `${stem}-${timestamp()}.json`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-'));
  try {
    const jobPath = path.join(tmp, 'job.json');
    const job: RunJob = {
      scenario,
      variant: variant && { label: variant.label, values: variant.values },
      isolation: choice.isolation,
      how: choice.how,
      resultPath,
    };
    await writeFile(jobPath, JSON.stringify(job));
    const [command, ...args] = [...choice.prefix, process.execPath, CLI_ENTRY, '__inside', jobPath];
    const exit = await runInForeground(command!, args).catch((err: Error) => {
      throw new RunError(`could not start the run process (${command}): ${err.message}`);
    });
    if (!(await exists(resultPath))) {
      throw new RunError(`the run process ${describeExit(exit)} without writing a result`);
    }
    const result = JSON.parse(await readFile(resultPath, 'utf8')) as RunResult;
    return { result, resultPath };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const describeExit = (exit: ForegroundExit): string =>
  exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );
