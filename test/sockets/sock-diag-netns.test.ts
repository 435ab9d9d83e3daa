/**
 * The netlink sock_diag reader against /proc/net/tcp{,6} and `ss` on the same namespace: this
 * file re-runs itself inside a fresh network namespace, leaves a few thousand sockets in known
 * states on 127.0.0.1 and ::1 (client TIME_WAIT, server TIME_WAIT, ESTABLISHED pairs,
 * FIN_WAIT2/CLOSE_WAIT pairs, listeners), then lists them three ways. Every socket must appear
 * in both tables with the same endpoints and state, and the per-state counts must equal ss's.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSockDiag } from '../../src/sockets/sock-diag.js';
import { TCP_STATES } from '../../src/sockets/constants.js';
import { takeTcpCensus } from '../../src/observe/tcp-source.js';
import { censusTcpTable, type TcpCensus } from '../../src/observe/tcp-table.js';
import { readTcpTables } from '../../src/observe/procfs.js';
import { runNodeInNetns } from '../helpers/netns.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';
import { tcpSettled } from '../helpers/tcp-settled.js';

const CHILD_ENV = 'TWSTORM_SOCK_DIAG_NETNS_CHILD';
// Each client socket binds a port of its own (firstClientPort onwards), never one used before in
// the run, so the count of each state cannot depend on the kernel's choice of port. Left to
// connect(), a port comes from a walk that starts at a counter shared by every namespace of the
// host (table_perturb, net/ipv4/inet_hashtables.c: hashed from source, destination and
// destination port, never the namespace) and moves on 2 to 16 ports a connect. A walk pushed
// round the range (by concurrent tests loading 127.0.0.1:7000, or by its own 3,290 connects) can
// reach a port whose connection the server closed first, and that SYN takes over the server's
// TIME_WAIT for the 4-tuple (tcp_timewait_state_process accepts a SYN with a higher sequence,
// RFC 1122 §4.2.2.13).
// Seen once in a full suite under perf: 2,752 of the 2,800 IPv4 TIME_WAITs, every other count
// exact (not reproduced since, beside two loops hammering 127.0.0.1:7000).
const PLAN = {
  v4: { port: 7000, host: '127.0.0.1', firstClientPort: 20000, clientCloses: 2500, serverCloses: 300, halfClosed: 40, established: 400 },
  v6: { port: 7001, host: '::1', firstClientPort: 30000, clientCloses: 600, serverCloses: 50, halfClosed: 10, established: 100 },
} as const;

interface ChildReport {
  checks: string[];
  /** "family state local remote" lines, sorted, from each source. */
  diag: string[];
  proc: string[];
  /** Per family and state code: counts from each source. */
  diagCounts: Record<string, number>;
  ssCounts: Record<string, number>;
  /** TIME_WAIT only, asked of the kernel with a one-bit state mask. */
  diagTimeWait: number;
  /** The same lines and TIME_WAIT count from one dump of both families. */
  both: string[];
  bothTimeWait: number;
  /** The sampler's census from each source. */
  censusDiag: TcpCensus & { origin: string };
  censusProc: TcpCensus;
}

type Mode = 'C' | 'S' | 'H' | 'E';

