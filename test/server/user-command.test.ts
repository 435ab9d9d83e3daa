// server.command: the user's server started, awaited, kept and stopped — real processes in a
// fresh network namespace each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { runNodeInNetns, spawnNodeInNetns } from '../helpers/netns.js';
import { twstorm, waitFor } from '../helpers/cli.js';
import { makeScratchDir } from '../../src/server/scratch-dir.js';

const HELPER = fileURLToPath(new URL('./user-command-cases.js', import.meta.url));
const runCase = <T>(name: string): Promise<T> => runNodeInNetns<T>(HELPER, [name], { timeoutMs: 60_000 });

interface Failure {
  code: string;
  message: string;
  leftListening: boolean;
}

test('a listening command is awaited, its output kept, and SIGTERM ends its whole group', async () => {
  const out = await runCase<{ listening: boolean; members: number; exit: { code: number; signal: null; killed: boolean }; goneAfter: number; log: string }>('ok');
  assert.equal(out.listening, true);
  // setpriv+unshare (one process after exec), the command itself: at least 2 in the group.
  assert.ok(out.members >= 2, `group members ${out.members}`);
  assert.deepEqual(out.exit, { code: 0, signal: null, killed: false });
  assert.equal(out.goneAfter, 0);
  assert.match(out.log, /listening 7100 pid 2\n/, 'the command is PID 2 of its own PID namespace, under the shell that is its init');
  assert.match(out.log, /got SIGTERM/);
});

test('a command that is not found: ENOENT with the shell\'s own words, nothing left', async () => {
  const shell = await runCase<Failure>('not-found');
  assert.equal(shell.code, 'ENOENT');
  assert.match(shell.message, /^server\.command "no-such-server-command --port 7100" was not found \(exit 127\); its last output: .*not found/);
  assert.doesNotMatch(shell.message, /\n/);
  const argv = await runCase<Failure>('not-found-argv');
  assert.equal(argv.code, 'ENOENT');
  assert.match(argv.message, /was not found \(exit 127\); its last output: .*no-such-server-binary: not found/);
});

test('a user\'s run (no root: isolation host) starts its server in a user namespace of the server\'s own, and stops it', async () => {
  const out = await runCase<{ uid: number; listening: boolean; exit: { code: number; signal: null; killed: boolean }; log: string }>('as-user');
  assert.equal(out.uid, 65534);
  assert.equal(out.listening, true);
  assert.deepEqual(out.exit, { code: 0, signal: null, killed: false });
  // PID 2 of its own PID namespace, and the stop's SIGTERM reached it.
  assert.match(out.log, /listening 7100 pid 2\n/);
  assert.match(out.log, /got SIGTERM/);
  // As the user, not as a root the namespace maps it to (nginx as "root" chowned to an unmapped uid and died).
  assert.match(out.log, /^uid 65534$/m);
});

