/**
 * `twstorm states` against sockets this test makes in its own namespace: the file re-runs
 * itself under `unshare -n` (TWSTORM_STATES_NETNS_CHILD=1), sets a small port range with a
 * reserved block, opens connections to three destinations (two IPv4 addresses and ::1) that
 * end in known states, then reads them with the library and with the CLI. While the child
 * waits, the parent looks into the same namespace from outside with `--netns <pid>`.
 * The namespace, its sockets and its TIME_WAIT entries vanish when the child exits.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { STATE_NAMES, WATCH_COUNTERS, takeCensus, type StatesCensus } from '../../src/states/index.js';
import { spawnNodeInNetns } from '../helpers/netns.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';
import { tcpSettled } from '../helpers/tcp-settled.js';

const CHILD_ENV = 'TWSTORM_STATES_NETNS_CHILD';
const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));

/** Connections per destination and how they end. C: client closes first, S: server first, E: left open. */
const PLAN = [
  { host: '127.0.0.1', port: 7000, C: 5, S: 4, E: 2 },
  { host: '127.0.0.2', port: 7002, C: 3, S: 0, E: 0 },
  { host: '::1', port: 7001, C: 2, S: 0, E: 0 },
] as const;

interface ChildReport {
  pid: number;
  byRemote: StatesCensus;
  byRemotePort: StatesCensus;
  cliJson: StatesCensus;
  cliProcessEstablished: StatesCensus;
  cliProcessTimeWait: StatesCensus;
  cliText: string;
  watchLines: string[];
  watchJson: Array<StatesCensus & { rates?: { seconds: number; states: Record<string, number>; counters: Record<string, number> } }>;
}

// ---------------------------------------------------------------- child (inside the netns)

function cli(args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 15_000 });
}

