// Helper run inside a fresh network namespace by target.test.ts (the namespace plays "the host"):
//   unshare -n node target-cases.js <host> <extra twstorm args as JSON>
// Starts `twstorm serve` there as the already-running server, then `twstorm run … target=…
// --isolation host`, and prints one JSON line: the run's exit, output, result and ss's count.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isListening } from '../../src/server/listeners.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('target-cases.js');

setTimeout(() => {
  process.stderr.write('target case timed out\n');
  process.exit(3);
}, 50_000).unref();

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const [host = '127.0.0.1', extraJson = '[]'] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
const server = spawn(process.execPath, [BIN, 'serve', '--host', host, '--port', '7300'], { stdio: 'ignore' });
const deadline = Date.now() + 20_000;
while (!(await isListening(7300))) {
  if (Date.now() > deadline) throw new Error('twstorm serve did not listen');
  await new Promise((r) => setTimeout(r, 20));
}
const out = mkdtempSync(path.join(os.tmpdir(), 'twstorm-target-'));
const target = host.includes(':') ? `[${host}]:7300` : `${host}:7300`;
const run = spawnSync(
  process.execPath,
  [BIN, 'run', 'client-closes-first', '--out', out, '--isolation', 'host', '--set', `target="${target}"`, '--set', 'connections=300', '--set', 'tail=300ms', '--set', 'census=200ms', ...(JSON.parse(extraJson) as string[])],
  { encoding: 'utf8', timeout: 40_000 },
);
const tw = (filter: string): number =>
  execFileSync('ss', ['-Htan', 'state', 'time-wait', filter], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '').length;
const ss = { client: tw('( dport = :7300 )'), server: tw('( sport = :7300 )') };
server.kill('SIGINT');
await new Promise((r) => server.once('exit', r));
const json = readdirSync(out).find((f) => f.endsWith('.json'));
const result = json ? JSON.parse(readFileSync(path.join(out, json), 'utf8')) : null;
rmSync(out, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ code: run.status, stdout: run.stdout, stderr: run.stderr, result, ss, twReuse: readFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', 'utf8').trim() })}\n`);