test('a user\'s run in its own namespace (`unshare -rn`) starts the server as the user, not as the root the namespace made', async () => {
  // The run process is root only inside the user namespace `unshare -rn` made: a server started
  // as that root acted as one, and nginx died chowning its temp paths to an unmapped uid
  // (nginx-connection-close failed for every user who was not root).
  const out = await mkdtemp(path.join(os.tmpdir(), 'twstorm-as-user-'));
  try {
    await chmod(out, 0o777);
    const server = `require('net').createServer((c) => c.pipe(c)).listen(7003, '127.0.0.1', () => console.log('uid ' + process.getuid() + ' gid ' + process.getgid()))`;
    const exit = await twstorm(
      ['run', 'client-closes-first', '--isolation', 'netns', '--out', out, '--set', 'connections=5', '--set', 'tail=10ms', '--set', 'server.port=7003',
        '--set', `server.command=${JSON.stringify([process.execPath, '-e', server])}`],
      { prefix: ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'], env: { ...process.env, HOME: out } },
    ).exit;
    assert.equal(exit.code, 0, exit.stderr);
    const result = JSON.parse(await readFile(/^result: (.*)$/m.exec(exit.stdout)![1]!, 'utf8')) as RunResult;
    assert.match(result.environment.how, /unshare -rn/, 'the run took the user-namespace path');
    assert.match(await readFile((result.server.own as { logPath: string }).logPath, 'utf8'), /^uid 65534 gid 65534$/m);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('no PID namespace to be had: one line that blames unshare, not the server, and says what to do', async () => {
  const out = await runCase<Failure>('no-pid-namespace');
  assert.equal(out.code, 'EPERM');
  assert.match(out.message, /^server\.command ".*" could not be started in a PID namespace of its own \(unshare: Operation not permitted\): run as root, or allow unprivileged user namespaces \(user\.max_user_namespaces > 0\)$/);
  assert.equal(out.leftListening, false);
});

test('a command that exits before listening: its exit code and last output lines, each cut short', async () => {
  const out = await runCase<{ three: Failure; zero: Failure; long: Failure; silent: Failure & { logLeft: boolean } }>('exits');
  assert.match(out.silent.message, /^server\.command "exit 4" exited \(code 4\) before listening on port 7100; it printed nothing$/);
  assert.equal(out.silent.logLeft, false, 'an empty log is removed, not left in --out');
  assert.equal(out.three.code, 'EXITED');
  assert.match(out.three.message, /exited \(code 3\) before listening on port 7100; its last output: config error: line 3 \| giving up/);
  assert.doesNotMatch(out.three.message, /daemon/, 'a failing exit is no sign of a daemonizing server');
  // Exit 0 before listening is what a server that forks into the background does.
  assert.match(out.zero.message, /exited \(code 0\) before listening on port 7100 \(a server that daemonizes must be told to stay in the foreground/);
  // 8 lines of ~3,000 characters: the log's last 8 KiB hold lines 7 and 8 whole and the end of
  // line 6, which is left out rather than quoted from its middle; each is cut to 200, on one line.
  const quoted = /its last output: (.*) \(full output/.exec(out.long.message)?.[1] ?? '';
  const lines = quoted.split(' | ');
  assert.deepEqual(lines.map((l) => l.slice(0, 6)), ['line7 ', 'line8 ']);
  for (const l of lines) assert.equal(l.length, 201, `cut to 200 characters and an ellipsis: ${l.length}`);
  assert.doesNotMatch(out.long.message, /\n/);
});

test('a [::] listener with IPV6_V6ONLY is no listener for 127.0.0.1; without it, it is', async () => {
  const out = await runCase<{ only: Failure; dual: { started: boolean } }>('v6only');
  assert.equal(out.only.code, 'EADDRNOTAVAIL');
  assert.match(out.only.message, /listens on \[::\] \(IPv6 only, IPV6_V6ONLY\) port 7100, not on 127\.0\.0\.1 \(server\.host\)/);
  assert.deepEqual(out.dual, { started: true });
});

test('a command that listens on the port but not on server.host: refused with where it listens', async () => {
  const out = await runCase<Failure>('wrong-address');
  assert.equal(out.code, 'EADDRNOTAVAIL');
  assert.match(out.message, /listens on 127\.0\.0\.2 port 7100, not on 127\.0\.0\.1 \(server\.host\), where the client connects: make it listen on 127\.0\.0\.1/);
  assert.equal(out.leftListening, false);
});

test('a command that never listens: refused at readyTimeout, and killed', async () => {
  const out = await runCase<Failure & { tookMs: number }>('never-listens');
  assert.equal(out.code, 'ETIMEDOUT');
  assert.match(out.message, /did not listen on port 7100 within 2000 ms \(server\.readyTimeout\).*its last output: waiting \(full output/, 'the last output is the command\'s, not the shell\'s "Terminated" after the kill');
  assert.equal(out.leftListening, false);
});

test('a server with no SIGTERM handler stops at SIGTERM, not at stopTimeout\'s SIGKILL', async () => {
  // As PID 1 of its PID namespace it would never see the signal (the kernel delivers only what
  // init handles): every run then waited the whole stopTimeout and SIGKILLed it.
  const out = await runCase<{ exit: { code: number | null; signal: string | null; killed: boolean }; goneAfter: number; listeningAfter: boolean }>('plain-sigterm');
  assert.deepEqual(out.exit, { code: 128 + 15, signal: null, killed: false });
  assert.equal(out.goneAfter, 0);
  assert.equal(out.listeningAfter, false);
});

test('a command line stops at SIGTERM too: `exec server` and a sequence of steps, nothing run after the stop', async () => {
  type Stop = { exit: { code: number | null; signal: string | null; killed: boolean }; goneAfter: number; listeningAfter: boolean };
  const out = await runCase<{ exec: Stop; sequence: Stop; background: Stop; log: string }>('command-line-sigterm');
  assert.deepEqual(out.exec, { exit: { code: 128 + 15, signal: null, killed: false }, goneAfter: 0, listeningAfter: false });
  assert.equal(out.sequence.exit.killed, false, 'stopped by SIGTERM, not at stopTimeout');
  assert.equal(out.sequence.goneAfter, 0);
  assert.equal(out.sequence.listeningAfter, false);
  assert.doesNotMatch(out.log, /after-the-stop/, 'the line does not go on after the stop');
  // A server in the background finishes its shutdown and is recorded with its own exit 0.
  assert.deepEqual(out.background.exit, { code: 0, signal: null, killed: false });
  assert.match(out.log, /graceful-done/);
});

test('TWSTORM_SERVER_DIR goes with the run process even when it leaves by process.exit()', async () => {
  const out = await runCase<{ scratch: string; existed: boolean }>('scratch-at-exit');
  assert.match(out.scratch, /twstorm-server-/);
  assert.equal(out.existed, true, 'the directory existed while the server ran');
  assert.equal(existsSync(out.scratch), false, `${out.scratch} is left behind`);
});

test('TWSTORM_SERVER_DIR goes when the run process is SIGKILLed', async () => {
  const { child, done } = spawnNodeInNetns(HELPER, ['scratch-sigkill'], { timeoutMs: 60_000 });
  let line = '';
  const printed = new Promise<{ scratch: string; existed: boolean }>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      line += d.toString();
      if (line.includes('\n')) resolve(JSON.parse(line.split('\n')[0]!) as { scratch: string; existed: boolean });
    });
  });
  const out = await Promise.race([printed, done.then((e) => Promise.reject(new Error(`the case ended first: ${e.stderr}`)))]);
  assert.match(out.scratch, /twstorm-server-/);
  assert.equal(out.existed, true, 'the directory existed while the server ran');
  process.kill(child.pid!, 'SIGKILL');
  await done;
  // Its keeper sees end-of-file on the pipe the kernel closed, and removes it.
  await waitFor(() => !existsSync(out.scratch), 10_000, `the keeper to remove ${out.scratch} (it is left behind)`);
});

test('a scratch directory that cannot be made: one line with mktemp\'s own words and what to do', async () => {
  await assert.rejects(makeScratchDir('/nonexistent-twstorm-parent'), (err: Error) => {
    assert.match(err.message, /^cannot make the server's scratch directory \(TWSTORM_SERVER_DIR\) in \/nonexistent-twstorm-parent: mktemp: .*No such file or directory; check that it exists and is writable, or set TMPDIR$/);
    return true;
  });
});

test('a server in a session of its own (setsid) gets SIGTERM too, and it starts with SIGINT and SIGQUIT at their defaults', async () => {
  const out = await runCase<{ ns: string | null; sigIgn: string | null; ownSession: boolean; exit: { code: number | null; killed: boolean }; log: string; listeningAfter: boolean }>('own-session');
  assert.match(out.ns ?? '', /^pid:\[\d+\]$/, 'the command runs in a PID namespace of its own');
  assert.equal(out.ownSession, true, 'the server left the wrapper\'s session');
  // Nothing ignored; before, SIGINT (bit 2) and SIGQUIT (bit 3): 0000000000000006.
  assert.equal(out.sigIgn, '0000000000000000', out.log);
  assert.match(out.log, /got SIGTERM/);
  assert.deepEqual(out.exit, { code: 0, signal: null, killed: false });
  assert.equal(out.listeningAfter, false);
});

test('a noisy server\'s log keeps its first 16 MiB and last 4 MiB, and says how much it left out', async () => {
  const out = await runCase<{ exit: { code: number }; size: number; dropped: number; logDropped: number; start: string; cut: string | null; end: string }>('noisy');
  assert.equal(out.exit.code, 0);
  assert.equal(out.logDropped, out.dropped, 'the result records it (server.own.logDropped)');
  assert.ok(out.dropped > 25_000_000 - 20 * 1024 * 1024, `${out.dropped} bytes dropped`);
  // 252,525 lines of 99 x's, then "listening 7100 pid 2" and "got SIGTERM".
  const written = 252_525 * 100 + 'listening 7100 pid 2\n'.length + 'got SIGTERM\n'.length;
  assert.equal(out.start, `${'x'.repeat(99)}\n`.repeat(2).slice(0, 100));
  assert.equal(out.cut, `[twstorm: ${out.dropped} bytes of the server's output left out here: the log keeps its first 16 MiB and its last 4 MiB]`);
  // The head's 16 MiB end mid-line (lines of 100 bytes): the cut line comes with a newline before it and after.
  assert.equal(out.size, written - out.dropped + out.cut!.length + 2, 'all but the dropped bytes, and the cut line');
  assert.ok(out.size <= 20 * 1024 * 1024 + 200, `${out.size} bytes`);
  assert.match(out.end, /x\nlistening 7100 pid 2\ngot SIGTERM\n$/, 'the end is there, in the order written');
});

test('a server that ignores SIGTERM is SIGKILLed after stopTimeout, with its children', async () => {
  const out = await runCase<{ exit: { killed: boolean; signal: string | null }; goneAfter: number; listeningAfter: boolean }>('ignores-sigterm');
  assert.equal(out.exit.killed, true);
  assert.equal(out.exit.signal, 'SIGKILL');
  assert.equal(out.goneAfter, 0);
  assert.equal(out.listeningAfter, false);
});

test('a server that died on its own is not signalled by the stop: its PID, the group\'s ID, may be another program\'s by then', async () => {
  const out = await runCase<{ died: string; exit: { code: number | null }; sent: unknown[] }>('stop-after-death');
  assert.match(out.died, /exited/);
  assert.equal(out.exit.code, 0);
  assert.deepEqual(out.sent, [], 'no signal to a reaped wrapper\'s process group');
});

test('a server log that exists already is refused, not appended to: two runs\' servers shared one', async () => {
  const out = await runCase<Failure & { log: string }>('log-exists');
  assert.equal(out.code, 'EEXIST');
  assert.match(out.message, /^server\.command: its log .*taken\.server\.log exists already \(another run's, or one left behind\): the run will not write over it; remove it or choose another --out$/);
  assert.equal(out.log, 'the other run\'s server\n');
  assert.equal(out.leftListening, false);
});

test('a port someone already listens on is refused before the command starts', async () => {
  const out = await runCase<Failure>('port-taken');
  assert.equal(out.code, 'EADDRINUSE');
  assert.match(out.message, /something already listens on port 7100/);
});

test('each run of a --repeat set has its own server log, named after its result', async () => {
  // The runs of a set can start in the same second: their results were renamed "-r<i>of<N>"
  // after the run, and the logs, named from the result before, were shared.
  const out = await mkdtemp(path.join(os.tmpdir(), 'twstorm-repeat-log-'));
  try {
    const server = "require('net').createServer((c) => c.pipe(c)).listen(7000, '127.0.0.1', () => console.log('listening, pid ' + process.pid))";
    const { code, stderr } = await twstorm(
      ['run', 'client-closes-first', '--repeat', '2', '--out', out, '--set', 'connections=5', '--set', 'tail=10ms', '--set', 'server.port=7000',
        '--set', `server.command=${JSON.stringify([process.execPath, '-e', server])}`],
    ).exit;
    assert.equal(code, 0, stderr);
    const results = (await readdir(out)).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(results.map((f) => f.replace(/-\d{8}T\d{6}Z/, '')), ['client-closes-first-r1of2.json', 'client-closes-first-r2of2.json']);
    for (const file of results) {
      const result = JSON.parse(await readFile(path.join(out, file), 'utf8')) as RunResult;
      const own = result.server.own as { logPath: string };
      assert.equal(own.logPath, path.join(out, file.replace(/\.json$/, '.server.log')));
      const log = await readFile(own.logPath, 'utf8');
      assert.equal(log.match(/^listening/gm)?.length, 1, `${own.logPath}: ${log}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('two runs started together with one --out keep two results and two server logs', async () => {
  // Named to the second, both printed one name: one result survived, and the log (appended to)
  // held both servers' lines. Started at once, they share the second nearly always; the names
  // are apart either way.
  const out = await mkdtemp(path.join(os.tmpdir(), 'twstorm-same-second-'));
  try {
    const server = (port: number) => `require('net').createServer((c) => c.pipe(c)).listen(${port}, '127.0.0.1', () => console.log('listening ${port}'))`;
    const run = (port: number) =>
      twstorm(['run', 'client-closes-first', '--out', out, '--set', 'connections=5', '--set', 'tail=10ms', '--set', `server.port=${port}`,
        '--set', `server.command=${JSON.stringify([process.execPath, '-e', server(port)])}`]).exit;
    const exits = await Promise.all([run(7001), run(7002)]);
    for (const e of exits) assert.equal(e.code, 0, e.stderr);
    const printed = exits.map((e) => /^result: (.*)$/m.exec(e.stdout)?.[1]);
    assert.notEqual(printed[0], printed[1], 'each run printed a name of its own');
    const files = (await readdir(out)).sort();
    assert.equal(files.filter((f) => f.endsWith('.json')).length, 2, files.join(' '));
    assert.equal(files.filter((f) => f.endsWith('.html')).length, 2, files.join(' '));
    const logs = files.filter((f) => f.endsWith('.server.log'));
    assert.equal(logs.length, 2, files.join(' '));
    for (const log of logs) assert.equal((await readFile(path.join(out, log), 'utf8')).match(/^listening/gm)?.length, 1, log);
    // The scheme users see: the second of a second takes "-2" after the time.
    for (const f of files) assert.match(f, /^client-closes-first-\d{8}T\d{6}Z(-2)?\.(json|html|server\.log)$/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
