/**
 * A real census: this file re-runs itself inside a fresh network namespace
 * (`unshare -n node <this file>` with TWSTORM_OBSERVE_NETNS_CHILD=1), makes sockets in known
 * states on 127.0.0.1 and ::1, reads them back with the observe module and with `ss`, and
 * prints JSON that the parent asserts on. The namespace dies with the child, taking its
 * sockets and TIME_WAIT entries along, so nothing leaks onto the host.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { censusTcpTable, forEachTcpSocket, type StateCounts, type TcpStateName } from '../../src/observe/tcp-table.js';
import { parseCounterTable, counterDeltas } from '../../src/observe/counters.js';
import { parseSockstat, parseSockstat6 } from '../../src/observe/sockstat.js';
import { readProcNet, readTcpTables } from '../../src/observe/procfs.js';
import { runNodeInNetns } from '../helpers/netns.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';
import { tcpSettled } from '../helpers/tcp-settled.js';

const CHILD_ENV = 'TWSTORM_OBSERVE_NETNS_CHILD';
const PORT4 = 7000;
const PORT6 = 7001;

/** Per family: client closes first, server closes first, half-closed by client, kept open. */
interface FamilyPlan {
  clientCloses: number;
  serverCloses: number;
  halfClosed: number;
  established: number;
}
const PLAN: { v4: FamilyPlan; v6: FamilyPlan } = {
  v4: { clientCloses: 3, serverCloses: 4, halfClosed: 2, established: 5 },
  v6: { clientCloses: 2, serverCloses: 1, halfClosed: 1, established: 3 },
} as const;

interface ChildReport {
  census: { client: StateCounts; server: StateCounts; total: StateCounts };
  census4: { client: StateCounts; server: StateCounts };
  census6: { client: StateCounts; server: StateCounts };
  ss: { client: StateCounts; server: StateCounts };
  ssTimeWait: { client: number; server: number };
  sockstat: { inuse: number; tw: number; inuse6: number };
  deltas: Record<string, number>;
  remotes: string[];
}

// ---------------------------------------------------------------- child (inside the netns)

type Mode = 'C' | 'S' | 'H' | 'E';

async function child(): Promise<void> {
  requireFreshNamespace('census-netns.test.js (child)');
  // Belt and braces: never outlive the parent's patience.
  setTimeout(() => process.exit(3), 20_000).unref();
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // tcp_rfc1337=1 (this namespace only): an RST drawn by a reordered late ACK on a busy
  // machine must not end a TIME_WAIT before it is counted (sock-diag-netns.test.ts has the trace).
  writeFileSync('/proc/sys/net/ipv4/tcp_rfc1337', '1');

  let serverCloses = 0;
  let serverEnds = 0;
  let serverData = 0;
  const listen = (host: string, port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      // allowHalfOpen so the server decides per connection whether to answer a FIN.
      const server = net.createServer({ allowHalfOpen: true }, (sock) => {
        let mode: Mode | undefined;
        sock.on('data', (d) => {
          mode ??= d.toString('latin1', 0, 1) as Mode;
          serverData++;
          if (mode === 'S') sock.end(); // server sends the first FIN → server TIME_WAIT
        });
        sock.on('end', () => {
          serverEnds++;
          if (mode !== 'H') sock.end(); // 'H' stays CLOSE_WAIT
        });
        sock.on('close', () => serverCloses++);
        sock.on('error', () => undefined);
      });
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  await listen('127.0.0.1', PORT4);
  await listen('::1', PORT6);

  const before = parseCounterTable((await readProcNet()).snmp);
  const open: net.Socket[] = [];
  const connect = (host: string, port: number, mode: Mode): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock = net.connect({ host, port }, () => {
        sock.write(mode);
        if (mode === 'C' || mode === 'H') sock.end(); // client sends the first FIN
        if (mode === 'E' || mode === 'H') {
          open.push(sock);
          resolve();
        }
      });
      sock.resume();
      sock.on('close', () => resolve());
      sock.on('error', reject);
    });

  let expectData = 0;
  let expectEnds = 0;
  let expectCloses = 0;
  for (const [host, port, p] of [
    ['127.0.0.1', PORT4, PLAN.v4],
    ['::1', PORT6, PLAN.v6],
  ] as const) {
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < p.clientCloses; i++) jobs.push(connect(host, port, 'C'));
    for (let i = 0; i < p.serverCloses; i++) jobs.push(connect(host, port, 'S'));
    for (let i = 0; i < p.halfClosed; i++) jobs.push(connect(host, port, 'H'));
    for (let i = 0; i < p.established; i++) jobs.push(connect(host, port, 'E'));
    await Promise.all(jobs);
    expectData += p.clientCloses + p.serverCloses + p.halfClosed + p.established;
    expectEnds += p.clientCloses + p.serverCloses + p.halfClosed;
    expectCloses += p.clientCloses + p.serverCloses;
  }
  // The server side finishes a moment after the client: wait until it has seen everything.
  const deadline = Date.now() + 5000;
  while (serverData < expectData || serverEnds < expectEnds || serverCloses < expectCloses) {
    if (Date.now() > deadline) throw new Error(`server saw data ${serverData} ends ${serverEnds} closes ${serverCloses}`);
    await sleep(5);
  }
  await tcpSettled(deadline); // the last ACKs on loopback

  const texts = await readProcNet();
  const tables = await readTcpTables();
  const ports = new Set([PORT4, PORT6]);
  const census = censusTcpTable(tables, ports);
  const c4 = censusTcpTable(tables.slice(0, 1), ports);
  const c6 = censusTcpTable(tables.slice(1, 2), ports);
  const remotes = new Set<string>();
  for (const t of tables) forEachTcpSocket(t, (r) => remotes.add(r.remoteAddressHex()));
  const sockstat = parseSockstat(texts.sockstat);

  const report: ChildReport = {
    census,
    census4: { client: c4.client, server: c4.server },
    census6: { client: c6.client, server: c6.server },
    ss: ssCensus(ports),
    ssTimeWait: ssTimeWait(ports),
    sockstat: { inuse: sockstat.inuse, tw: sockstat.tw, inuse6: parseSockstat6(texts.sockstat6).inuse },
    deltas: counterDeltas(before, parseCounterTable(texts.snmp + '\n' + texts.netstat)),
    remotes: [...remotes].sort(),
  };
  process.stdout.write(JSON.stringify(report) + '\n');
  for (const s of open) s.destroy();
  process.exit(0);
}

