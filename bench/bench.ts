// `npm run bench`: speed figures that unit tests must not time (driver rate and CPU against
// a bare Node loop; `twstorm states` at 30,000 TIME_WAIT sockets). Each line is a measurement
// and, where there is a peer doing the same work, the ratio to it. Runs in fresh namespaces
// with a wide port range and tcp_tw_reuse=1, so the port range is not what limits the rate.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { probeNamespace } from '../src/environment/namespace.js';
import { run as statesBench } from './states.bench.js';
import type { RunResult } from '../src/metrics/result.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/twstorm.js', import.meta.url));
const PEER = fileURLToPath(new URL('./peer-node-churn.js', import.meta.url));
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 30000);
const CONCURRENCY = 64;
const ROUNDS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function twstormRound(): Promise<{ ratePerSec: number; cpuMsPer1000: number }> {
  const { stdout } = await run(
    process.execPath,
    [
      BIN, 'run', 'client-closes-first', '--json', '--out', '/tmp/twstorm-bench', '--isolation', 'netns',
      '--set', `connections=${CONNECTIONS}`, '--set', `concurrency=${CONCURRENCY}`, '--set', 'tail=100ms',
      '--set', 'environment.sysctls.net.ipv4.ip_local_port_range=1024 65535',
      '--set', 'environment.sysctls.net.ipv4.tcp_tw_reuse=1',
    ],
    { maxBuffer: 512 * 1024 * 1024, timeout: 120_000 },
  );
  const result = JSON.parse(stdout) as RunResult;
  return { ratePerSec: result.summary.connections.ratePerSec, cpuMsPer1000: result.summary.driver.cpuMsPer1000 };
}

async function peerRound(prefix: string[]): Promise<{ ratePerSec: number; cpuMsPer1000: number }> {
  const [command, ...args] = [...prefix, process.execPath, PEER, String(CONNECTIONS), String(CONCURRENCY)];
  const { stdout } = await run(command!, args, { timeout: 120_000 });
  return JSON.parse(stdout) as { ratePerSec: number; cpuMsPer1000: number };
}

const probe = probeNamespace();
if (!probe.ok) {
  process.stderr.write(`bench: needs a network namespace: ${probe.reason}\n`);
  process.exit(1);
}
const ours: Array<{ ratePerSec: number; cpuMsPer1000: number }> = [];
const peer: Array<{ ratePerSec: number; cpuMsPer1000: number }> = [];
for (let i = 0; i < ROUNDS; i++) {
  ours.push(await twstormRound());
  peer.push(await peerRound(probe.prefix));
}
const rate = median(ours.map((r) => r.ratePerSec));
const peerRate = median(peer.map((r) => r.ratePerSec));
const cpu = median(ours.map((r) => r.cpuMsPer1000));
const peerCpu = median(peer.map((r) => r.cpuMsPer1000));
const lines = [
  `driver: client-closes-first, ${CONNECTIONS} connections, concurrency ${CONCURRENCY}, range 1024-65535, tcp_tw_reuse=1 (median of ${ROUNDS})`,
  `  twstorm            ${rate.toFixed(0).padStart(7)} conn/s   ${cpu.toFixed(1).padStart(6)} ms CPU per 1,000 connections (driver + observers)`,
  `  bare Node loop     ${peerRate.toFixed(0).padStart(7)} conn/s   ${peerCpu.toFixed(1).padStart(6)} ms CPU per 1,000 connections`,
  `  ratio twstorm/peer ${(rate / peerRate).toFixed(2).padStart(7)} ×        ${(cpu / peerCpu).toFixed(2).padStart(6)} × CPU`,
];
for (const line of lines) process.stdout.write(`${line}\n`);
for (const line of await statesBench()) process.stdout.write(`${line}\n`);
