/**
 * tcp_tw_reuse in `states`, held against the kernel's own answer: in a namespace of its own
 * (this file re-runs itself under `unshare -n`), a 20-port range with a listener on its last
 * port is filled with TIME_WAIT towards 127.0.0.1:7000. While they are younger than
 * tcp_tw_reuse_delay (set to 3 s here) the census must call the destination exhausted and a
 * connect() to it must get EADDRNOTAVAIL; once they are older it must call them reusable, and
 * connect() must get a port under tcp_tw_reuse=2 (loopback) but not under 0. The sock_diag
 * census and the /proc one (--by process reads /proc) must agree. The namespace and its sockets
 * vanish when the child exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { takeCensus, type StatesCensus } from '../../src/states/index.js';
import { runNodeInNetns } from '../helpers/netns.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';
import { tcpSettled } from '../helpers/tcp-settled.js';

const CHILD_ENV = 'TWSTORM_STATES_REUSE_CHILD';
const DELAY = '/proc/sys/net/ipv4/tcp_tw_reuse_delay';
const DELAY_MS = 3000;

interface Look {
  census: StatesCensus;
  /** What a connect() to 127.0.0.1:7000 got right after: "connected" or the errno. */
  connect?: string;
}

interface Report {
  skipped?: string;
  young: Look;
  old: Look;
  oldFromProc: StatesCensus;
  off: Look;
  loopback: Look;
  recycled: number;
}

/** One connect() to 127.0.0.1:7000: "connected" (then closed by the client) or its errno. */
function attempt(): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: 7000 });
    socket.once('connect', () => {
      socket.end();
      socket.resume();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function child(): Promise<void> {
  requireFreshNamespace('states-reuse-netns.test.js (child)');
  setTimeout(() => process.exit(3), 40_000).unref();
  if (!existsSync(DELAY)) {
    process.stdout.write(`${JSON.stringify({ skipped: `${DELAY} is missing (Linux 6.13+)` })}\n`);
    return;
  }
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // Only this namespace's settings.
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '40000 40019\n');
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '2\n');
  writeFileSync('/proc/sys/net/ipv4/tcp_timestamps', '1\n');
  writeFileSync(DELAY, `${DELAY_MS}\n`);
  // No RST may end a TIME_WAIT before it is counted (states-netns.test.ts says why).
  writeFileSync('/proc/sys/net/ipv4/tcp_rfc1337', '1\n');

  const listen = (port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const server = net.createServer((socket) => {
        socket.on('end', () => socket.end());
        socket.on('error', () => undefined);
        socket.resume();
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  await listen(7000);
  await listen(40019); // in the range: connect() skips its port for every destination

  // 19 connections take the 19 other ports; the client closes first, so each leaves a TIME_WAIT.
  const closed: Promise<void>[] = [];
  for (let i = 0; i < 19; i++) {
    closed.push(
      new Promise((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: 7000 }, () => socket.end());
        socket.resume();
        socket.once('close', () => resolve());
        socket.once('error', reject);
      }),
    );
  }
  await Promise.all(closed);
  const madeAt = Date.now();
  await tcpSettled(madeAt + 2000);

  const young: Look = { census: await takeCensus(), connect: await attempt() };
  if (Date.now() - madeAt >= DELAY_MS - 200) throw new Error('too slow: the TIME_WAIT were no longer young when looked at');
  await sleep(madeAt + DELAY_MS + 300 - Date.now());
  const old: Look = { census: await takeCensus() };
  const oldFromProc = await takeCensus({ by: 'process' });
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0\n');
  const off: Look = { census: await takeCensus(), connect: await attempt() };
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '2\n');
  const loopback: Look = { census: await takeCensus() };
  const before = loopback.census.counters['TcpExtTWRecycled'] ?? 0;
  loopback.connect = await attempt();
  await tcpSettled(Date.now() + 2000);
  const recycled = ((await takeCensus()).counters['TcpExtTWRecycled'] ?? 0) - before;
  process.stdout.write(`${JSON.stringify({ young, old, oldFromProc, off, loopback, recycled } satisfies Report)}\n`);
  process.exit(0);
}

if (process.env[CHILD_ENV] === '1') {
  await child();
} else {
  test('tcp_tw_reuse: a TIME_WAIT older than the delay is reusable, not held; younger or with reuse off it is held, as connect() finds', async (t) => {
    const r = await runNodeInNetns<Report>(fileURLToPath(import.meta.url), [], { env: { ...process.env, [CHILD_ENV]: '1' }, timeoutMs: 60_000 });
    if (r.skipped) return t.skip(r.skipped);
    const row = (look: Look | StatesCensus) => {
      const census = 'census' in look ? look.census : look;
      const d = census.destinations.find((x) => x.destination === '127.0.0.1:7000');
      return [d?.inRange, d?.timeWait, d?.twReuse, d?.reusable, d?.held, d?.usable];
    };
    assert.deepEqual(r.old.census.twReuse, { mode: 2, timestamps: true, delayMs: DELAY_MS, delayFrom: 'sysctl' });
    // 19 TIME_WAIT and the listener's port: all 20 held while young, and connect() finds none.
    assert.deepEqual(row(r.young), [19, 19, true, 0, 20, 20]);
    assert.equal(r.young.census.destinations[0]?.heldShare, 1);
    assert.equal(r.young.connect, 'EADDRNOTAVAIL');
    // Older than tcp_tw_reuse_delay: reusable, only the listener's port held; /proc agrees with sock_diag.
    assert.deepEqual(row(r.old), [19, 19, true, 19, 1, 20]);
    assert.deepEqual(row(r.oldFromProc), [19, 19, true, 19, 1, 20]);
    assert.deepEqual(r.old.census.rangeUse, { held: 20, listeners: 1, usable: 20, share: 1 });
    // tcp_tw_reuse=0: every port held again, and connect() finds none.
    assert.deepEqual(row(r.off), [19, 19, false, 0, 20, 20]);
    assert.equal(r.off.connect, 'EADDRNOTAVAIL');
    // tcp_tw_reuse=2 covers 127.0.0.1: the census says reusable, and connect() takes one over.
    assert.deepEqual(row(r.loopback), [19, 19, true, 19, 1, 20]);
    assert.equal(r.loopback.connect, 'connected');
    assert.equal(r.recycled, 1, 'TcpExtTWRecycled: the kernel reused a TIME_WAIT');
  });
}
