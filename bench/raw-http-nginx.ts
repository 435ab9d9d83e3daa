// Run inside a fresh namespace (unshare -n, as root): the raw HTTP engine alone, or wrk, against
// nginx (bench/nginx.conf) with `Connection: close`, and the CPU each client spent per 1,000
// requests — the figure that does not move with the other load on a shared machine, unlike the
// rate. For profiling the raw HTTP path: run it under `strace -c -f` or `node --cpu-prof`.
//   node raw-http-nginx.js twstorm|wrk SECONDS|COUNT CONNECTIONS THREADS
// twstorm: COUNT requests; wrk: SECONDS. Prints one JSON line.
// twstorm's figure is the marginal cost of a request: a run of COUNT/5 and a run of COUNT in the
// same process, (CPU₂ − CPU₁) / (COUNT − COUNT/5), so the fixed cost of starting the engine
// threads (module and FFI load, JIT warm-up: ~150 ms per thread, which a real run pays while
// its server starts) cancels out; wrk, a C program, has next to none. The whole second run's
// figure is printed too (wholeCpuMsPer1000).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LoadStats } from '../src/metrics/load-stats.js';
import { runRawHttpLoad } from '../src/driver/raw-http-load.js';
import { runClock } from '../src/util/clock.js';
import { startNginx, waitForNginx } from './wrk-nginx.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

const PORT = 8080;
const [who, amount, connections, threads] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
requireFreshNamespace('raw-http-nginx.js');
fs.writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
fs.writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twstorm-bench-nginx-'));
// NGINX=running: nginx is already up in this namespace (started outside, so that `strace -f`
// on this process counts the client's syscalls only).
const nginx =
  process.env['NGINX'] === 'running'
    ? null
    : startNginx(dir);
try {
  await waitForNginx(nginx);
  if (who === 'wrk') {
    // wrk's CPU (user + system) from bash's `times`.
    const { stdout } = await promisify(execFile)('bash', [
      '-c',
      `wrk -H 'Connection: close' -c ${connections} -t ${threads} -d ${amount}s http://127.0.0.1:${PORT}/ && times`,
    ]);
    const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
    const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stdout.trim());
    const userMs = t ? (Number(t[1]) * 60 + Number(t[2])) * 1000 : NaN;
    const systemMs = t ? (Number(t[3]) * 60 + Number(t[4])) * 1000 : NaN;
    const per1000 = (ms: number): number => (ms / requests) * 1000;
    process.stdout.write(
      `${JSON.stringify({ who, requests, ratePerSec: rate, cpuMsPer1000: per1000(userMs + systemMs), userMsPer1000: per1000(userMs), systemMsPer1000: per1000(systemMs) })}\n`,
    );
  } else {
    const epochMs = performance.timeOrigin + performance.now();
    const load = async (count: number): Promise<{ requests: number; failed: number; seconds: number; user: number; system: number }> => {
      const stats = new LoadStats(100);
      const cpu = process.cpuUsage();
      const out = await runRawHttpLoad(
        {
          host: '127.0.0.1',
          port: PORT,
          client: 'raw',
          poolConnections: 0,
          connectTimeoutMs: 5000,
          idleTimeoutMs: 10_000,
          path: '/',
          requestsPerConnection: 1,
          threads: Number(threads),
          count,
          durationMs: 120_000,
          concurrency: Number(connections),
          rate: null,
          maxInFlight: 10_000,
          interruptGraceMs: 1000,
          gracefulStopMs: 30_000,
        },
        stats,
        runClock(epochMs),
        new AbortController().signal,
      );
      const used = process.cpuUsage(cpu);
      return { requests: stats.requests.total, failed: stats.requests.failed, seconds: (out.endMs - out.startMs) / 1000, user: used.user, system: used.system };
    };
    const small = await load(Math.max(1, Math.floor(Number(amount) / 5)));
    const big = await load(Number(amount));
    const n = big.requests - small.requests;
    process.stdout.write(
      `${JSON.stringify({ who, requests: big.requests, failed: small.failed + big.failed, ratePerSec: big.requests / big.seconds, cpuMsPer1000: (big.user + big.system - small.user - small.system) / n, userMsPer1000: (big.user - small.user) / n, systemMsPer1000: (big.system - small.system) / n, wholeCpuMsPer1000: (big.user + big.system) / big.requests })}\n`,
    );
  }
} finally {
  if (nginx !== null) {
    if (nginx.pid !== undefined && nginx.exitCode === null) nginx.kill('SIGTERM');
    await new Promise((resolve) => (nginx.exitCode !== null ? resolve(null) : nginx.once('exit', resolve)));
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
