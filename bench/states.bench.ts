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
import { censusTcpTable } from '../src/observe/tcp-table.js';
import { takeTcpCensus } from '../src/observe/tcp-source.js';
import { loadSockDiag } from '../src/sockets/sock-diag.js';
import { runNodeInNetns } from '../test/helpers/netns.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

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
  /** The same command with the native layer off: /proc/net/tcp{,6}. */
  cliProcMs: number;
  /** CPU (user + system) of the command, median. */
  cliCpuMs: number;
  cliProcCpuMs: number;
  /**
   * The peer, side by side: `ss -tan` (iproute2) listing the same sockets, what a user runs
   * (through awk, sort and uniq -c) to count them by state.
   */
  ssMs: number;
  ssCpuMs: number;
  /** The sampler's census (client/server per state) from each source. */
  censusProcMs: number;
  censusDiagMs: number | null;
  /** A bare sock_diag dump of both families, nothing done per socket: one per family (dumpMs), then one walk for both (dumpBothMs). */
  dumpMs: number | null;
  dumpBothMs: number | null;
  diagUnavailable?: string;
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
  requireFreshNamespace('states.bench.js');
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
  const range = readPortRange();
  const tables = await readTcpTables();
  const ports = new Set(servers.map((_, d) => 7000 + d));
  const diag = loadSockDiag();
  // The whole command, timed from outside; bash's `times` adds its CPU (user + system), which
  // unlike the wall time does not grow with the other load on a shared machine.
  const cpu: Record<string, number[]> = { native: [], proc: [], ss: [] };
  const command = (line: string, env: NodeJS.ProcessEnv, into: number[]) => () =>
    new Promise<void>((resolve, reject) =>
      execFile('bash', ['-c', `${line} > /dev/null && times`], { env, timeout: 30_000 }, (err, stdout) => {
        if (err) return reject(err);
        const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stdout.trim());
        if (m) into.push((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000);
        resolve();
      }),
    );
  const cli = (env: NodeJS.ProcessEnv, into: number[]) => command(`"${process.execPath}" "${BIN}" states --json`, env, into);
  const result: ChildResult = {
    sockets: first.total,
    timeWait: first.states.TIME_WAIT,
    buildMs,
    snapshotMs: await timed(() => takeCensus()),
    readMs: await timed(() => readTcpTables()),
    digestMs: await timed(() => censusFromTables(tables, range)),
    byRemoteMs: await timed(() => takeCensus({ by: 'remote' })),
    byProcessMs: await timed(() => takeCensus({ by: 'process' })),
    cliMs: await timed(cli(process.env, cpu['native']!)),
    cliProcMs: await timed(cli({ ...process.env, TWSTORM_NATIVE_SOCKETS: 'off' }, cpu['proc']!)),
    ssMs: await timed(command('ss -tan', process.env, cpu['ss']!)),
    cliCpuMs: median(cpu['native']!),
    cliProcCpuMs: median(cpu['proc']!),
    ssCpuMs: median(cpu['ss']!),
    censusProcMs: await timed(async () => censusTcpTable(await readTcpTables(), ports)),
    censusDiagMs: diag.ok ? await timed(() => takeTcpCensus(ports)) : null,
    dumpMs: diag.ok ? await timed(() => [4, 6].forEach((f) => diag.reader.dump(f as 4 | 6, () => undefined))) : null,
    dumpBothMs: diag.ok ? await timed(() => diag.reader.dump('both', () => undefined)) : null,
    ...(diag.ok ? {} : { diagUnavailable: diag.reason }),
  };
  for (const s of servers) s.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/**
 * Printable lines with the `states` and census timings at each of BENCH_STATES_SOCKETS
 * (comma-separated; default 30,000 and 100,000) TIME_WAIT sockets, one fresh namespace each.
 */
export async function run(): Promise<string[]> {
  const sizes = (process.env['BENCH_STATES_SOCKETS'] ?? '30000,100000').split(',').map(Number);
  const lines: string[] = [];
  for (const size of sizes) lines.push(...(await runOne(size)));
  return lines;
}

async function runOne(size: number): Promise<string[]> {
  const r = await runNodeInNetns<ChildResult>(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_ENV]: '1', BENCH_STATES_SOCKETS: String(size) },
    timeoutMs: 180_000,
  });
  const f = (ms: number | null): string => (ms === null ? `  n/a (${r.diagUnavailable})` : `${ms.toFixed(1).padStart(7)} ms`);
  const target = r.cliMs < 200 ? 'met' : 'MISSED';
  return [
    `states: ${r.sockets.toLocaleString('en-US')} sockets (${r.timeWait.toLocaleString('en-US')} TIME_WAIT) in a fresh namespace, made in ${(r.buildMs / 1000).toFixed(1)} s (median of ${ROUNDS})`,
    `  snapshot (table + digest + counters) ${f(r.snapshotMs)}`,
    `    /proc/net/tcp{,6} read alone        ${f(r.readMs)}`,
    `    digest of the /proc text alone      ${f(r.digestMs)}`,
    `  --by remote                          ${f(r.byRemoteMs)}`,
    `  --by process (scans /proc/*/fd)      ${f(r.byProcessMs)}`,
    `  twstorm states --json, whole CLI     ${f(r.cliMs)} wall, ${f(r.cliCpuMs)} CPU   (target < 200 ms at 100,000: ${r.sockets >= 100_000 ? target : 'n/a at this size'})`,
    `    same, native layer off (/proc)      ${f(r.cliProcMs)} wall, ${f(r.cliProcCpuMs)} CPU`,
    `    peer: ss -tan > /dev/null           ${f(r.ssMs)} wall, ${f(r.ssCpuMs)} CPU   (twstorm states ${(r.cliMs / r.ssMs).toFixed(2)}x its wall time)`,
    `  sampler census, sock_diag            ${f(r.censusDiagMs)}`,
    `  sampler census, /proc/net/tcp{,6}    ${f(r.censusProcMs)}`,
    `    bare sock_diag dump, v4 then v6    ${f(r.dumpMs)}`,
    `    bare sock_diag dump, one walk       ${f(r.dumpBothMs)}   (both families, as the census takes it)`,
  ];
}

if (process.env[CHILD_ENV] === '1') await child();
