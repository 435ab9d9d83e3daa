/**
 * Ports held by bind() against every destination, as `states` and doctor's probe see them, held
 * against the kernel: in a namespace of its own (this file re-runs itself under `unshare -n`),
 * 20 clients bind 127.0.0.1:0 before connecting, alternately to two server ports, and close
 * first, so their TIME_WAIT keep bind buckets on all 20 ports of the range. Each destination
 * then holds about half its ports, yet bind(0) gets EADDRINUSE and an unbound connect() to any
 * destination EADDRNOTAVAIL (__inet_hash_connect skips a bucket bind() made). Before that, the
 * probe must find a port and leave nothing behind. The namespace goes when the child exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { takeCensus, type StatesCensus } from '../../src/states/index.js';
import { probePorts, type PortProbe } from '../../src/doctor/port-probe.js';
import { gatherFacts } from '../../src/doctor/facts.js';
import { portProbeCheck, timeWaitNowCheck } from '../../src/doctor/machine-checks.js';
import type { Check } from '../../src/doctor/check.js';
import { runNodeInNetns } from '../helpers/netns.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';
import { tcpSettled } from '../helpers/tcp-settled.js';

const CHILD_ENV = 'TWSTORM_PORT_PROBE_CHILD';

interface Report {
  before: { probe: PortProbe; sockets: [number, number]; counters: Record<string, number> };
  census: StatesCensus;
  /** An unbound connect() to 127.0.0.1:7002 (no listener, a destination nobody used), and a bound one. */
  unbound: string;
  bound: string;
  probe: PortProbe;
  lines: Check[];
}

/** One connect(): "connected", "refused" (a port was found, the RST came back) or the errno. */
function attempt(port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? err.message)));
  });
}

async function child(): Promise<void> {
  requireFreshNamespace('port-probe-netns.test.js (child)');
  setTimeout(() => process.exit(3), 40_000).unref();
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // Only this namespace's settings: 20 ports; tcp_tw_reuse=2 (the default) does not save them.
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '40000 40019\n');
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '2\n');
  writeFileSync('/proc/sys/net/ipv4/tcp_rfc1337', '1\n');
  for (const port of [7000, 7001]) {
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer((socket) => {
        socket.on('end', () => socket.end());
        socket.on('error', () => undefined);
        socket.resume();
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }
  const count = (snap: StatesCensus): [number, number] => [snap.total, snap.states.TIME_WAIT];
  const first = await takeCensus();
  const probe = await probePorts(first.listeningPorts);
  await tcpSettled(Date.now() + 2000);
  const after = await takeCensus();
  const before = { probe, sockets: count(after), counters: after.counters };
  if (count(first).join() !== before.sockets.join()) throw new Error(`the probe left sockets: ${count(first).join()} before, ${before.sockets.join()} after`);

  // bind(127.0.0.1:0), then connect (Node binds when given localAddress), the client closing first.
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: 7000 + (i % 2), localAddress: '127.0.0.1' }, () => socket.end());
      socket.resume();
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
  }
  await tcpSettled(Date.now() + 2000);
  const census = await takeCensus();
  const unbound = await attempt(7002);
  const bound = await attempt(7002, '127.0.0.1');
  const facts = await gatherFacts({ namespace: false, native: false, nft: false, portProbe: true });
  const lines = [timeWaitNowCheck(facts), portProbeCheck(facts)!];
  process.stdout.write(`${JSON.stringify({ before, census, unbound, bound, probe: facts.portProbe!, lines } satisfies Report)}\n`);
  process.exit(0);
}

if (process.env[CHILD_ENV] === '1') {
  await child();
} else {
  test('bound clients hold every destination: states warns on the range, doctor\'s probe finds no port, as the kernel says', async () => {
    const r = await runNodeInNetns<Report>(fileURLToPath(import.meta.url), [], { env: { ...process.env, [CHILD_ENV]: '1' }, timeoutMs: 60_000 });
    // Before: a port for connect() and for bind(0), and the probe changed nothing but three counters.
    assert.equal(r.before.probe.destination, '127.0.0.1:1');
    assert.deepEqual(r.before.probe.connect, { tried: true, port: null, error: null });
    assert.equal(r.before.probe.bind.error, null);
    assert.ok((r.before.probe.bind.port ?? 0) >= 40000 && (r.before.probe.bind.port ?? 0) <= 40019, `bind(0) got ${r.before.probe.bind.port}`);
    assert.deepEqual(r.before.sockets, [2, 0], 'the two listeners, no TIME_WAIT');
    assert.equal(r.before.counters['TcpActiveOpens'], 1);
    assert.equal(r.before.counters['TcpAttemptFails'], 1);
    assert.equal(r.before.counters['TcpOutRsts'], 1);

    // After: 20 bound TIME_WAIT, ten per destination; every port of the range is held.
    assert.equal(r.census.states.TIME_WAIT, 20);
    assert.deepEqual(
      r.census.destinations.map((d) => [d.destination, d.inRange, d.held, d.usable]).sort(),
      [['127.0.0.1:7000', 10, 10, 20], ['127.0.0.1:7001', 10, 10, 20]],
    );
    assert.deepEqual(r.census.rangeUse, { held: 20, listeners: 0, usable: 20, share: 1 });
    // The kernel: no port for any destination, bound or not.
    assert.equal(r.unbound, 'EADDRNOTAVAIL');
    assert.equal(r.bound, 'EADDRINUSE');
    assert.equal(r.probe.connect.error, 'EADDRNOTAVAIL');
    assert.equal(r.probe.bind.error, 'EADDRINUSE');
    const [timeWait, port] = r.lines;
    assert.equal(timeWait?.status, 'warn');
    assert.match(timeWait?.detail ?? '', /ports of the range held by any socket: 20 of 20: no port of the range is free of sockets, so bind\(0\) gets EADDRINUSE/);
    assert.equal(port?.status, 'warn');
    assert.match(port?.detail ?? '', /^connect\(\) to 127\.0\.0\.1:1, where nothing listens, got EADDRNOTAVAIL: no port of the range is left for ANY destination/);
  });
}