const SS_STATES: Record<string, TcpStateName> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}

/** `ss -tanH`: State Recv-Q Send-Q Local Peer. */
function ssCensus(serverPorts: ReadonlySet<number>): { client: StateCounts; server: StateCounts } {
  const out = { client: {} as StateCounts, server: {} as StateCounts };
  for (const line of execFileSync('ss', ['-tanH'], { encoding: 'utf8' }).split('\n')) {
    const f = line.trim().split(/\s+/);
    const state = SS_STATES[f[0] ?? ''];
    if (!state || f[3] === undefined) continue;
    const side = serverPorts.has(portOf(f[3])) ? out.server : out.client;
    side[state] = (side[state] ?? 0) + 1;
  }
  return out;
}

/** `ss -tan state time-wait`: the state column is dropped when filtering on one state. */
function ssTimeWait(serverPorts: ReadonlySet<number>): { client: number; server: number } {
  const out = { client: 0, server: 0 };
  for (const line of execFileSync('ss', ['-tanH', 'state', 'time-wait'], { encoding: 'utf8' }).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[2] === undefined) continue;
    if (serverPorts.has(portOf(f[2]))) out.server++;
    else out.client++;
  }
  return out;
}

// ---------------------------------------------------------------- parent (the test)

function runChild(): Promise<ChildReport> {
  return runNodeInNetns<ChildReport>(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CHILD_ENV]: '1' },
    timeoutMs: 30_000,
  });
}

function sum(...counts: number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

if (process.env[CHILD_ENV] === '1') {
  await child();
} else {
  test('census in a fresh namespace: exact counts per side, IPv4 and IPv6, matching ss', async (t) => {
    const r = await runChild();
    const { v4, v6 } = PLAN;
    const expectSide = (p: FamilyPlan) => ({
      client: { TIME_WAIT: p.clientCloses, FIN_WAIT2: p.halfClosed, ESTABLISHED: p.established },
      server: { LISTEN: 1, TIME_WAIT: p.serverCloses, CLOSE_WAIT: p.halfClosed, ESTABLISHED: p.established },
    });
    assert.deepEqual(r.census4, expectSide(v4));
    assert.deepEqual(r.census6, expectSide(v6));
    assert.deepEqual(r.census.client, {
      TIME_WAIT: v4.clientCloses + v6.clientCloses,
      FIN_WAIT2: v4.halfClosed + v6.halfClosed,
      ESTABLISHED: v4.established + v6.established,
    });
    assert.deepEqual(r.census.server, {
      LISTEN: 2,
      TIME_WAIT: v4.serverCloses + v6.serverCloses,
      CLOSE_WAIT: v4.halfClosed + v6.halfClosed,
      ESTABLISHED: v4.established + v6.established,
    });
    // ss reads the same namespace through sock_diag, a different kernel path.
    assert.deepEqual(r.ss, { client: r.census.client, server: r.census.server });
    assert.deepEqual(r.ssTimeWait, { client: r.census.client.TIME_WAIT, server: r.census.server.TIME_WAIT });

    // sockstat tw counts TIME_WAIT of both families (one death row per namespace); the
    // half-closed client is not orphaned (still open), so its FIN_WAIT2 is a full socket.
    const tw = sum(v4.clientCloses, v4.serverCloses, v6.clientCloses, v6.serverCloses);
    assert.equal(r.sockstat.tw, tw);
    // inuse counts hashed full sockets per family: listener + both ends of open/half-closed ones.
    assert.equal(r.sockstat.inuse, 1 + 2 * (v4.established + v4.halfClosed));
    assert.equal(r.sockstat.inuse6, 1 + 2 * (v6.established + v6.halfClosed));

    // Both families share one TCP MIB per namespace.
    const connections = sum(...Object.values(v4), ...Object.values(v6));
    assert.equal(r.deltas.TcpActiveOpens, connections);
    assert.equal(r.deltas.TcpPassiveOpens, connections);
    assert.equal(r.deltas.TcpAttemptFails, 0);
    t.diagnostic(`TcpExtTW delta with ${tw} live TIME_WAIT: ${r.deltas.TcpExtTW}`);

    // Remote addresses as the API hands them out: 127.0.0.1, ::1 and the wildcard of listeners.
    assert.deepEqual(r.remotes, [
      '00000000',
      '00000000000000000000000000000000',
      '00000000000000000000000001000000',
      '0100007F',
    ]);
  });
}
