// Running the real CLI from tests: a process per call, its output collected, readiness taken
// from what it prints (never from a fixed sleep), and every process it started tracked by PID so
// a test can prove that none outlived it.
import { spawn, type ChildProcess } from 'node:child_process';
import { ownNodeEnv } from '../../src/util/own-node-env.js';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Twstorm {
  child: ChildProcess;
  exit: Promise<Exit>;
  /** Settles once stderr has printed a line matching `pattern` (rejects if the process ends first). */
  stderrLine(pattern: RegExp): Promise<void>;
}

const started: ChildProcess[] = [];

export interface TwstormOptions {
  /** Its own process group, so a test can signal the group as a terminal's Ctrl-C does. */
  detached?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Run under another command (prlimit …); BIN and args follow it. */
  prefix?: string[];
}

export function twstorm(args: string[], options: TwstormOptions = {}): Twstorm {
  const [command, ...prefixArgs] = [...(options.prefix ?? []), process.execPath];
  const child = spawn(command!, [...prefixArgs, BIN, ...args], {
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: ownNodeEnv(options.env ?? process.env),
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve(): void }> = [];
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d;
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const timer = setTimeout(() => killTree(child), options.timeoutMs ?? 120_000);
  const exit = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const stderrLine = (pattern: RegExp): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(stderr)) return resolve();
      waiters.push({ pattern, resolve });
      void exit.then(({ code, stderr: text }) => reject(new Error(`exited ${code} before printing ${pattern}; stderr: ${text}`)));
    });
  return { child, exit, stderrLine };
}

/** A process as identified by PID and start time, so a reused PID is not mistaken for it. */
export interface ProcessId {
  pid: number;
  startTime: string;
}

function stat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** `pid` and every process below it, right now. */
export function processTree(pid: number): ProcessId[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = stat(Number(entry));
    if (!fields) continue;
    const ppid = Number(fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: ProcessId[] = [];
  const visit = (p: number): void => {
    const fields = stat(p);
    // Zombies have exited: they load nothing and hold no socket.
    if (!fields || fields[0] === 'Z') return;
    out.push({ pid: p, startTime: fields[19]! });
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

export function stillRunning(processes: ProcessId[]): ProcessId[] {
  return processes.filter(({ pid, startTime }) => {
    const fields = stat(pid);
    return fields !== null && fields[0] !== 'Z' && fields[19] === startTime;
  });
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what = 'a condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Kills a started CLI and everything below it (by PID: the run process has its own session).
 * Each PID is checked to be the process listed (its start time) right before its kill: pid_max
 * is 32768 here, and a suite's runs go through it, so a number freed a moment ago may already be
 * another test's process.
 */
export function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  for (const { pid } of stillRunning(processTree(child.pid).reverse())) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** For after(): whatever a failed test left running. */
export function killAllStarted(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) killTree(child);
}

/**
 * TCP connections opened so far in the network namespace of process `pid` (TcpActiveOpens from
 * /proc/PID/net/snmp, which shows that process's namespace): lets a test wait until a run has
 * really loaded, from outside its namespace.
 */
export function activeOpens(pid: number): number {
  try {
    const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    return Number(values[names.indexOf('ActiveOpens')]);
  } catch {
    return 0;
  }
}

/** The command line of a process ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** The process under `root` whose command line matches, if it is running. */
export function findInTree(root: number, pattern: RegExp): ProcessId | undefined {
  return processTree(root).find((p) => pattern.test(commandLine(p.pid)));
}

/** `twstorm serve`'s port, from its first stdout line (the banner names where it listens). */
export async function servePort(child: ChildProcess): Promise<number> {
  let banner = '';
  await new Promise<void>((resolve) =>
    child.stdout!.on('data', (d: Buffer) => {
      banner += d;
      if (banner.includes('\n')) resolve();
    }),
  );
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
  if (!(port > 0)) throw new Error(`no port in the serve banner: ${banner}`);
  return port;
}
