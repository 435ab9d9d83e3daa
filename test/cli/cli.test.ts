// The CLI as a user meets it: real processes, real namespaces, exit codes, Ctrl-C.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunResult } from '../../src/result/model.js';
import { activeOpens, findInTree, killAllStarted, processTree, servePort, stillRunning, twstorm, waitFor, type ProcessId } from '../helpers/cli.js';

/**
 * Starts a run that would go on for a minute, in its own process group (detached), so a test
 * can signal the whole group as a terminal's Ctrl-C does; once the run says its load started
 * (its whole process tree is up) it calls `signal`, then checks every process of that tree ended.
 */
async function interruptLongRun(
  outName: string,
  sets: string[],
  signal: (pgid: number) => void,
): Promise<{ pgid: number; code: number | null; stderr: string; results: RunResult[]; exitAfterSignalMs: number; survivors: ProcessId[] }> {
  const out = path.join(dir, outName);
  const overrides = ['connections=1000000', 'duration=60s', 'rate=300', ...sets].flatMap((s) => ['--set', s]);
  const run = twstorm(['run', 'client-closes-first', '--out', out, ...overrides], { detached: true });
  const pgid = run.child.pid!;
  await run.stderrLine(/load started/);
  const tree = processTree(pgid);
  // Interrupted with something measured: once 110 connections were opened in the run's
  // namespace, so the tests' "more than 100" holds however few the signal lets through after.
  // (At 100, polled every 50 ms at 300/s, exactly 100 was seen about 1 time in 15.)
  const runProcess = findInTree(pgid, /__inside/)!.pid;
  await waitFor(() => activeOpens(runProcess) >= 110, 30_000, '110 connections in the run\'s namespace');
  const sent = Date.now();
  signal(pgid);
  const { code, stderr } = await run.exit;
  const exitAfterSignalMs = Date.now() - sent;
  await waitFor(() => stillRunning(tree).length === 0, 5000, 'the run\'s processes to end').catch(() => undefined);
  const files = (await readdir(out)).filter((f) => f.endsWith('.json'));
  const results = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(out, f), 'utf8')) as RunResult));
  return { pgid, code, stderr, results, exitAfterSignalMs, survivors: stillRunning(tree) };
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-cli-'));
});
after(async () => {
  killAllStarted();
  await rm(dir, { recursive: true, force: true });
});

