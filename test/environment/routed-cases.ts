// Helper run inside a fresh network namespace (the router) by routed.test.ts:
//   unshare -n node routed-cases.js <case> [json options]
// Builds a real routed lab (namespaces, veths, routes, nftables), starts `twstorm serve` in the
// server host, runs `twstorm run` with an external target in each client host at once, and asks
// each namespace's own ss and the router's conntrack what is there. Prints one JSON line.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRoutedLab, type LabHost } from '../../src/environment/topology/routed.js';
import { applyNat, enableConntrack, natPoolSize, type NatSpec } from '../../src/environment/topology/nat.js';
import { readConntrackStates, readConntrackStats } from '../../src/observe/conntrack.js';
import { parseCounterTable } from '../../src/observe/counters.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('routed-cases.js');

setTimeout(() => {
  process.stderr.write('routed case timed out\n');
  process.exit(3);
}, 110_000).unref();

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const [name = '', optionsJson = '{}'] = process.argv.slice(2);
if (name !== 'run' && name !== 'hold') throw new Error(`unknown case ${name}`);
const options = JSON.parse(optionsJson) as { clients?: number; connections?: number; nat?: NatSpec; v6?: boolean; sets?: string[] };

// tcp_rfc1337=1 in the client hosts: a late ACK from a busy server can draw an RST that would
// otherwise end a client's TIME_WAIT before ss counts it (test/helpers/exact-counts.ts says how).
const lab = await buildRoutedLab({
  clients: options.clients ?? 2,
  sysctls: { client: { 'net.ipv4.tcp_tw_reuse': 0, 'net.ipv4.tcp_rfc1337': 1 }, server: { 'net.ipv4.tcp_tw_reuse': 0 }, router: {} },
});
if (name === 'hold') {
  // For the SIGKILL test: say what was built, then wait to be killed.
  process.stdout.write(`${JSON.stringify({ holders: [...lab.clients, lab.server].map((h) => h.pid), router: process.pid })}\n`);
  await new Promise(() => undefined);
}
if (options.nat) await applyNat(options.nat, lab.server.addresses.routerIfname);
else await enableConntrack();

const serverAddress = options.v6 ? lab.server.addresses.v6 : lab.server.addresses.v4;
const server = spawn(lab.enter(lab.server)[0]!, [...lab.enter(lab.server).slice(1), process.execPath, BIN, 'serve', '--host', options.v6 ? '::' : '0.0.0.0', '--port', '7000'], { stdio: 'ignore' });
const deadline = Date.now() + 20_000;
while (!(await lab.exec(lab.server, ['cat', '/proc/net/tcp', '/proc/net/tcp6'])).split('\n').some((l) => / 0A /.test(l) && /:1B58 /.test(l))) {
  if (Date.now() > deadline) throw new Error('server did not listen');
  await new Promise((r) => setTimeout(r, 20));
}

const out = mkdtempSync(path.join(os.tmpdir(), 'twstorm-routed-'));
const target = options.v6 ? `[${serverAddress}]:7000` : `${serverAddress}:7000`;
const connections = options.connections ?? 300;
const runIn = (host: LabHost): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve) => {
    const dir = path.join(out, host.name);
    const child = spawn(
      lab.enter(host)[0]!,
      [...lab.enter(host).slice(1), process.execPath, BIN, 'run', 'client-closes-first', '--out', dir, '--isolation', 'host', '--allow-remote-target', '--no-thresholds',
        '--set', `target="${target}"`, '--set', `connections=${connections}`, '--set', 'tail=300ms', '--set', 'census=200ms', ...(options.sets ?? []).flatMap((s) => ['--set', s])],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.once('close', (code) => resolve({ code, stderr }));
  });
const exits = await Promise.all(lab.clients.map(runIn));
const tw = async (host: LabHost, filter: string): Promise<number> =>
  (await lab.exec(host, ['ss', '-Htan', 'state', 'time-wait', filter])).split('\n').filter((l) => l.trim() !== '').length;
const hosts = [];
for (const [i, host] of lab.clients.entries()) {
  const dir = path.join(out, host.name);
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  const result = file ? JSON.parse(readFileSync(path.join(dir, file), 'utf8')) : null;
  hosts.push({
    name: host.name,
    exit: exits[i],
    summary: result?.summary ?? null,
    ssTimeWait: await tw(host, '( dport = :7000 )'),
    snmp: (await lab.exec(host, ['cat', '/proc/net/snmp'])).split('\n').filter((l) => l.startsWith('Tcp:'))[1],
  });
}
const serverTimeWait = await tw(lab.server, '( sport = :7000 )');
const serverOutRsts = parseCounterTable(await lab.exec(lab.server, ['cat', '/proc/net/snmp']))['TcpOutRsts'] ?? 0;
// SYN-ACKs the server host sent again: one per opening connection when its first was lost.
const serverSynRetrans = parseCounterTable(await lab.exec(lab.server, ['cat', '/proc/net/netstat']))['TcpExtTCPSynRetrans'] ?? 0;
const serverPeers = new Set(
  (await lab.exec(lab.server, ['ss', '-Htan', 'state', 'time-wait', '( sport = :7000 )']))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, '')),
);
const conntrack = { stats: await readConntrackStats(), states: await readConntrackStates() };
// Every address on the lab's links, router and hosts, as the kernel lists them after the load
// (a link-local one appears as an end goes up): loopback's are each namespace's own.
const linkAddresses = (json: string): string[] =>
  (JSON.parse(json) as Array<{ ifname: string; addr_info?: Array<{ local: string }> }>).filter((l) => l.ifname !== 'lo').flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifname} ${a.local}`));
const { stdout: routerAddr } = await new Promise<{ stdout: string }>((resolve, reject) => {
  const child = spawn('ip', ['-j', 'addr', 'show'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d));
  child.once('error', reject);
  child.once('close', () => resolve({ stdout: text }));
});
const addresses = [...linkAddresses(routerAddr)];
for (const host of [...lab.clients, lab.server]) addresses.push(...linkAddresses(await lab.exec(host, ['ip', '-j', 'addr', 'show'])).map((a) => `${host.name}:${a}`));
server.kill('SIGINT');
await new Promise((r) => server.once('exit', r));
await lab.teardown();
rmSync(out, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ hosts, serverTimeWait, serverOutRsts, serverSynRetrans, serverPeers: [...serverPeers].sort(), conntrack, addresses, pool: options.nat ? natPoolSize(options.nat) : null })}\n`);
