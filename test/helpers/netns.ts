// Node scripts in fresh network namespaces, for tests and benchmarks: `unshare -n` as root,
// `unshare -rn` otherwise. unshare execs node in place, so the child's PID is the process
// inside the namespace; it is killed by that PID at the timeout, and the namespace (with
// every socket in it) vanishes when it exits.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ownNodeEnv } from '../../src/util/own-node-env.js';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { probeNamespace } from '../../src/environment/namespace.js';
import { NATIVE_ENV } from '../../src/sockets/native.js';
import { withParentDeathSignal } from '../../src/environment/parent-death.js';
import { REPLY_PREFIX, type NoNamespace } from './harness-protocol.js';
import { countTimeWaitExactly } from './exact-counts.js';

export interface NamespaceExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NamespaceChild {
  child: ChildProcess;
  done: Promise<NamespaceExit>;
}

export interface NamespaceOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Keep stdin open as a pipe (to tell the child when to finish). */
  stdin?: boolean;
}

/** The command line that runs `node script args` in a fresh namespace (`unshare -n`, or `-rn` unprivileged). */
function nodeInNetns(script: string, args: string[]): string[] {
  const probe = probeNamespace();
  if (!probe.ok) throw new Error(`this needs a network namespace: ${probe.reason}`);
  return [...probe.prefix, process.execPath, script, ...args];
}