async function child(): Promise<void> {
  requireFreshNamespace('states-netns.test.js (child)');
  setTimeout(() => process.exit(3), 40_000).unref();
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  // Only this namespace's settings: 100 ports, the first 10 reserved, no TIME_WAIT reuse.
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '40000 40099\n');
  writeFileSync('/proc/sys/net/ipv4/ip_local_reserved_ports', '40000-40009\n');
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '0\n');
  // tcp_rfc1337=1 (this namespace only): an RST drawn by a reordered late ACK on a busy
  // machine must not end a TIME_WAIT before it is counted (sock-diag-netns.test.ts has the trace).
  writeFileSync('/proc/sys/net/ipv4/tcp_rfc1337', '1');

  let serverDone = 0;
  const listen = (host: string, port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const server = net.createServer((sock) => {
        sock.once('data', (d) => {
          if (d.toString('latin1', 0, 1) === 'S') sock.end();
        });
        sock.on('close', () => serverDone++);
        sock.on('error', () => undefined);
      });
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  for (const d of PLAN) await listen(d.host, d.port);

  const open: net.Socket[] = [];
  const connect = (host: string, port: number, mode: 'C' | 'S' | 'E'): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock = net.connect({ host, port }, () => {
        sock.write(mode);
        if (mode === 'C') sock.end();
        if (mode === 'E') {
          open.push(sock);
          resolve();
        }
      });
      sock.resume();
      sock.on('close', () => resolve());
      sock.on('error', reject);
    });
  const jobs: Promise<void>[] = [];
  let closing = 0;
  for (const d of PLAN) {
    for (let i = 0; i < d.C; i++) jobs.push(connect(d.host, d.port, 'C'));
    for (let i = 0; i < d.S; i++) jobs.push(connect(d.host, d.port, 'S'));
    for (let i = 0; i < d.E; i++) jobs.push(connect(d.host, d.port, 'E'));
    closing += d.C + d.S;
  }
  await Promise.all(jobs);
  const deadline = Date.now() + 5000;
  while (serverDone < closing) {
    if (Date.now() > deadline) throw new Error(`server closed ${serverDone} of ${closing}`);
    await sleep(5);
  }
  await tcpSettled(deadline); // the last ACKs on loopback

  const report: ChildReport = {
    pid: process.pid,
    byRemote: await takeCensus({ by: 'remote' }),
    byRemotePort: await takeCensus({ by: 'remote-port', state: 'all' }),
    cliJson: JSON.parse(cli(['states', '--json', '--by', 'remote'])) as StatesCensus,
    cliProcessEstablished: JSON.parse(cli(['states', '--json', '--by', 'process', '--state', 'established'])) as StatesCensus,
    cliProcessTimeWait: JSON.parse(cli(['states', '--json', '--by', 'process'])) as StatesCensus,
    cliText: cli(['states', '--by', 'remote']),
    watchLines: cli(['states', '--watch', '100ms', '--count', '2']).trim().split('\n'),
    watchJson: cli(['states', '--watch', '100ms', '--count', '3', '--json'])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ChildReport['watchJson'][number]),
  };
  process.stdout.write(JSON.stringify(report) + '\n');
  // Keep the namespace (and its sockets) alive until the parent has looked in from outside.
  await new Promise<void>((resolve) => {
    process.stdin.on('data', () => undefined);
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  for (const s of open) s.destroy();
  process.exit(0);
}

/** The `State:` line of /proc/PID/status ("" once it is gone): "Z (zombie)" while unreaped. */
function procState(pid: number): string {
  try {
    return /^State:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- parent (the test)

if (process.env[CHILD_ENV] === '1') {
  await child();
} else {
  test('states in a namespace of its own: exact counts, grouping, destinations, IPv6, JSON, watch, --netns', async (t) => {
    const { child: proc, done } = spawnNodeInNetns(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, [CHILD_ENV]: '1' },
      stdin: true,
      timeoutMs: 60_000,
    });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = done.then((exit) => exit.code);
    t.after(() => {
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGKILL');
    });

    const reportLine = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no report from the namespace child; stderr: ${stderr}`)), 45_000);
      const poll = setInterval(() => {
        const nl = stdout.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(stdout.slice(0, nl));
        }
      }, 20);
      void exited.then((code) => {
        clearTimeout(timer);
        clearInterval(poll);
        if (stdout.indexOf('\n') < 0) reject(new Error(`namespace child exited ${code}; stderr: ${stderr}`));
      });
    });
    const r = JSON.parse(reportLine) as ChildReport;

    // Look in from outside, while the sockets are there.
    const outside = spawnSync(process.execPath, [BIN, 'states', '--json', '--netns', String(r.pid)], { encoding: 'utf8', timeout: 15_000 });
    const outsideText = spawnSync(process.execPath, [BIN, 'states', '--netns', String(r.pid)], { encoding: 'utf8', timeout: 15_000 });
    const missingName = spawnSync(process.execPath, [BIN, 'states', '--netns', 'twstorm-no-such-namespace'], { encoding: 'utf8', timeout: 15_000 });
    const missingPid = spawnSync(process.execPath, [BIN, 'states', '--netns', '999999999'], { encoding: 'utf8', timeout: 15_000 });
    const badState = spawnSync(process.execPath, [BIN, 'states', '--state', 'TIME_WIAT'], { encoding: 'utf8', timeout: 15_000 });
    proc.stdin!.end();
    assert.equal(await exited, 0, `child failed: ${stderr}`);

    // Exact counts per state, per family and per side.
    const s = r.byRemote;
    const nonZero = (rec: Record<string, number>): Record<string, number> =>
      Object.fromEntries(Object.entries(rec).filter(([, n]) => n > 0));
    assert.deepEqual(nonZero(s.states), { ESTABLISHED: 4, TIME_WAIT: 14, LISTEN: 3 });
    assert.deepEqual(nonZero(s.ipv4), { ESTABLISHED: 4, TIME_WAIT: 12, LISTEN: 2 });
    assert.deepEqual(nonZero(s.ipv6), { TIME_WAIT: 2, LISTEN: 1 });
    assert.deepEqual(s.side, { client: { ESTABLISHED: 2, TIME_WAIT: 10 }, server: { ESTABLISHED: 2, TIME_WAIT: 4, LISTEN: 3 } });
    assert.equal(s.total, 21);
    assert.deepEqual(s.listeningPorts, [7000, 7001, 7002]);
    assert.equal(s.sockstatTw, 14);

    // TIME_WAIT by remote: the server-side TIME_WAIT of 127.0.0.1:7000 points back at the client, 127.0.0.1.
    assert.deepEqual(s.group, {
      by: 'remote',
      state: 'TIME_WAIT',
      rows: [
        { key: '127.0.0.1', count: 9 },
        { key: '127.0.0.2', count: 3 },
        { key: '::1', count: 2 },
      ],
      others: 0,
      groups: 3,
      matched: 14,
    });
    // Every state by remote port: clients point at the three server ports, listeners at 0,
    // and the six server-side sockets at six distinct client ports.
    assert.deepEqual(r.byRemotePort.group?.rows.slice(0, 4), [
      { key: '7000', count: 7 },
      { key: '0', count: 3 },
      { key: '7002', count: 3 },
      { key: '7001', count: 2 },
    ]);
    assert.equal(r.byRemotePort.group?.groups, 10);
    assert.equal(r.byRemotePort.group?.matched, 21);

    // Ports per destination against the usable range: 100 ports, 10 reserved.
    assert.deepEqual(s.portRange, { low: 40000, high: 40099, size: 100, reserved: 10, usable: 90 });
    assert.equal(s.destinationCount, 3);
    assert.deepEqual(
      s.destinations.map((d) => [d.destination, d.inUse, d.inRange, d.timeWait, d.usable]),
      [
        ['127.0.0.1:7000', 7, 7, 5, 90],
        ['127.0.0.2:7002', 3, 3, 3, 90],
        ['[::1]:7001', 2, 2, 2, 90],
      ],
    );
    assert.ok(Math.abs((s.destinations[0]?.share ?? 0) - 7 / 90) < 1e-9);

    // The CLI's JSON: same numbers, fixed shape.
    const j = r.cliJson;
    assert.deepEqual(Object.keys(j).sort(), [
      'at', 'counters', 'destinationCount', 'destinations', 'group', 'ipv4', 'ipv6', 'listeningPorts', 'portRange',
      'rangeUse', 'schema', 'side', 'sockstatTw', 'states', 'tookMs', 'total', 'twReuse',
    ]);
    assert.equal(j.schema, 'twstorm/states@1');
    assert.deepEqual(Object.keys(j.states), [...STATE_NAMES]);
    assert.deepEqual(Object.keys(j.counters), [...WATCH_COUNTERS]);
    assert.deepEqual(j.states, s.states);
    assert.deepEqual(j.group, s.group);
    assert.deepEqual(j.destinations, s.destinations);
    assert.equal(j.counters['TcpActiveOpens'], 16, 'connections opened in the namespace');

    // Ownership: open connections belong to the child; TIME_WAIT belongs to nobody, except
    // that server-side ones are attributed to the listener's process.
    assert.deepEqual(r.cliProcessEstablished.group?.rows, [{ key: `${r.pid}/node`, count: 4 }]);
    assert.deepEqual(r.cliProcessTimeWait.group?.rows, [
      { key: '(no process: kernel-held after close)', count: 10 },
      { key: `${r.pid}/node (listener on :7000)`, count: 4 },
    ]);

    // Text: a line per state and the destination table.
    assert.match(r.cliText, /^\s+TIME_WAIT\s+14\s+10\s+4\s+12\s+2$/m);
    assert.match(r.cliText, /^\s+127\.0\.0\.1:7000\s+7\s+5\s+7\.78% of 90/m);

    // --watch piped: one plain line per refresh; --json: one document per line, rates from the second.
    assert.equal(r.watchLines.length, 2);
    assert.match(r.watchLines[0]!, /total=21 ESTABLISHED=4 TIME_WAIT=14 LISTEN=3/);
    assert.match(r.watchLines[1]!, /TIME_WAIT=14\(0\/s\).*\| TWRecycled=0\/s/);
    assert.equal(r.watchJson.length, 3);
    assert.equal(r.watchJson[0]!.rates, undefined);
    assert.ok((r.watchJson[1]!.rates?.seconds ?? 0) > 0.05);
    assert.equal(r.watchJson[2]!.rates?.states['TIME_WAIT'], 0);
    assert.equal(r.watchJson[2]!.rates?.counters['TcpExtTCPTimeWaitOverflow'], 0);

    // From outside with --netns PID: the same namespace, the same counts.
    assert.equal(outside.status, 0, outside.stderr);
    const o = JSON.parse(outside.stdout) as StatesCensus;
    assert.deepEqual(o.states, s.states);
    assert.deepEqual(o.portRange, s.portRange);
    // The title names the namespace looked into, not "this" one (the child keeps --netns).
    assert.equal(outsideText.status, 0, outsideText.stderr);
    assert.match(outsideText.stdout, new RegExp(`^TCP sockets in network namespace ${r.pid}: 21 \\(IPv4 18, IPv6 3\\)`));

    // A --netns that names nothing is a bad argument (exit 2), as the README says.
    assert.equal(missingName.status, 2);
    assert.match(missingName.stderr, /no network namespace named "twstorm-no-such-namespace".*ip netns list/);
    assert.equal(missingPid.status, 2);
    assert.match(missingPid.stderr, /no process 999999999/);
    assert.equal(badState.status, 2);
    assert.match(badState.stderr, /--state TIME_WIAT: expected one of/);
  });

  test('states --watch stopped by a signal that arrives twice still ends as a stop: exit 0, no "interrupted"', async () => {
    // What a Ctrl-C does to `states --watch --netns`: the process inside gets the terminal's
    // SIGINT and the copy its parent passes on, and `timeout` or systemd signal the whole group.
    // Sent here to one plain watch: a SIGTERM, then SIGINTs every 2 ms until it has gone, so some
    // land while the first is handled and as the process ends, whatever the machine's pace.
    const watch = spawn(process.execPath, [BIN, 'states', '--watch', '100ms', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    watch.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    watch.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => watch.once('close', (code, signal) => resolve([code, signal])));
    try {
      for (const deadline = Date.now() + 15_000; !stdout.includes('\n') && Date.now() < deadline; ) await sleep(20);
      assert.ok(stdout.includes('\n'), `no watch output; stderr: ${stderr}`);
      watch.kill('SIGTERM');
      const again = setInterval(() => watch.kill('SIGINT'), 2);
      const ended = await exited.finally(() => clearInterval(again));
      assert.deepEqual(ended, [0, null], stderr);
      assert.doesNotMatch(stderr, /interrupted/);
      // Every line written is whole: the watch ended between documents.
      for (const line of stdout.trimEnd().split('\n')) assert.equal((JSON.parse(line) as StatesCensus).schema, 'twstorm/states@1');
    } finally {
      if (watch.exitCode === null && watch.signalCode === null) watch.kill('SIGKILL');
    }
  });

  test('states --watch --netns PID ends when that process does, instead of keeping its namespace alive', async () => {
    // A namespace whose only process is a sleep (unshare execs it: its PID is the owner's).
    const owner = spawn('unshare', ['-n', 'sleep', '30'], { stdio: 'ignore' });
    const watch = spawn(process.execPath, [BIN, 'states', '--watch', '100ms', '--json', '--netns', String(owner.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    watch.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    watch.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => watch.once('close', (code) => resolve(code)));
    try {
      // Watching: a first document is out.
      for (const deadline = Date.now() + 15_000; !stdout.includes('\n') && Date.now() < deadline; ) await sleep(20);
      assert.ok(stdout.includes('\n'), `no watch output; stderr: ${stderr}`);
      owner.kill('SIGKILL');
      const ended = await Promise.race([exited, sleep(10_000).then(() => 'still watching')]);
      assert.equal(ended, 0, stderr);
      assert.match(stderr, new RegExp(`^twstorm: process ${owner.pid} \\(--netns\\) has exited or left the namespace: the watch ends here, so as not to keep its network namespace alive$`, 'm'));
    } finally {
      if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
      if (watch.exitCode === null && watch.signalCode === null) watch.kill('SIGKILL');
    }
  });

  test('states --watch --netns PID ends when that process exits, even while it is a zombie nobody reaps', async () => {
    // The namespace's only process is a sleep whose parent (a shell that exec'd another sleep)
    // never calls wait(): once killed, it stays in /proc as a zombie, but its namespace is gone.
    const holder = spawn('sh', ['-c', 'unshare -n sleep 30 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let holderOut = '';
    holder.stdout.setEncoding('utf8').on('data', (d: string) => (holderOut += d));
    let watch: ReturnType<typeof spawn> | undefined;
    try {
      for (const deadline = Date.now() + 15_000; !holderOut.includes('\n') && Date.now() < deadline; ) await sleep(20);
      const owner = Number(holderOut.trim());
      assert.ok(Number.isInteger(owner) && owner > 0, `no owner PID: ${holderOut}`);
      watch = spawn(process.execPath, [BIN, 'states', '--watch', '100ms', '--json', '--netns', String(owner)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      watch.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      watch.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => watch!.once('close', (code) => resolve(code)));
      for (const deadline = Date.now() + 15_000; !stdout.includes('\n') && Date.now() < deadline; ) await sleep(20);
      assert.ok(stdout.includes('\n'), `no watch output; stderr: ${stderr}`);
      process.kill(owner, 'SIGKILL');
      // Still in /proc, as a zombie: what the watch used to take for a live process.
      for (const deadline = Date.now() + 5_000; !/^Z/m.test(procState(owner)) && Date.now() < deadline; ) await sleep(20);
      assert.match(procState(owner), /^Z/m, 'the owner is a zombie');
      const ended = await Promise.race([exited, sleep(10_000).then(() => 'still watching')]);
      assert.equal(ended, 0, stderr);
      assert.match(stderr, new RegExp(`^twstorm: process ${owner} \\(--netns\\) has exited or left the namespace: the watch ends here`, 'm'));
      // Named as the zombie it is, not as "no process": its /proc entry is still there.
      const again = spawnSync(process.execPath, [BIN, 'states', '--netns', String(owner)], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(again.status, 2, again.stderr);
      assert.match(again.stderr, new RegExp(`^twstorm: --netns ${owner}: process ${owner} has exited \\(a zombie its parent has not reaped\\)`));
    } finally {
      if (watch !== undefined && watch.exitCode === null && watch.signalCode === null) watch.kill('SIGKILL');
      // The zombie's parent: its end hands the zombie to init, which reaps it.
      holder.kill('SIGKILL');
    }
  });

  test('states --netns NAME whose file under /run/netns is no namespace any more: a bad argument, exit 2, one line', () => {
    // What an `ip netns add` that failed half-way, or a lost bind mount, leaves: an empty file.
    // In a mount namespace of this test's own, on a tmpfs over /run, as the test below.
    const script = ['set -e', 'mount -t tmpfs twstorm-test /run', 'mkdir /run/netns', ': > /run/netns/twstorm-stale', 'exec "$0" "$1" states --netns twstorm-stale'].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, process.execPath, BIN], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^twstorm: --netns twstorm-stale: \/run\/netns\/twstorm-stale is not a namespace \(a name left behind[^\n]*"ip netns del twstorm-stale" removes it[^\n]*\n$/);
  });

  test('states --watch --netns NAME ends when `ip netns del` deletes the name', () => {
    // `ip netns add` pins the name under /run/netns: here in a mount namespace of this test's
    // own, on a tmpfs over /run, so nothing of it reaches the host's /run even if the test is
    // killed (the namespace and its mounts go with the shell). --count bounds the watch.
    const script = [
      'set -e',
      'mount -t tmpfs twstorm-test /run',
      'ip netns add twstorm-watch',
      '"$0" "$1" states --watch 100ms --count 300 --json --netns twstorm-watch > /run/out 2> /run/err &',
      'w=$!',
      'for i in $(seq 150); do [ -s /run/out ] && break; sleep 0.1; done',
      '[ -s /run/out ] || { echo "no watch output: $(cat /run/err)"; kill -9 $w; exit 8; }',
      'ip netns del twstorm-watch',
      'for i in $(seq 100); do kill -0 $w 2>/dev/null || break; sleep 0.1; done',
      'if kill -0 $w 2>/dev/null; then kill -9 $w; echo "still watching"; exit 9; fi',
      'set +e; wait $w; echo "exit $?"; cat /run/err',
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, process.execPath, BIN], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^exit 0\n/, r.stdout);
    assert.match(r.stdout, /^twstorm: network namespace "twstorm-watch" \(--netns\) was deleted: the watch ends here, so as not to keep it alive$/m);
  });
}