async function child(): Promise<void> {
  requireFreshNamespace('sock-diag-netns.test.js (child)');
  setTimeout(() => process.exit(3), 90_000).unref();
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // This namespace's own setting (the test made it): the default tcp_tw_reuse=2 lets loopback
  // connects take over a client TIME_WAIT port once it is a second old, so on a slow machine
  // some TIME_WAITs vanished before they were counted.
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0');
  // And tcp_rfc1337=1, so an RST cannot end a TIME_WAIT before it is counted. On a busy machine
  // the server (the passive closer) can be slow to close after the client's FIN: its delayed ACK
  // of that FIN then goes out after its own FIN; the client, already in TIME_WAIT, answers it
  // with a duplicate ACK; the server, closed by then, answers that with an RST; and with the
  // default tcp_rfc1337=0 the RST kills the TIME_WAIT (RFC 1337's TIME-WAIT assassination,
  // tcp_timewait_state_process). Seen with tcpdump in this test's exchange: beside two busy
  // loops the test lost 1-2 TIME_WAITs in 3 of 16 runs, one TcpOutRsts each; with 1, 15 of 15
  // passed.
  writeFileSync('/proc/sys/net/ipv4/tcp_rfc1337', '1');
  let serverCloses = 0;
  let serverEnds = 0;
  const held: net.Socket[] = [];
  for (const p of [PLAN.v4, PLAN.v6]) {
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true }, (sock) => {
        let mode: Mode | undefined;
        held.push(sock);
        sock.on('data', (d) => {
          mode ??= d.toString('latin1', 0, 1) as Mode;
          if (mode === 'S') sock.end(); // server's FIN first → server TIME_WAIT
        });
        sock.on('end', () => {
          serverEnds++;
          if (mode !== 'H') sock.end(); // 'H' stays in CLOSE_WAIT
        });
        sock.on('close', () => serverCloses++);
        sock.on('error', () => undefined);
      });
      server.once('error', reject);
      server.listen(p.port, p.host, () => resolve());
    });
  }
  const connect = (host: string, port: number, localPort: number, mode: Mode): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock = net.connect({ host, port, localAddress: host, localPort }, () => {
        sock.write(mode);
        if (mode === 'C' || mode === 'H') sock.end();
        if (mode === 'E' || mode === 'H') {
          held.push(sock);
          resolve();
        }
      });
      sock.resume();
      sock.on('close', () => resolve());
      sock.on('error', reject);
    });
  let expectEnds = 0;
  let expectCloses = 0;
  for (const p of [PLAN.v4, PLAN.v6]) {
    let localPort = p.firstClientPort;
    const jobs: Array<[Mode, number]> = [
      ['C', p.clientCloses],
      ['S', p.serverCloses],
      ['H', p.halfClosed],
      ['E', p.established],
    ];
    for (const [mode, count] of jobs) {
      for (let i = 0; i < count; i += 200) {
        await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => connect(p.host, p.port, localPort++, mode)));
      }
    }
    expectEnds += p.clientCloses + p.serverCloses + p.halfClosed;
    expectCloses += p.clientCloses + p.serverCloses;
  }
  const deadline = Date.now() + 20_000;
  while (serverEnds < expectEnds || serverCloses < expectCloses) {
    if (Date.now() > deadline) throw new Error(`server saw ends ${serverEnds} closes ${serverCloses}`);
    await sleep(10);
  }
  await tcpSettled(deadline); // the last ACKs on loopback, so all three readers see final states

  const loaded = loadSockDiag();
  if (!loaded.ok) throw new Error(loaded.reason);
  const diag: string[] = [];
  const diagCounts: Record<string, number> = {};
  for (const family of [4, 6] as const) {
    loaded.reader.dump(family, (row) => {
      diag.push(`${family} ${row.state} ${row.endpointsKey()}`);
      const key = `${family}/${row.state}`;
      diagCounts[key] = (diagCounts[key] ?? 0) + 1;
    });
  }
  let diagTimeWait = 0;
  loaded.reader.dump(4, () => diagTimeWait++, 1 << 6);
  loaded.reader.dump(6, () => diagTimeWait++, 1 << 6);
  // Both families in one walk (the legacy request the kernel answers for every family).
  const both: string[] = [];
  loaded.reader.dump('both', (row) => both.push(`${row.family} ${row.state} ${row.endpointsKey()}`));
  let bothTimeWait = 0;
  loaded.reader.dump('both', () => bothTimeWait++, 1 << 6);

  const proc: string[] = [];
  for (const [family, file] of [
    [4, '/proc/net/tcp'],
    [6, '/proc/net/tcp6'],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4) continue;
      proc.push(`${family} ${parseInt(f[3]!, 16)} ${f[1]} ${f[2]}`);
    }
  }

  const ssCounts: Record<string, number> = {};
  const SS: Record<string, string> = Object.fromEntries(
    Object.entries(TCP_STATES).map(([code, name]) => [name.replace(/_/g, '-').replace('WAIT1', 'WAIT-1').replace('WAIT2', 'WAIT-2'), code]),
  );
  SS['ESTAB'] = '1';
  for (const family of [4, 6] as const) {
    for (const line of execFileSync('ss', [`-tanH${family}`], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n')) {
      const state = line.trim().split(/\s+/)[0];
      if (!state) continue;
      const code = SS[state];
      if (code === undefined) throw new Error(`ss state ${state} not mapped`);
      const key = `${family}/${code}`;
      ssCounts[key] = (ssCounts[key] ?? 0) + 1;
    }
  }
  const serverPorts = new Set([PLAN.v4.port, PLAN.v6.port]);
  const censusDiag = await takeTcpCensus(serverPorts);
  const censusProc = censusTcpTable(await readTcpTables(), serverPorts);
  const report: ChildReport = { checks: loaded.checks, diag: diag.sort(), proc: proc.sort(), diagCounts, ssCounts, diagTimeWait, both: both.sort(), bothTimeWait, censusDiag, censusProc };
  // A large report: exit only once the pipe has taken all of it.
  process.stdout.write(`${JSON.stringify(report)}\n`, () => {
    for (const s of held) s.destroy();
    process.exit(0);
  });
}

if (process.env[CHILD_ENV] === '1') {
  await child();
} else {
  test('sock_diag lists exactly the sockets /proc/net/tcp{,6} and ss list, IPv4 and IPv6', async () => {
    const r = await runNodeInNetns<ChildReport>(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, [CHILD_ENV]: '1' },
      timeoutMs: 120_000,
    });
    assert.equal(r.checks.length, 1, 'the self-check against /proc ran');
    const { v4, v6 } = PLAN;
    // Known states: every socket the child made, on each side.
    const expect = (fam: 4 | 6, p: (typeof PLAN)['v4' | 'v6']) => ({
      [`${fam}/1`]: 2 * p.established,
      [`${fam}/5`]: p.halfClosed,
      [`${fam}/8`]: p.halfClosed,
      [`${fam}/6`]: p.clientCloses + p.serverCloses,
      [`${fam}/10`]: 1,
    });
    assert.deepEqual(r.diagCounts, { ...expect(4, v4), ...expect(6, v6) });
    assert.deepEqual(r.ssCounts, r.diagCounts);
    assert.equal(r.diag.length, r.proc.length);
    assert.deepEqual(r.diag, r.proc, 'same endpoints and states as /proc prints them');
    assert.equal(r.diagTimeWait, v4.clientCloses + v4.serverCloses + v6.clientCloses + v6.serverCloses, 'a one-state mask');
    assert.deepEqual(r.both, r.diag, 'one dump of both families lists what the two per-family dumps list');
    assert.equal(r.bothTimeWait, r.diagTimeWait, 'a one-state mask in one dump of both families');
    const { origin, ...census } = r.censusDiag;
    assert.equal(origin, 'sock_diag');
    assert.deepEqual(census, r.censusProc, "the sampler's census is the same from either source");
    assert.equal(census.client.TIME_WAIT, v4.clientCloses + v6.clientCloses);
    assert.equal(census.server.TIME_WAIT, v4.serverCloses + v6.serverCloses);
  });
}