export function spawnNodeInNetns(script: string, args: string[] = [], options: NamespaceOptions = {}): NamespaceChild {
  const [command, ...commandArgs] = nodeInNetns(script, args);
  const child = spawn(command!, commandArgs, {
    env: ownNodeEnv(options.env ?? process.env),
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // Decoded as a stream, so a character split between two chunks (a result's "→") stays whole.
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<NamespaceExit>((resolve, reject) => {
    const timer = setTimeout(() => killChild(child), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${command}: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

/** SIGKILL by PID, unless it has already gone. */
function killChild(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
}

/** Runs the script to its end and parses the last line it printed as JSON; any failure rejects with its stderr. */
export async function runNodeInNetns<T>(script: string, args: string[] = [], options: NamespaceOptions = {}): Promise<T> {
  const what = [script.split('/').at(-1), ...args].join(' ');
  const { code, stdout, stderr } = await spawnNodeInNetns(script, args, options).done;
  if (code !== 0) throw new Error(`${what} in a namespace ${code === null ? 'was killed (timeout)' : `exited ${code}`}; stderr: ${stderr}`);
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
  } catch (err) {
    throw new Error(`${what}: no JSON on its last line (${String(err)}); stdout: ${stdout.slice(-500)} stderr: ${stderr}`);
  }
}

// ---------------------------------------------------------------- scenario runs

// The harness runs bundled (dist/test-bundle, made by \`npm run build\` beside the CLI's bundle):
// a test file boots it once per environment (below); see src/paths.ts for why bundled.
const HARNESS = fileURLToPath(new URL('../../test-bundle/netns-run.js', import.meta.url));
export const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

export interface HarnessOutput {
  result: RunResult;
  /** The kernel's own TIME_WAIT count per side (ss), taken before the namespace went. */
  ss: { client: number; server: number };
  /** The local port of every client-side TIME_WAIT socket ss listed. */
  clientPorts: number[];
  /** The process that made the run: one per file and environment while the harness is warm. */
  harnessPid: number;
}

/**
 * Runs a scenario (bundled name or path) as `twstorm run` does inside its namespace. The file
 * is loaded and checked here, in the test's process, and handed over as JSON (as the run
 * process gets it over IPC): the harness then loads only the run machinery. The run goes to a
 * warm harness (netns-run.ts --serve), each run in a fresh namespace of its own.
 */
export async function runInNetns(
  scenario: string,
  overrides: string[] = [],
  timeoutMs = 90_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HarnessOutput> {
  const { json, what } = await loadForHarness(scenario, overrides);
  const key = JSON.stringify(Object.entries(ownNodeEnv(env)).sort(([a], [b]) => a.localeCompare(b)));
  // The warm harness makes each namespace through the native layer: where it cannot (the `net`
  // engine's tests switch the layer off), a process per run, as `unshare -n` makes it.
  if (!cold.has(key) && env[NATIVE_ENV] !== 'off') {
    const harness = takeHarness(key, env);
    let reply;
    try {
      reply = await harness.run(json, timeoutMs, what);
    } finally {
      // A run that failed leaves its harness fit for the next (the threads test counts on it).
      if (!harness.dead) idle.get(key)!.push(harness);
    }
    if (!('noNamespace' in reply)) return reply;
    cold.add(key);
  }
  return runInOwnProcess(json, timeoutMs, env);
}

/**
 * The same, in a process of its own, as `twstorm run` makes it: for a test that counts a race
 * whose odds the warm harness shifts. Measured on http-connection-close (1,000 requests), before
 * its server corked the response until close() (which ends that race): 2-8
 * FINs from the client first with a process per run, 7-96 in a harness that had made runs
 * before, growing with each. Optimized code in the harness's process is part of it: with V8's
 * optimizing compiler off there (v8.setFlagsFromString('--no-opt'); the server child keeps its
 * default) six runs in a row crossed 0-7. undici, on the run's main thread, is the likely part,
 * but not the whole story: a fresh process that optimizes the same code during one run of
 * 10,000 requests crossed only 19-27 in all. Same arguments as runInNetns.
 */
export async function runInFreshProcess(...[scenario, overrides = [], timeoutMs = 90_000, env = process.env]: Parameters<typeof runInNetns>): Promise<HarnessOutput> {
  const { json } = await loadForHarness(scenario, overrides);
  return runInOwnProcess(json, timeoutMs, env);
}

/** One run of a loaded scenario by a harness process of its own (`netns-run.js --json`). */
function runInOwnProcess(json: string, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<HarnessOutput> {
  return runNodeInNetns<HarnessOutput>(HARNESS, ['--json', json], { timeoutMs, env });
}

/** The scenario loaded and checked in the test's process, as JSON for the harness, and a name for messages. */
async function loadForHarness(scenario: string, overrides: string[]): Promise<{ json: string; what: string }> {
  const file = scenario.includes('/') ? scenario : `${SCENARIOS}${scenario}.yaml`;
  const { loadScenarioFile } = await import('../../src/scenario/index.js');
  const loaded = await loadScenarioFile(file, overrides);
  countTimeWaitExactly(loaded);
  return { json: JSON.stringify(loaded), what: [file.split('/').at(-1), ...overrides].join(' ') };
}

// Warm harnesses by environment (the engine reads TWSTORM_IO_URING and TWSTORM_NATIVE_SOCKETS
// when it loads): an idle one takes the next run with the same environment, and runs asked for
// at once each get their own, so a test that overlaps runs (the decay test) still overlaps them.
const idle = new Map<string, WarmHarness[]>();
/** Environments whose harness could not make a namespace: a process per run for them. */
const cold = new Set<string>();

function takeHarness(key: string, env: NodeJS.ProcessEnv): WarmHarness {
  const list = idle.get(key) ?? [];
  idle.set(key, list);
  let harness = list.pop();
  while (harness?.dead) harness = list.pop();
  return harness ?? new WarmHarness(env);
}

/** What a test may read of a harness run's noise (its stderr, and stray stdout) in a message. */
const NOISE_KEPT = 20_000;

class WarmHarness {
  private readonly child: ChildProcess;
  private killed = false;
  /** stdout not yet cut into lines. */
  private pending = '';
  private noise = '';
  private waiting: ((reply: string | null) => void) | null = null;

  constructor(env: NodeJS.ProcessEnv) {
    // SIGKILL when the test's process goes, even in the middle of a run (a killed test file
    // would otherwise leave the run going until it ends by itself).
    const [command, ...args] = withParentDeathSignal(nodeInNetns(HARNESS, ['--serve']), 'KILL');
    this.child = spawn(command!, args, { env: ownNodeEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (text: string) => {
      let from = this.pending.length;
      this.pending += text;
      for (let end = this.pending.indexOf('\n', from); end >= 0; end = this.pending.indexOf('\n', from)) {
        const line = this.pending.slice(0, end);
        this.pending = this.pending.slice(end + 1);
        from = 0;
        if (line.startsWith(REPLY_PREFIX) && this.waiting) this.waiting(line.slice(REPLY_PREFIX.length));
        else this.note(`${line}\n`);
      }
    });
    this.child.stderr!.on('data', (text: string) => this.note(text));
    // A write to a harness that has just died fails with EPIPE; its exit says what happened.
    this.child.stdin!.on('error', () => undefined);
    this.child.once('error', (err) => this.gone(`cannot start ${command}: ${err.message}`));
    this.child.once('exit', (code, signal) => this.gone(`exited ${signal ?? code}`));
    this.hold(false);
  }

  get dead(): boolean {
    return this.killed || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /**
   * One run: its JSON line in, the harness's reply line out. At the timeout, or on a reply that is
   * no JSON, the harness is killed (it is out of step) and the run rejects with what it printed.
   */
  async run(scenarioJson: string, timeoutMs: number, what: string): Promise<HarnessOutput | NoNamespace> {
    this.noise = '';
    this.hold(true);
    const line = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        finish(null);
      }, timeoutMs);
      const finish = (reply: string | null): void => {
        clearTimeout(timer);
        this.waiting = null;
        resolve(reply);
      };
      this.waiting = finish;
      this.child.stdin!.write(`${scenarioJson}\n`);
    });
    this.hold(false);
    if (line === null) throw new Error(`${what} in a namespace ${this.killed ? 'was killed (timeout)' : 'ended without an answer'}; output: ${this.noise}`);
    let reply: HarnessOutput | NoNamespace | { error: string };
    try {
      reply = JSON.parse(line) as typeof reply;
    } catch (err) {
      this.kill();
      throw new Error(`${what}: the harness answered no JSON (${String(err)}): ${line.slice(0, 300)}; output: ${this.noise}`);
    }
    if ('error' in reply) throw new Error(`${what} in a namespace failed: ${reply.error}; output: ${this.noise}`);
    return reply;
  }

  private note(text: string): void {
    this.noise = (this.noise + text).slice(-NOISE_KEPT);
  }

  private gone(why: string): void {
    this.note(`[harness ${why}]\n`);
    this.waiting?.(null);
  }

  private kill(): void {
    this.killed = true;
    killChild(this.child);
  }

  // Only while a run is pending does the harness keep the test's process alive: between runs
  // the process ends when its tests do, and the harness reads the end of its stdin and exits.
  private hold(held: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as Array<{ ref?(): void; unref?(): void } | null>;
    for (const h of handles) (held ? h?.ref : h?.unref)?.call(h);
  }
}

/**
 * Conntrack keeps a TIME_WAIT entry for every connection that crossed a router, except one an
 * RST closed: the race exact-counts.ts describes ends with the closed server's RST, which moves the
 * router's entry to CLOSE whatever tcp_rfc1337 says on the hosts. So: exactly `expected` when
 * the server sent no RST, at most one fewer per RST it sent (its TcpOutRsts) otherwise.
 */
export function assertConntrackTimeWait(seen: number, expected: number, serverOutRsts: number, detail = ''): void {
  assert.ok(
    seen <= expected && seen >= expected - serverOutRsts,
    `conntrack TIME_WAIT ${seen} of ${expected}, server OutRsts ${serverOutRsts}${detail === '' ? '' : ` (${detail})`}`,
  );
}
