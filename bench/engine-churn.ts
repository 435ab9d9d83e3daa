// Run inside a fresh namespace by bench.ts: the engine (or, for comparison, nothing but the
// kernel) against the C reference server, so the figure is the client's speed alone.
//   node engine-churn.js SERVER_BIN MODE THREADS COUNT OBSERVERS
// MODE: fin | rst | server (who closes and how); OBSERVERS: on | off (the kernel sampler and
// census running as in a real run, or not at all). Prints one JSON line.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { LoadStats } from '../src/metrics/load-stats.js';
import { runTcpLoad } from '../src/driver/tcp-load.js';
import { startSamplerWorker } from '../src/observe/index.js';
import { runClock } from '../src/util/clock.js';
import { withParentDeathSignal } from '../src/environment/parent-death.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

const [serverBin, mode, threadsArg, countArg, observers] = process.argv.slice(2);
const threads = Number(threadsArg);
const count = Number(countArg);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
requireFreshNamespace('engine-churn.js');
writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
// Through setpriv --pdeathsig: the kernel kills the server when this process dies, however it
// dies. An engine thread that failed to load once left one C server per run, idle in its
// namespace, holding the namespace alive.
const [command, ...args] = withParentDeathSignal([serverBin!, '7000', '2', '64', '64', mode === 'server' ? 'server' : 'client'], 'KILL');
const server = spawn(command!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => server.kill('SIGKILL'));
await once(server.stdout!, 'data');
const epochMs = performance.timeOrigin + performance.now();
const clock = runClock(epochMs);
const sampler = observers === 'on' ? startSamplerWorker({ sampleMs: 100, censusMs: 1000, serverPorts: [7000], epochMs }) : null;
await sampler?.ready;
const stats = new LoadStats(100);
const cpu = process.cpuUsage();
const out = await runTcpLoad(
  {
    connection: {
      host: '127.0.0.1',
      requestBytes: 64,
      responseBytes: 64,
      first: mode === 'server' ? 'server' : 'client',
      mode: mode === 'rst' ? 'rst' : 'fin',
      lingerSeconds: 1,
      delayMs: 0,
      readDelayMs: 0,
      connectTimeoutMs: 5000,
      idleTimeoutMs: 10_000,
    },
    endpoints: { ports: [7000], sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false },
    count,
    durationMs: 120_000,
    concurrency: 64,
    rate: null,
    maxInFlight: 10_000,
    interruptGraceMs: 1000,
    gracefulStopMs: 30_000,
    threads,
  },
  stats,
  clock,
  new AbortController().signal,
);
const used = process.cpuUsage(cpu);
await sampler?.stop();
server.kill('SIGKILL');
const seconds = (out.endMs - out.startMs) / 1000;
process.stdout.write(
  `${JSON.stringify({ engine: out.engine?.name, threads: out.engine?.threads, established: stats.established, failed: stats.failed, ratePerSec: stats.established / seconds, cpuMsPer1000: (used.user + used.system) / stats.attempted, userMsPer1000: used.user / stats.attempted, systemMsPer1000: used.system / stats.attempted })}\n`,
);
