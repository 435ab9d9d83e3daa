// Memory of a long storm: the resident set of every process of a `twstorm run rst-close` of
// BENCH_RSS_CONNECTIONS (default 1,000,000) connections — the CLI, the run process inside the
// namespace, the server child — read from /proc/<pid>/status while it runs. Target: each under
// 200 MB and flat as connections grow, so the RSS at 100,000 connections is printed next to the
// RSS at the end and the peak (VmHWM). Progress is the namespace's own Tcp ActiveOpens, read
// through /proc/<pid>/net/snmp of a process inside it. Bounded: the run has a duration cap, and
// it is killed by PID if it overruns.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/twstorm.js', import.meta.url));
const CONNECTIONS = Number(process.env['BENCH_RSS_CONNECTIONS'] ?? 1_000_000);
const EARLY = 100_000;
const POLL_MS = 200;
const LIMIT_MB = 200;

interface Proc {
  label: string;
  early: number | null;
  last: number;
  peak: number;
}

function children(pid: number): number[] {
  try {
    // Every thread's children file; the main thread's is enough for processes spawned by Node.
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function tree(root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...children(out[i]!));
  return out;
}

/** VmRSS and VmHWM in MB, or null once the process is gone. */
function memory(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

function label(pid: number): string {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // dist/src/server/child.js, or dist/bundle/child.js since bin/ runs the esbuild bundle.
    if (args.some((a) => a.endsWith('server/child.js') || a.endsWith('bundle/child.js'))) return 'server child';
    if (args.includes('__inside')) return 'run process (in the namespace)';
    if (args.some((a) => a.endsWith('twstorm.js'))) return 'twstorm CLI';
    return path.basename(args[0] ?? String(pid));
  } catch {
    return String(pid);
  }
}

function activeOpens(pids: number[]): number | null {
  const own = fs.readlinkSync('/proc/self/ns/net');
  for (const pid of pids) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/ns/net`) === own) continue;
      const snmp = fs.readFileSync(`/proc/${pid}/net/snmp`, 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
      const keys = snmp[0]!.split(/\s+/);
      const values = snmp[1]!.split(/\s+/);
      return Number(values[keys.indexOf('ActiveOpens')]);
    } catch {
      // Not ours to read, or gone: try the next one.
    }
  }
  return null;
}

export async function run(): Promise<string[]> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'twstorm-bench-rss-'));
  const child = spawn(
    process.execPath,
    [
      BIN, 'run', 'rst-close', '--json', '--out', outDir, '--isolation', 'netns',
      '--set', `connections=${CONNECTIONS}`, '--set', 'concurrency=64', '--set', 'duration=5m', '--set', 'tail=100ms', '--set', 'matrix={}',
      '--set', 'environment.sysctls.net.ipv4.ip_local_port_range=1024 65535', '--set', 'environment.sysctls.net.ipv4.tcp_tw_reuse=1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.pid !== undefined && child.kill('SIGKILL'), 6 * 60_000);
  const procs = new Map<number, Proc>();
  let opens = 0;
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    const pids = tree(child.pid);
    opens = activeOpens(pids) ?? opens;
    for (const pid of pids) {
      const m = memory(pid);
      // A process that has exited but not been reaped keeps its status file without VmRSS:
      // read as 0 MB, it overwrote the last real sample ("near the end" 0 MB in the table).
      if (m === null || m.rss === 0) continue;
      // A process in the middle of exiting has already dropped its command line (read as ''):
      // caught so, it made a nameless "0 MB" row of its own in the table.
      // Named afresh at every sample: caught between fork and exec, the server child still
      // carries the run process's command line, and a name kept from then filed it as a second
      // "run process" (and a CLI's child as a 5 MB "twstorm CLI") for the rest of the run.
      const name = label(pid);
      if (name === '') continue;
      const p = procs.get(pid) ?? { label: name, early: null, last: 0, peak: 0 };
      p.label = name;
      p.last = m.rss;
      p.peak = Math.max(p.peak, m.hwm);
      if (p.early === null && opens >= EARLY) p.early = m.rss;
      procs.set(pid, p);
    }
  }, POLL_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(poll);
  clearTimeout(killer);
  fs.rmSync(outDir, { recursive: true, force: true });
  if (code !== 0) return [`rss: the ${CONNECTIONS.toLocaleString('en-US')}-connection run failed (exit ${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`];
  const result = JSON.parse(stdout) as { summary: { connections: { established: number; ratePerSec: number } } };
  const f = (mb: number | null): string => (mb === null ? '—' : `${mb.toFixed(0)} MB`);
  const lines = [
    `peak RSS, client RST run of ${CONNECTIONS.toLocaleString('en-US')} connections (${result.summary.connections.established.toLocaleString('en-US')} established, ${Math.round(result.summary.connections.ratePerSec).toLocaleString('en-US')}/s), fresh namespace, target < ${LIMIT_MB} MB each and flat:`,
    '| process | RSS at 100,000 | RSS near the end | peak (VmHWM) | target |',
    '|---|---|---|---|---|',
  ];
  for (const p of procs.values()) {
    if (p.label === 'unshare') continue;
    lines.push(`| ${p.label} | ${f(p.early)} | ${f(p.last)} | ${f(p.peak)} | ${p.peak < LIMIT_MB ? 'met' : 'MISSED'} |`);
  }
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) for (const line of await run()) process.stdout.write(`${line}\n`);
