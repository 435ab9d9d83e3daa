// `twstorm states` speed at tens of thousands of TIME_WAIT sockets. `run()` re-executes this
// file inside a fresh network namespace (`unshare -n`, or `-rn` unprivileged) where it makes
// BENCH_STATES_SOCKETS (default 30,000) client-closes-first connections on loopback, so that
// many sockets sit in TIME_WAIT, then times the census. The namespace and its sockets vanish
// when the child exits; the child is killed by PID if it overruns.
import { execFileSync, execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { censusFromTables, takeCensus } from '../src/states/index.js';
import { readPortRange } from '../src/observe/port-range.js';
import { readTcpTables } from '../src/observe/procfs.js';
import { runNodeInNetns } from '../test/helpers/netns.js';

const CHILD_ENV = 'TWSTORM_STATES_BENCH_CHILD';
const BIN = fileURLToPath(new URL('../../bin/twstorm.js', import.meta.url));
/**
 * connect() needs one port per connection to a destination, and its search for a free port
 * (__inet_hash_connect) slows down sharply as the range fills with TIME_WAIT (measured: 100,000
 * connections to 2 destinations took 66 s, so the first TIME_WAITs expired before the census).
 * Spreading them keeps every range under a sixth full.
 */
const PER_DESTINATION = 10_000;
const ROUNDS = 7;

interface ChildResult {
  sockets: number;
  timeWait: number;
  buildMs: number;
  snapshotMs: number;
  digestMs: number;
  readMs: number;
  byRemoteMs: number;
  byProcessMs: number;
  cliMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function child(): Promise<void> {
  setTimeout(() => process.exit(3), 170_000).unref();
  const total = Number(process.env['BENCH_STATES_SOCKETS'] ?? 30_000);
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // This namespace only: a wide range, no reuse, room for every TIME_WAIT.
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535\n');
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0\n');
  writeFileSync('/proc/sys/net/ipv4/tcp_max_tw_buckets', `${total * 2}\n`);

  const destinations = Math.ceil(total / PER_DESTINATION);
  const servers: net.Server[] = [];
  for (let d = 0; d < destinations; d++) {
    const server = net.createServer((sock) => {
      sock.on('error', () => undefined);
      sock.resume();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(7000 + d, '127.0.0.1', () => resolve());
    });
    servers.push(server);
  }
  const built = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await new Promise<void>((resolve, reject) => {
        const sock = net.connect({ host: '127.0.0.1', port: 7000 + (i % destinations) }, () => sock.end());
        sock.resume();
        sock.once('close', () => resolve());
        sock.once('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: 256 }, worker));
  const buildMs = performance.now() - built;

  const first = await takeCensus();
  const range = await readPortRange();
  const tables = await readTcpTables();
  const result: ChildResult = {
    sockets: first.total,
    timeWait: first.states.TIME_WAIT,
    buildMs,
    snapshotMs: await timed(() => takeCensus()),
    readMs: await timed(() => readTcpTables()),
    digestMs: await timed(() => censusFromTables(tables, range)),
    byRemoteMs: await timed(() => takeCensus({ by: 'remote' })),
    byProcessMs: await timed(() => takeCensus({ by: 'process' })),
    cliMs: await timed(
      () =>
        new Promise<void>((resolve, reject) =>
          execFile(process.execPath, [BIN, 'states', '--json'], { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 }, (err) =>
            err ? reject(err) : resolve(),
          ),
        ),
    ),
  };
  for (const s of servers) s.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Printable lines with the `states` timings at BENCH_STATES_SOCKETS TIME_WAIT sockets. */
export async function run(): Promise<string[]> {
  const r = await runNodeInNetns<ChildResult>(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    timeoutMs: 180_000,
  });
  const f = (ms: number): string => `${ms.toFixed(1).padStart(7)} ms`;
  return [
    `states: ${r.sockets.toLocaleString('en-US')} sockets (${r.timeWait.toLocaleString('en-US')} TIME_WAIT) in a fresh namespace, made in ${(r.buildMs / 1000).toFixed(1)} s (median of ${ROUNDS})`,
    `  snapshot (read + digest + counters)  ${f(r.snapshotMs)}`,
    `    of which /proc/net/tcp{,6} read     ${f(r.readMs)}`,
    `    of which digest                     ${f(r.digestMs)}`,
    `  --by remote                          ${f(r.byRemoteMs)}`,
    `  --by process (scans /proc/*/fd)      ${f(r.byProcessMs)}`,
    `  twstorm states --json, whole CLI     ${f(r.cliMs)}`,
  ];
}

if (process.env[CHILD_ENV] === '1') await child();
