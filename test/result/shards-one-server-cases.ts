// Helper run inside a fresh network namespace by merge.test.ts (the namespace plays "the host"
// that several shard processes share):  unshare -n node shards-one-server-cases.js <N> <outDir>
// Starts ONE `twstorm serve`, runs N copies of client-closes-first against it as parallel
// processes (`--isolation host --set target=… --shard i/N`; N = 1: one run of the whole, no
// --shard), stops the server by PID, and prints one JSON line: each run's exit and stderr, the
// server's own accepted count and the namespace's TcpPassiveOpens (the kernel's count of
// connections accepted, RFC 1213 tcpPassiveOpens).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collect, startServe } from '../helpers/serve.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('shards-one-server-cases.js');

setTimeout(() => {
  process.stderr.write('shards-one-server case timed out\n');
  process.exit(3);
}, 80_000).unref();

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const [countText = '1', out = '.'] = process.argv.slice(2);
const count = Number(countText);
execFileSync('ip', ['link', 'set', 'lo', 'up']);

function passiveOpens(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = lines[0]!.split(/\s+/);
  return Number(lines[1]!.split(/\s+/)[names.indexOf('PassiveOpens')]);
}

// --port 0: the kernel picks; readiness is the banner naming the port it listens on.
const { server, served, port } = await startServe(BIN, ['--port', '0', '--close-first', 'client']);
const before = passiveOpens();

// The shards' port slices come from client.localPorts: under --isolation host twstorm changes
// no sysctl, so the slice of net.ipv4.ip_local_port_range a shard is given is not in force and
// the kernel would pick every shard's ports from one shared range.
const common = ['run', 'client-closes-first', '--isolation', 'host', '--set', `target=127.0.0.1:${port}`, '--set', 'connections=900', '--set', 'tail=1s',
  '--set', 'client.bind=true', '--set', 'client.localPorts=20000-29999', '--no-thresholds', '--out', out, '--json'];
const runs = Array.from({ length: count }, (_, i) =>
  collect(spawn(process.execPath, [BIN, ...common, ...(count > 1 ? ['--shard', `${i + 1}/${count}`] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })),
);
const codes = await Promise.all(runs.map((r) => r.exit));
const accepted = passiveOpens() - before;
process.kill(server.pid!, 'SIGINT');
await served.exit;
const m = /accepted (\d+)/.exec(served.out());
process.stdout.write(`${JSON.stringify({
  runs: runs.map((r, i) => ({ code: codes[i], stdout: r.out(), stderr: r.err() })),
  serverAccepted: m ? Number(m[1]) : null,
  passiveOpens: accepted,
})}\n`);
