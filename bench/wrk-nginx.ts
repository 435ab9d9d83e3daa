// Run inside a fresh namespace by bench.ts: wrk -H 'Connection: close' against nginx
// (bench/nginx.conf, loopback only, in the foreground), the second peer of the raw HTTP client.
//   node wrk-nginx.js SECONDS CONNECTIONS THREADS    prints { ratePerSec, non2xx }
// nginx is started here and stopped by its PID; its scratch directory is removed; the namespace
// (and anything left in it) dies with this process.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { withParentDeathSignal } from '../src/environment/parent-death.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

export const NGINX_CONF = fileURLToPath(new URL('../../bench/nginx.conf', import.meta.url));
const PORT = 8080;

/**
 * nginx (master and workers, `daemon off`) serving bench/nginx.conf from `dir`. Started through
 * setpriv --pdeathsig=TERM, so the kernel stops it when this process dies however it dies (the
 * bench kills an overrunning child with SIGKILL): left running, it would hold its namespace.
 */
export function startNginx(dir: string): ChildProcess {
  const [command, ...args] = withParentDeathSignal(['nginx', '-p', dir, '-c', NGINX_CONF, '-e', 'stderr'], 'TERM');
  return spawn(command!, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Ready when nginx accepts a connection on 127.0.0.1:8080 (bounded: 10 s, or until it exits). */
export async function waitForNginx(nginx: ChildProcess | null): Promise<void> {
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: PORT }, () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return;
    if (i >= 200 || (nginx !== null && nginx.exitCode !== null)) throw new Error('nginx did not start listening on 127.0.0.1:8080');
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const [seconds, connections, threads] = process.argv.slice(2);
  requireFreshNamespace('wrk-nginx.js');
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  fs.writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
  fs.writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twstorm-bench-nginx-'));
  const nginx = startNginx(dir);
  try {
    await waitForNginx(nginx);
    const { stdout } = await promisify(execFile)('wrk', [
      '-H', 'Connection: close', '-c', connections!, '-t', threads!, '-d', `${seconds}s`, `http://127.0.0.1:${PORT}/`,
    ]);
    const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
    process.stdout.write(`${JSON.stringify({ ratePerSec: rate, non2xx })}\n`);
  } finally {
    if (nginx.pid !== undefined && nginx.exitCode === null) nginx.kill('SIGTERM');
    await new Promise((resolve) => (nginx.exitCode !== null ? resolve(null) : nginx.once('exit', resolve)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
