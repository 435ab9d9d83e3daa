// The outer half of `twstorm run`: choose the isolation, start the run process inside a fresh
// network namespace, hand it the job over IPC, wait for its result file. The run process (execute.ts) does the work;
// keeping it separate means the namespace and every socket in it vanish when it exits.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Scenario } from '../scenario/index.js';
import { namespaceFix, probeNamespace, type Isolation } from '../environment/namespace.js';
import type { ForegroundExit } from '../environment/foreground.js';
import { parentDeathEnv, withParentDeathSignal } from '../environment/parent-death.js';
import type { RunResult, RunVariant } from '../result/model.js';
import { stopMessage, type FromRun, type RunJob, type ToRun } from './job.js';
import { entryFile } from '../paths.js';
import { ownNodeEnv } from '../util/own-node-env.js';
import { ExpectedError } from '../util/expected-error.js';
import { timestamp } from '../util/timestamp.js';
import { resultStem } from '../scenario/matrix-values.js';
import { hasResult, releaseResultPath, reserveResultPath } from './result-name.js';
import { describeWriteError } from './out-dir.js';

export class RunError extends ExpectedError {}

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
      `cannot create a network namespace: ${probe.reason}; ${namespaceFix(probe)}, or set environment.isolation: auto|host to run on the host`,
    );
  }
  return { isolation: 'host', prefix: [], how: `fallback: ${probe.reason}`, fallbackReason: probe.reason };
}

/** The run process's lean entry (not the whole CLI: see src/cli/inside-entry.ts). */
const INSIDE_ENTRY = entryFile('cli/inside-entry.js');

export interface RunOutcome {
  result: RunResult;
  resultPath: string;
}

/** The run process was stopped (Ctrl-C, twice) before it wrote anything. */
export class RunInterrupted extends RunError {}

export interface RunControl {
  /** Ctrl-C: the run process stops the load and writes the partial result. */
  stop: AbortSignal;
  /** A second Ctrl-C: the run process is killed at once, nothing more is written. */
  force: AbortSignal;
  /** Let the run process draw its live progress line. */
  progress: boolean;
}

const NEVER = new AbortController().signal;

export async function runScenario(
  scenario: Scenario,
  outDir: string,
  choice: IsolationChoice,
  variant: (RunVariant & { slug: string }) | null = null,
  /**
   * Tags of the file name: `shard` before the time ("-shard2of4": copies started in the same
   * second must not share a file), `repeat` after it ("-r2of4": a set's runs, which can start in
   * the same second too, and whose server logs are named after their results).
   */
  tags: { shard?: string; repeat?: string } = {},
  control: RunControl = { stop: NEVER, force: NEVER, progress: false },
): Promise<RunOutcome> {
  // A stop that came before this run's process was started (a Ctrl-C as a matrix moved on to
  // its next variant) starts none: started anyway, it built a namespace and a server only to
  // write an empty "interrupted" result, which the comparison then showed as a run of zeros.
  if (control.stop.aborted) throw new RunInterrupted('interrupted before the run started; nothing was measured or written');
  // Runs started in the same second with the same --out (two shells, a CI matrix) take the next
  // free name: "-2" after the time (result-name.ts), for the JSON, its HTML and its server log.
  const time = timestamp();
  const resultPath = await reserveResultPath(outDir, (n) => `${resultStem(scenario, variant)}${tags.shard ?? ''}-${time}${n > 1 ? `-${n}` : ''}${tags.repeat ?? ''}`).catch(
    (err: unknown): never => {
      throw new RunError(`cannot name the result in ${outDir}: ${describeWriteError(err)}; choose another directory with --out`);
    },
  );
  try {
    return await runIn(resultPath, scenario, choice, variant, control);
  } finally {
    // The run process replaces the empty reservation with its result; without one it goes.
    await releaseResultPath(resultPath);
  }
}

async function runIn(
  resultPath: string,
  scenario: Scenario,
  choice: IsolationChoice,
  variant: (RunVariant & { slug: string }) | null,
  control: RunControl,
): Promise<RunOutcome> {
  const job: RunJob = {
    scenario,
    variant: variant && { label: variant.label, values: variant.values },
    isolation: choice.isolation,
    how: choice.how,
    resultPath,
    progress: control.progress,
  };
  // The run process gets its own session (detached), so a terminal's Ctrl-C reaches only this
  // process, which passes it on as a 'stop' message. A signal straight to the run process while
  // Node is still loading would kill it before it could save anything (the "SIGINT in the first
  // 0.4 s gives exit 1 and no result" bug); a message waits in the channel until it listens.
  // SIGTERM as its parent-death signal: if this process is killed, the run stops and still
  // writes its partial result.
  const [command, ...args] = withParentDeathSignal([...choice.prefix, process.execPath, INSIDE_ENTRY, '__inside'], 'TERM');
  const child = spawn(command!, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json', detached: true, env: parentDeathEnv(ownNodeEnv()) });
  let reported: string | null = null;
  child.on('message', (message: FromRun) => {
    if (message.type === 'error') reported = message.message;
  });
  const send = (message: ToRun): void => {
    if (child.connected) child.send(message, (err) => void err);
  };
  const stop = (): void => send(stopMessage(control.stop.reason));
  const force = (): void => void child.kill('SIGKILL');
  const exit = new Promise<ForegroundExit>((resolve, reject) => {
    child.once('error', (err) => reject(new RunError(`could not start the run process (${command}): ${err.message}`)));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  send({ type: 'job', job });
  control.stop.addEventListener('abort', stop, { once: true });
  control.force.addEventListener('abort', force, { once: true });
  if (control.stop.aborted) stop();
  if (control.force.aborted) force();
  let exited: ForegroundExit;
  try {
    exited = await exit;
  } finally {
    control.stop.removeEventListener('abort', stop);
    control.force.removeEventListener('abort', force);
  }
  if (!(await hasResult(resultPath))) {
    if (reported !== null) throw new RunError(reported);
    if (control.stop.aborted) throw new RunInterrupted('interrupted before the run process wrote a result; nothing was kept');
    // twstorm sends SIGKILL only after a second Ctrl-C (above): this one came from outside, and
    // the process had no last words to read (an audit: the line sent the user looking for them).
    if (exited.signal === 'SIGKILL') {
      throw new RunError(
        "the run process was killed by SIGKILL from outside twstorm (the kernel's OOM killer, or a kill -9) before it wrote a result; what it measured is lost: look for an out-of-memory kill in dmesg and give the run more memory, or a smaller scenario",
      );
    }
    throw new RunError(`the run process ${describeExit(exited)} without writing a result; its last words are above — run it again, and report it (with the command line) if it keeps happening`);
  }
  const result = JSON.parse(await readFile(resultPath, 'utf8')) as RunResult;
  return { result, resultPath };
}
const describeExit = (exit: ForegroundExit): string =>
  exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;

