// Helper run inside a fresh network namespace by shard-host-ports.test.ts (the namespace plays
// "the host" that several shard processes share):
//   unshare -n node shard-host-ports-cases.js <N> <outDir> <scenario.yaml>
// The "host" gets a 600-port range, tcp_tw_reuse=0 and tcp_rfc1337=1 (written here, in the
// test's own namespace: under --isolation host twstorm writes none). ONE `twstorm serve`, then N copies of
// the scenario against it as parallel processes (`--isolation host --set target=… --shard i/N`;
// N = 1: one run of the whole). Prints one JSON line: each run's exit and output, and the
// local ports of every client TIME_WAIT socket the kernel lists (ss) afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collect, startServe } from '../helpers/serve.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('shard-host-ports-cases.js');

setTimeout(() => {
  process.stderr.write('shard-host-ports case timed out\n');
  process.exit(3);
}, 80_000).unref();

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const [countText = '1', out = '.', scenario = ''] = process.argv.slice(2);
const count = Number(countText);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '40000 40599');
writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0');
// And tcp_rfc1337=1: on a busy machine a slow server's late ACK can draw an RST that ends a
// client TIME_WAIT early (docs/faults.md) and frees its port for another connection — the likely
// cause of the one failure seen, a 200-port slice that made 215 connections.
writeFileSync('/proc/sys/net/ipv4/tcp_rfc1337', '1');

// Readiness is the banner naming the port. A port the kernel picked would come from the range
// the shards split: give the listener one outside it, from the low ports.
const { server, served, port } = await startServe(BIN, ['--port', '7070', '--close-first', 'client']);

const common = ['run', scenario, '--isolation', 'host', '--set', `target=127.0.0.1:${port}`, '--no-thresholds', '--out', out, '--json'];
const runs = Array.from({ length: count }, (_, i) =>
  collect(spawn(process.execPath, [BIN, ...common, ...(count > 1 ? ['--shard', `${i + 1}/${count}`] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })),
);
const codes = await Promise.all(runs.map((r) => r.exit));
// A row (one state asked for, so no state column): Recv-Q Send-Q Local:Port Peer:Port.
const ports = execFileSync('ss', ['-Htan', 'state', 'time-wait', `( dport = :${port} )`], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => Number(l.trim().split(/\s+/)[2]!.split(':').at(-1)));
process.kill(server.pid!, 'SIGINT');
await served.exit;
process.stdout.write(`${JSON.stringify({ runs: runs.map((r, i) => ({ code: codes[i], stdout: r.out(), stderr: r.err() })), ports })}\n`);
