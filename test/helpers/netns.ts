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
  /** When to SIGKILL it (default 60 s); null: never (a warm harness, killed per run instead). */
  timeoutMs?: number | null;
  /** Keep stdin open as a pipe (to tell the child when to finish). */
  stdin?: boolean;
}

export function spawnNodeInNetns(script: string, args: string[] = [], options: NamespaceOptions = {}): NamespaceChild {
  const probe = probeNamespace();
  if (!probe.ok) throw new Error(`this needs a network namespace: ${probe.reason}`);
  const [command, ...prefixArgs] = probe.prefix;
  const child = spawn(command!, [...prefixArgs, process.execPath, script, ...args], {
    env: ownNodeEnv(options.env ?? process.env),
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<NamespaceExit>((resolve, reject) => {
    const timer =
      options.timeoutMs === null
        ? undefined
        : setTimeout(() => {
            if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
          }, options.timeoutMs ?? 60_000);
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
  const file = scenario.includes('/') ? scenario : `${SCENARIOS}${scenario}.yaml`;
  const { loadScenarioFile } = await import('../../src/scenario/index.js');
  const loaded = await loadScenarioFile(file, overrides);
  countTimeWaitExactly(loaded);
  // The warm harness makes each namespace through the native layer: with the layer switched
  // off (the `net` engine's tests), a process per run, as `unshare -n` makes it.
  if (env[NATIVE_ENV] === 'off') return runNodeInNetns<HarnessOutput>(HARNESS, ['--json', JSON.stringify(loaded)], { timeoutMs, env });
  const harness = takeHarness(env);
  try {
    return await harness.run(JSON.stringify(loaded), timeoutMs, [file.split('/').at(-1), ...overrides].join(' '));
  } finally {
    idle.get(harness.key)?.push(harness);
  }
}

// Warm harnesses by environment (the engine reads TWSTORM_IO_URING and TWSTORM_NATIVE_SOCKETS
// when it loads): an idle one takes the next run with the same environment, and runs asked for
// at once each get their own, so a test that overlaps runs (the decay test) still overlaps them.
const idle = new Map<string, WarmHarness[]>();

function takeHarness(env: NodeJS.ProcessEnv): WarmHarness {
  const own = ownNodeEnv(env);
  const key = JSON.stringify(Object.entries(own).sort(([a], [b]) => a.localeCompare(b)));
  const list = idle.get(key) ?? [];
  idle.set(key, list);
  let harness = list.pop();
  while (harness?.dead) harness = list.pop();
  return harness ?? new WarmHarness(key, own);
}

class WarmHarness {
  dead = false;
  private readonly ns: NamespaceChild;
  private stdout = '';
  private stderr = '';
  private waiting: ((line: string | null) => void) | null = null;

  constructor(
    readonly key: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.ns = spawnNodeInNetns(HARNESS, ['--serve'], { env, stdin: true, timeoutMs: null });
    this.ns.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      const end = this.stdout.indexOf('\n');
      if (end >= 0 && this.waiting) {
        const line = this.stdout.slice(0, end);
        this.stdout = this.stdout.slice(end + 1);
        this.waiting(line);
      }
    });
    this.ns.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    void this.ns.done.then(
      () => this.gone(),
      () => this.gone(),
    );
    this.idle();
  }

  /** One run: its JSON line in, the harness's line out; at the timeout the harness is killed and the run rejects. */
  async run(scenarioJson: string, timeoutMs: number, what: string): Promise<HarnessOutput> {
    if (this.dead) throw new Error(`${what}: the warm harness is gone; stderr: ${this.stderr}`);
    this.busy();
    this.stderr = '';
    const line = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        finish(null);
      }, timeoutMs);
      const finish = (l: string | null): void => {
        clearTimeout(timer);
        this.waiting = null;
        resolve(l);
      };
      this.waiting = finish;
      this.ns.child.stdin!.write(`${scenarioJson}\n`);
    });
    this.idle();
    if (line === null) throw new Error(`${what} in a namespace ${this.dead ? 'was killed (timeout) or died' : 'gave no answer'}; stderr: ${this.stderr}`);
    const reply = JSON.parse(line) as HarnessOutput | { error: string };
    if ('error' in reply) throw new Error(`${what} in a namespace failed: ${reply.error}; stderr: ${this.stderr}`);
    return reply;
  }

  private gone(): void {
    this.dead = true;
    this.waiting?.(null);
  }

  private kill(): void {
    const { child } = this.ns;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    this.dead = true;
  }

  // Between runs nothing of the harness keeps the test's process alive: it ends when its tests
  // do, and the harness reads the end of its stdin and exits.
  private idle(): void {
    this.ns.child.unref();
    for (const s of [this.ns.child.stdin, this.ns.child.stdout, this.ns.child.stderr]) (s as unknown as { unref?(): void } | null)?.unref?.();
  }

  private busy(): void {
    this.ns.child.ref();
    for (const s of [this.ns.child.stdin, this.ns.child.stdout, this.ns.child.stderr]) (s as unknown as { ref?(): void } | null)?.ref?.();
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
