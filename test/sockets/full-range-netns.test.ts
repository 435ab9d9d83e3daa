// The self-checks on a host whose ephemeral range is full: a listener's bind(port 0) takes its
// port from ip_local_port_range and cannot share one with a TIME_WAIT socket, so where a storm
// holds every port (the hosts twstorm is for) port 0 fails with EADDRINUSE. The native layer's
// and sock_diag's checks then listen just outside the range: twstorm must not declare its native
// options, or its census, unavailable because the machine is in the state it came to measure.
// This file re-runs itself in a fresh namespace with a 10-port range held by 10 TIME_WAITs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { socketFeatures } from '../../src/sockets/index.js';
import { loadSockDiag } from '../../src/sockets/sock-diag.js';
import { runNodeInNetns } from '../helpers/netns.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';
import { tcpSettled } from '../helpers/tcp-settled.js';

const CHILD_ENV = 'TWSTORM_FULL_RANGE_CHILD';
const RANGE = { low: 40000, high: 40009 };
const SERVER_PORT = 7000; // outside the range

interface ChildReport {
  timeWait: number;
  portZero: string;
  features: { available: boolean; reason?: string; options: Record<string, boolean>; checks: string[] };
  sockDiag: { ok: boolean; reason?: string; checks?: string[] };
}

function timeWaitCount(): number {
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).filter((l) => l.trim().split(/\s+/)[3] === '06').length;
}

async function child(): Promise<void> {
  requireFreshNamespace('full-range-netns.test.js (child)');
  setTimeout(() => process.exit(3), 60_000).unref();
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', `${RANGE.low} ${RANGE.high}`);
  // No connect may take over a TIME_WAIT port, and no stray RST may end one (RFC 1337).
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0');
  writeFileSync('/proc/sys/net/ipv4/tcp_rfc1337', '1');
  const server = net.createServer((s) => s.on('end', () => s.end()).resume());
  await new Promise<void>((r) => server.listen(SERVER_PORT, '127.0.0.1', r));
  // All ten open at once: ten distinct ports, the whole range. The client closes first.
  const clients = await Promise.all(
    Array.from({ length: RANGE.high - RANGE.low + 1 }, () => new Promise<net.Socket>((resolve, reject) => {
      const c = net.connect(SERVER_PORT, '127.0.0.1', () => resolve(c)).once('error', reject);
    })),
  );
  await Promise.all(clients.map((c) => new Promise<void>((r) => c.once('close', () => r()).end())));
  await tcpSettled(Date.now() + 10_000);
  server.close();
  const portZero = await new Promise<string>((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
    probe.listen(0, '127.0.0.1', () => probe.close(() => resolve('bound')));
  });
  const f = socketFeatures();
  const d = loadSockDiag();
  const report: ChildReport = {
    timeWait: timeWaitCount(),
    portZero,
    features: { available: f.available, reason: f.reason, options: f.options, checks: f.checks },
    sockDiag: d.ok ? { ok: true, checks: d.checks } : { ok: false, reason: d.reason },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

if (process.env[CHILD_ENV] === '1') {
  await child();
} else {
  test('a range full of TIME_WAIT leaves the native options and the sock_diag census available: their checks listen outside it', async () => {
    const r = await runNodeInNetns<ChildReport>(fileURLToPath(import.meta.url), [], { env: { ...process.env, [CHILD_ENV]: '1' } });
    assert.equal(r.timeWait, 10, 'the range is held by the client TIME_WAITs');
    assert.equal(r.portZero, 'EADDRINUSE', 'a listener on port 0 finds no port');
    assert.equal(r.features.available, true, r.features.reason);
    assert.deepEqual(r.features.options, { reuseAddrOff: true, reusePort: true, bindAddressNoPort: true, linger: true, tcpInfo: true, localPortRange: true });
    const outside = /^bind\(port 0\): EADDRINUSE, every port of the ephemeral range 40000-40009 is held here; the check listened on port 39999, outside it$/;
    assert.ok(r.features.checks.some((c) => outside.test(c)), r.features.checks.join('\n'));
    assert.equal(r.sockDiag.ok, true, r.sockDiag.reason);
    assert.ok(r.sockDiag.checks!.some((c) => outside.test(c)), r.sockDiag.checks!.join('\n'));
  });
}