describe('twstorm CLI', () => {
  it('list prints every bundled scenario on one line', async () => {
    const { exit } = twstorm(['list']);
    const { code, stdout } = await exit;
    assert.equal(code, 0);
    for (const name of [
      'client-closes-first', 'server-closes-first', 'simultaneous-close', 'rst-close', 'port-exhaustion', 'tw-reuse',
      'close-matrix', 'http-keepalive', 'http-connection-close', 'http-client-reset', 'http-agent-per-request',
    ]) {
      assert.match(stdout, new RegExp(`^${name}\\s+\\S`, 'm'));
    }
  });

  it('refuses a bad scenario with one line per problem, exit 2, and runs nothing', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nconnections: -5\nclose: { first: clinet }\n');
    const out = path.join(dir, 'bad-out');
    const { code, stderr } = await twstorm(['run', file, '--out', out]).exit;
    assert.equal(code, 2);
    assert.match(stderr, /connections: .*integer/);
    assert.match(stderr, /close\.first: expected one of client, server, both, got "clinet"/);
    assert.equal(stderr.trim().split('\n').length, 2, stderr);
    await assert.rejects(readdir(out), { code: 'ENOENT' });
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const { code, stderr } = await twstorm(['explode']).exit;
    assert.equal(code, 2);
    assert.match(stderr, /Unknown argument|Unknown command/i);
  });

  it('run writes a result JSON in a namespace and prints the summary', async () => {
    const out = path.join(dir, 'run-out');
    const { code, stdout, stderr } = await twstorm([
      'run', 'client-closes-first', '--out', out,
      '--set', 'connections=300', '--set', 'tail=200ms', '--isolation', 'netns',
    ]).exit;
    assert.equal(code, 0, stderr);
    const files = (await readdir(out)).sort();
    assert.equal(files.length, 2, `files: ${files.join(', ')}`);
    assert.match(files[0]!, /^client-closes-first-\d{8}T\d{6}Z\.html$/);
    assert.equal(files[1], files[0]!.replace(/\.html$/, '.json'), 'the HTML report sits beside its result');
    files.reverse();
    assert.match(stdout, new RegExp(`HTML report: ${path.join(out, files[1]!).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const result = JSON.parse(await readFile(path.join(out, files[0]!), 'utf8')) as RunResult;
    assert.equal(result.schema, 'twstorm/result@1');
    assert.equal(result.interrupted, false);
    assert.equal(result.environment.isolation, 'netns');
    assert.equal(result.scenario.connections, 300);
    assert.equal(result.summary.connections.established, 300);
    assert.match(stdout, /TIME_WAIT\s+peak 300 \(client 300, server 0\)/);
    assert.match(stdout, /The client closed first; 300 sockets sat in TIME_WAIT on the client/);
    assert.ok(stdout.includes(path.join(out, files[0]!)), 'prints the result path');
  });

  it('thresholds gate the run: exit 3 when one fails, 0 when all pass, 0 with --no-thresholds', async () => {
    const file = path.join(dir, 'gated.yaml');
    await writeFile(
      file,
      [
        'name: gated',
        'connections: 200',
        'tail: 100ms',
        // tcp_rfc1337=1: the gate below needs all 200 TIME_WAITs, which a busy machine's late
        // ACK and the RST it draws could cut short (test/helpers/exact-counts.ts says how).
        'environment: { isolation: netns, sysctls: { net.ipv4.tcp_rfc1337: 1 } }',
        'thresholds:',
        '  summary.connections.established: "== 200"',
        '  summary.errors.EADDRNOTAVAIL: "== 0"',
        '  summary.timeWait.peakClient: "<= 199"',
      ].join('\n'),
    );
    const out = path.join(dir, 'gated-out');
    const failing = await twstorm(['run', file, '--out', out]).exit;
    assert.equal(failing.code, 3, failing.stderr);
    assert.match(failing.stdout, /FAIL\s+summary\.timeWait\.peakClient <= 199\s+measured 200/);
    assert.match(failing.stdout, /PASS\s+summary\.connections\.established == 200/);
    assert.equal((await readdir(out)).filter((f) => f.endsWith('.json')).length, 1, 'the result is written anyway');

    const passing = await twstorm(['run', file, '--out', out, '--set', 'thresholds.summary.timeWait.peakClient=<= 200']).exit;
    assert.equal(passing.code, 0, passing.stdout + passing.stderr);
    assert.match(passing.stdout, /all 3 passed/);

    const ungated = await twstorm(['run', file, '--out', out, '--no-thresholds']).exit;
    assert.equal(ungated.code, 0);
    assert.match(ungated.stdout, /FAIL\s+summary\.timeWait\.peakClient/);
  });

  it('an unknown threshold figure is refused before anything runs (exit 2)', async () => {
    const file = path.join(dir, 'typo.yaml');
    await writeFile(file, 'name: typo\nthresholds:\n  summary.timeWait.peek: "< 5"\n');
    const out = path.join(dir, 'typo-out');
    const { code, stderr } = await twstorm(['run', file, '--out', out]).exit;
    assert.equal(code, 2);
    assert.match(stderr, /summary\.timeWait\.peek: unknown figure "peek" under summary\.timeWait; did you mean peak\? \(known: peak, peakClient/);
    await assert.rejects(readdir(out), { code: 'ENOENT' });
  });

  it('refuses to start when the open-file limit cannot carry the concurrency (pre-flight)', async () => {
    const out = path.join(dir, 'nofile-out');
    const { code, stderr } = await twstorm(['run', 'client-closes-first', '--out', out], { prefix: ['prlimit', '--nofile=150:150'] }).exit;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^twstorm: not started: open-file limit: 150 \(hard 150\), but client-closes-first needs 164.*; raise ulimit -n/m);
    assert.equal(stderr.trim().split('\n').filter((l) => /not started|FAIL/.test(l)).length, 1, stderr);
    assert.doesNotMatch(stderr, /load started/);
    assert.equal(existsSync(out), false, 'a refused run leaves no empty --out directory');
  });

  it('Ctrl-C stops the load, writes the partial result, exits 130 and leaves no process behind', async () => {
    const run = await interruptLongRun('int-out', [], (pgid) => process.kill(-pgid, 'SIGINT'));
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.results.length, 1, `results: ${run.results.length}`);
    const result = run.results[0]!;
    assert.equal(result.interrupted, true);
    assert.equal(result.stoppedBy, 'interrupted');
    assert.ok(result.summary.connections.established > 100, `established ${result.summary.connections.established}`);
    assert.ok(result.summary.connections.attempted < 1_000_000);
    assert.deepEqual(run.survivors, []);
  });

  it('a SIGTERM to the outer process alone is passed on: partial result, exit 130', async () => {
    const run = await interruptLongRun('term-out', [], (pgid) => process.kill(pgid, 'SIGTERM'));
    assert.equal(run.code, 130, run.stderr);
    assert.equal(run.results[0]?.interrupted, true);
    assert.deepEqual(run.survivors, []);
  });

  it('a SIGTERM to the whole process group (timeout, CI cancel) still writes the partial result', async () => {
    const run = await interruptLongRun('group-term-out', [], (pgid) => process.kill(-pgid, 'SIGTERM'));
    assert.equal(run.code, 130, run.stderr);
    const result = run.results[0]!;
    assert.equal(result.interrupted, true);
    assert.ok(result.server.stats.accepted > 100, 'the server child survived to report its counts');
    assert.deepEqual(run.survivors, []);
  });

  it('Ctrl-C does not wait out a long close.delay', async () => {
    const run = await interruptLongRun('delay-out', ['rate=100', 'close.delay=20s'], (pgid) => process.kill(-pgid, 'SIGINT'));
    assert.equal(run.code, 130, run.stderr);
    assert.ok(run.exitAfterSignalMs < 10_000, `exit took ${run.exitAfterSignalMs} ms after the signal`);
  });

  it('serve refuses bad arguments with a message and exit 2, a busy port with exit 1', async () => {
    const bad = await twstorm(['serve', '--protocol', 'http', '--body', '-1']).exit;
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /twstorm: --body must be a whole number from 0 to 16,777,216, got -1/);
    // The scenario's ceilings hold here too: past them every engine thread died (Buffer.alloc,
    // SO_LINGER's int) and serve sat with no listener and no word, or ended in a stack trace
    // (a hang is cut short by the timeout, and fails on the exit code).
    const tooBig = await Promise.all([
      twstorm(['serve', '--response', '1e10'], { timeoutMs: 20_000 }).exit,
      twstorm(['serve', '--close-mode', 'linger', '--linger-seconds', '99999999999'], { timeoutMs: 20_000 }).exit,
      twstorm(['serve', '--protocol', 'http', '--body', '1e10'], { timeoutMs: 20_000 }).exit,
      twstorm(['serve', '--delay', '11m'], { timeoutMs: 20_000 }).exit,
    ]);
    assert.deepEqual(
      tooBig.map((r) => [r.code, r.stderr.split('\n')[0]]),
      [
        [2, 'twstorm: --response must be a whole number from 0 to 16,777,216, got 10000000000 (see "twstorm serve --help")'],
        [2, 'twstorm: --linger-seconds must be a whole number from 0 to 3600, got 99999999999 (see "twstorm serve --help")'],
        [2, 'twstorm: --body must be a whole number from 0 to 16,777,216, got 10000000000 (see "twstorm serve --help")'],
        [2, 'twstorm: --delay must be at most 10m, got 11m (see "twstorm serve --help")'],
      ],
    );
    // A name: the echo server failed to bind it (exit 1, "choose another with --port"), the HTTP
    // server listened on whatever the resolver gave first. Both refuse it now.
    const [linkLocal, ...named] = await Promise.all([
      // A link-local address without its interface: bind() says EINVAL, and the advice was --port.
      twstorm(['serve', '--host', 'fe80::1', '--port', '0'], { timeoutMs: 20_000 }).exit,
      twstorm(['serve', '--host', 'localhost', '--port', '0'], { timeoutMs: 20_000 }).exit,
      twstorm(['serve', '--protocol', 'http', '--host', 'localhost', '--port', '0'], { timeoutMs: 20_000 }).exit,
    ]);
    assert.equal(linkLocal!.code, 2, linkLocal!.stderr);
    assert.match(linkLocal!.stderr, /^twstorm: --host fe80::1 is an IPv6 link-local address, which needs an interface scope serve does not take \(bind\(\) fails with EINVAL\); use ::1, 127\.0\.0\.1 or a global address/);
    for (const r of named) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^twstorm: --host must be an IP address, got "localhost": the server binds an address, not a name; use 127\.0\.0\.1 or ::1 for localhost/);
    }
    // An option of the other server would be ignored without a word: refused, with what this one takes.
    const [httpOnTcp, tcpOnHttp] = await Promise.all([
      twstorm(['serve', '--policy', 'rst']).exit,
      twstorm(['serve', '--protocol', 'http', '--close-mode', 'rst', '--request=5']).exit,
    ]);
    assert.equal(httpOnTcp.code, 2);
    assert.match(httpOnTcp.stderr, /^twstorm: --policy is for the HTTP server \(--protocol http\); the TCP echo server takes --close-first, --close-mode/);
    assert.equal(tcpOnHttp.code, 2);
    assert.match(tcpOnHttp.stderr, /^twstorm: --close-mode, --request are for the TCP echo server \(--protocol tcp\); the HTTP server takes --policy/);
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const busy = await twstorm(['serve', '--port', String(port)]).exit;
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE \\(the port is in use\\)`));
    } finally {
      holder.close();
    }
  });

  it('serve answers an echo and closes first when told to; Ctrl-C prints its counts', async () => {
    const { child, exit } = twstorm(['serve', '--port', '0', '--close-first', 'server', '--request', '5', '--response', '8']);
    const port = await servePort(child);
    const reply = await new Promise<{ data: string; serverEnded: boolean }>((resolve, reject) => {
      let data = '';
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => socket.write('hello'));
      socket.on('data', (d: Buffer) => (data += d));
      socket.on('end', () => {
        socket.end();
        resolve({ data, serverEnded: true });
      });
      socket.on('error', reject);
    });
    assert.equal(reply.data.length, 8);
    assert.ok(reply.data.startsWith('hello'), reply.data);
    assert.ok(reply.serverEnded);
    child.kill('SIGINT');
    const { code, stdout } = await exit;
    assert.equal(code, 0);
    assert.match(stdout, /accepted 1, replied 1, server-first closes fin 1/);
  });
});
