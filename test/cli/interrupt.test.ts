// Signals always win, and a run that failed says so: Ctrl-C at start-up, with a user's server
// slow to start or to stop and during a server restart, a SIGKILL of `twstorm run` itself (nothing may survive it, nothing left in /tmp) or of its run process alone, a
// server child that dies mid-run (exit 1, the partial result marked "failed").
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { RunResult } from '../../src/result/model.js';
import { BIN, activeOpens, commandLine, findInTree, killAllStarted, processTree, stillRunning, twstorm, waitFor } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-interrupt-'));
});
after(async () => {
  killAllStarted();
  await rm(dir, { recursive: true, force: true });
});

async function results(out: string): Promise<RunResult[]> {
  const files = (await readdir(out).catch(() => [])).filter((f) => f.endsWith('.json'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(out, f), 'utf8')) as RunResult));
}

const LONG = ['connections=1000000', 'duration=60s', 'rate=300'].flatMap((s) => ['--set', s]);

/** `--set`s for a server.command on port 7000 that ignores SIGTERM: it stops only at stopTimeout's SIGKILL. */
async function stubbornServer(name: string, stopTimeout: string): Promise<string[]> {
  const server = path.join(dir, `${name}.cjs`);
  await writeFile(
    server,
    "require('net').createServer((c) => c.end()).listen(Number(process.env.TWSTORM_SERVER_PORT), process.env.TWSTORM_SERVER_HOST);\n" +
      "process.on('SIGTERM', () => console.log('not yet'));\n",
  );
  return ['--set', 'server.port=7000', '--set', `server.command=${JSON.stringify([process.execPath, server])}`, '--set', `server.stopTimeout=${stopTimeout}`];
}

describe('signals and failures', () => {
  it('Ctrl-C while the run process is still starting: exit 130 and a partial result, not exit 1', async () => {
    const out = path.join(dir, 'startup');
    const run = twstorm(['run', 'client-closes-first', '--out', out, ...LONG], { detached: true });
    const pgid = run.child.pid!;
    // The moment the run process exists (Node inside it is still loading): the old failure window.
    // It is found by its command line: the pre-flight checks start short-lived children too.
    await waitFor(() => findInTree(pgid, /\/inside-entry\.js __inside/) !== undefined, 30_000, 'the run process to be started');
    process.kill(-pgid, 'SIGINT');
    const { code, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    assert.doesNotMatch(stderr, /internal error|without writing a result/);
    const [result] = await results(out);
    assert.ok(result, `a partial result is written; stderr: ${stderr}`);
    assert.equal(result.interrupted, true);
    assert.equal(result.stoppedBy, 'interrupted');
  });

  /**
   * Ctrl-C while the scenario's server.command sleeps 20 s before it listens (readyTimeout 30 s):
   * exit 130 within 15 s of the signal, and a partial result with no connection attempted.
   */
  async function interruptSlowStart(scenario: string, out: string, listenOn: string): Promise<string> {
    const run = twstorm(
      ['run', scenario, '--out', out, ...LONG, '--set', 'server.port=7000', '--set', 'server.readyTimeout=30s',
        '--set', `server.command=sleep 20 && ${JSON.stringify(process.execPath)} -e "require('net').createServer((c) => c.end()).listen(${listenOn})"`],
      { detached: true },
    );
    const pgid = run.child.pid!;
    await waitFor(() => findInTree(pgid, /^sleep 20\s*$/) !== undefined, 30_000, 'the server command to be started');
    const sent = Date.now();
    process.kill(-pgid, 'SIGINT');
    const { code, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    assert.ok(Date.now() - sent < 15_000, `stopped ${Date.now() - sent} ms after the signal`);
    const [result] = await results(out);
    assert.ok(result, `a partial result is written; stderr: ${stderr}`);
    assert.equal(result.stoppedBy, 'interrupted');
    assert.equal(result.summary.connections.attempted, 0);
    return stderr;
  }

  it('Ctrl-C while a server.command is still starting: no wait for readyTimeout, a partial result', async () => {
    // The run process's stop deadline (5 s + stopTimeout) used to pass while it still waited for the port.
    await interruptSlowStart('client-closes-first', path.join(dir, 'slow-start'), "7000, '127.0.0.1'");
  });

  it('Ctrl-C while the routed lab is coming up: exit 130 at once and a partial result, not a load started after it', async () => {
    // The interrupt lands before the client hosts' drivers exist: they used to be started after
    // it, never told to stop ('abort' had fired already), and the run gave up after 5 s with
    // nothing kept.
    const stderr = await interruptSlowStart('routed-client-closes-first', path.join(dir, 'routed-startup'), '7000');
    assert.doesNotMatch(stderr, /load started|did not stop within|nothing was kept/);
  });

  it('Ctrl-C while a large routed lab is being built: no more client hosts are built, exit 130 with a partial result', async () => {
    // 12 client hosts take ~3 s to build (~0.25 s each); 40 outlasted the run's 5 s stop deadline.
    const out = path.join(dir, 'routed-build');
    const run = twstorm(['run', 'routed-client-closes-first', '--out', out, ...LONG, '--set', 'environment.clients=12'], { detached: true });
    const pgid = run.child.pid!;
    // The server host and client1 are up (a namespace holder each): the build is under way.
    const holders = (): number => processTree(pgid).filter((p) => /sleep 2147483647/.test(commandLine(p.pid))).length;
    await waitFor(() => holders() >= 2, 60_000, 'the lab build to be under way');
    process.kill(-pgid, 'SIGINT');
    const { code, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    assert.doesNotMatch(stderr, /did not stop within|nothing was kept/);
    const [result] = await results(out);
    assert.ok(result, `a partial result is written; stderr: ${stderr}`);
    assert.equal(result.interrupted, true);
    const clients = (result as RunResult & { lab: { hosts: Array<{ role: string }> } }).lab.hosts.filter((h) => h.role === 'client').length;
    assert.ok(clients >= 1 && clients < 12, `the build stopped at the interrupt: ${clients} of 12 client hosts`);
  });

  it('Ctrl-C with a server.command slow to stop: the partial result waits for its stopTimeout', async () => {
    // The server ignores SIGTERM, so it stops only at stopTimeout's SIGKILL, 6 s later: past the
    // run process's own 5 s stop deadline, which used to exit first and keep nothing.
    const out = path.join(dir, 'slow-stop');
    const run = twstorm(
      ['run', 'client-closes-first', '--out', out, ...LONG, ...(await stubbornServer('slow-stop', '6s'))],
      { detached: true },
    );
    await run.stderrLine(/load started/);
    process.kill(-run.child.pid!, 'SIGINT');
    const { code, stdout, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    assert.doesNotMatch(stderr, /did not stop within|nothing was kept/);
    // The summary says what the wait cost and what to change.
    assert.match(stdout, /^!! your server did not exit within server\.stopTimeout \(6\.00 s\) of SIGTERM and was SIGKILLed: make it exit on SIGTERM, or shorten server\.stopTimeout$/m);
    const [result] = await results(out);
    assert.ok(result, `a partial result is written; stderr: ${stderr}`);
    assert.equal(result.stoppedBy, 'interrupted');
    assert.equal(result.interruptedBy, 'SIGINT', 'the signal the CLI got, passed on with the stop');
    const own = result.server.own;
    assert.ok(own && 'command' in own);
    assert.equal(own.exit?.killed, true, 'SIGKILLed at stopTimeout');
  });

  it('Ctrl-C after the load ended (in the tail) leaves a whole result: not "interrupted", stopped by its count; exit 130', async () => {
    // 50 connections end well inside the 1.5 s before the signal; the 20 s tail is what it cuts.
    const out = path.join(dir, 'after-load');
    const run = twstorm(['run', 'client-closes-first', '--out', out, '--set', 'connections=50', '--set', 'tail=20s'], { detached: true });
    await run.stderrLine(/load started/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(-run.child.pid!, 'SIGINT');
    const { code, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    const [result] = await results(out);
    assert.ok(result, `the result is written; stderr: ${stderr}`);
    assert.equal(result.interrupted, false);
    assert.equal(result.stoppedBy, 'count');
    assert.equal(result.summary.connections.completed, 50);
  });

  it('Ctrl-C during a server restart does not wait out the restart timeout, and records the interrupt', async () => {
    const file = path.join(dir, 'restart.yaml');
    await writeFile(
      file,
      [
        'name: restart-long',
        'connections: 300',
        'close: { first: server, client: fin, server: fin }',
        // Without SO_REUSEADDR the new listener cannot bind over the TIME_WAIT: a minute of retries.
        'server: { reuseAddr: false, restart: { timeout: 60s, retryEvery: 100ms, resume: 200 } }',
        'environment: { isolation: netns }',
        'tail: 100ms',
      ].join('\n'),
    );
    const out = path.join(dir, 'restart');
    const run = twstorm(['run', file, '--out', out], { detached: true });
    await run.stderrLine(/restart phase/);
    const sent = Date.now();
    process.kill(-run.child.pid!, 'SIGINT');
    const { code, stderr } = await run.exit;
    const tookMs = Date.now() - sent;
    assert.equal(code, 130, stderr);
    assert.ok(tookMs < 30_000, `stopped ${tookMs} ms after the signal, not after the 60 s restart timeout`);
    const [result] = await results(out);
    assert.equal(result?.interrupted, true);
    assert.equal(result?.stoppedBy, 'interrupted');
    assert.equal(result?.server.restart?.ok, false);
    assert.ok((result?.server.restart?.attempts.length ?? 0) >= 1, 'the attempts made are kept');
  });

  it('SIGKILL of `twstorm run` takes the run process and the server child with it, and leaves nothing in the temp dir', async () => {
    const tmp = await mkdtemp(path.join(dir, 'tmpdir-'));
    const out = path.join(dir, 'killed');
    await mkdir(out);
    const run = twstorm(['run', 'client-closes-first', '--out', out, ...LONG], {
      detached: true,
      env: { ...process.env, TMPDIR: tmp },
    });
    await run.stderrLine(/load started/);
    const tree = processTree(run.child.pid!);
    assert.ok(tree.length >= 3, `outer, run process and server child: ${JSON.stringify(tree)}`);
    await waitFor(() => activeOpens(findInTree(run.child.pid!, /__inside/)!.pid) >= 50, 30_000, 'the load to run');
    process.kill(run.child.pid!, 'SIGKILL');
    await run.exit;
    await waitFor(() => stillRunning(tree).length === 0, 10_000, 'every process of the run to end').catch(() => undefined);
    assert.deepEqual(stillRunning(tree), [], 'no process of the run survives its parent');
    assert.deepEqual(await readdir(tmp), [], 'nothing left in TMPDIR');
    // The run process got SIGTERM as its parent-death signal: it saved what it had measured.
    const [result] = await results(out);
    assert.equal(result?.interrupted, true);
    // Its parent-death SIGTERM is said as what it was: the twstorm process above it ended.
    assert.equal(result?.interruptedBy, 'parent-exit');
  });

  it('SIGKILL of the run process alone (the OOM killer): exit 1, one line that says so, and no process of the run left', async () => {
    // An audit: the line read "its last words are above — … report it", with nothing above it.
    const out = path.join(dir, 'oom');
    const run = twstorm(['run', 'client-closes-first', '--out', out, ...LONG], { detached: true });
    await run.stderrLine(/load started/);
    const inside = findInTree(run.child.pid!, /\/inside-entry\.js __inside/)!;
    const tree = processTree(inside.pid);
    process.kill(inside.pid, 'SIGKILL');
    const { code, stderr } = await run.exit;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^twstorm: the run process was killed by SIGKILL from outside twstorm \(the kernel's OOM killer, or a kill -9\) before it wrote a result; what it measured is lost: look for an out-of-memory kill in dmesg and give the run more memory, or a smaller scenario$/m);
    assert.doesNotMatch(stderr, /last words|internal error|\n\s+at /);
    await waitFor(() => stillRunning(tree).length === 0, 10_000, 'every process of the run to end').catch(() => undefined);
    assert.deepEqual(stillRunning(tree), [], 'no server child or helper outlives the run process');
  });

  it('a second Ctrl-C during run 2 of --repeat 3 keeps run 1: reported, not "nothing was kept"', async () => {
    // A server that ignores SIGTERM holds each run's stop for its stopTimeout (3 s), so the second
    // Ctrl-C surely comes before run 2 has written a result.
    const out = path.join(dir, 'repeat-twice');
    const run = twstorm(
      ['run', 'client-closes-first', '--out', out, '--repeat', '3', '--set', 'connections=200', '--set', 'rate=100', '--set', 'tail=0ms',
        ...(await stubbornServer('stubborn', '3s'))],
      { detached: true },
    );
    await run.stderrLine(/load started[\s\S]*load started/);
    process.kill(-run.child.pid!, 'SIGINT');
    await run.stderrLine(/stopping: the run ends, keeping what it measured/);
    process.kill(-run.child.pid!, 'SIGINT');
    const { code, stdout, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    assert.doesNotMatch(stderr, /nothing was kept/);
    const files = await readdir(out);
    assert.ok(files.some((f) => /-r1of3\.json$/.test(f)) && files.some((f) => /-r1of3\.html$/.test(f)), files.join(', '));
    assert.ok(!files.some((f) => /-r2of3\.json$/.test(f)), 'run 2 was cut off before its result');
    assert.match(stdout, /-r1of3\.html/, 'run 1 is reported');
  });

  it('a second Ctrl-C stops at once: exit 130, and no process of the run survives', async () => {
    const out = path.join(dir, 'twice');
    const run = twstorm(['run', 'client-closes-first', '--out', out, ...LONG], { detached: true });
    await run.stderrLine(/load started/);
    const tree = processTree(run.child.pid!);
    process.kill(-run.child.pid!, 'SIGINT');
    await run.stderrLine(/stopping: the run ends, keeping what it measured/);
    process.kill(-run.child.pid!, 'SIGINT');
    const { code, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    await waitFor(() => stillRunning(tree).length === 0, 10_000, 'every process of the run to end').catch(() => undefined);
    assert.deepEqual(stillRunning(tree), []);
  });

  it('the terminal hanging up mid-run (a closed window, a dropped SSH session) keeps the result and its report, as Ctrl-C does', async () => {
    const out = path.join(dir, 'hangup');
    // `script` (util-linux) is the terminal; SIGKILL closes its side of the pty, and the kernel
    // hangs the terminal up: SIGHUP to the run's foreground, EIO for every later write to it.
    const command = [process.execPath, BIN, 'run', 'client-closes-first', '--out', out, ...LONG].map((a) => `'${a}'`).join(' ');
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let seen = '';
    terminal.stdout.on('data', (d: Buffer) => (seen += d));
    let tree: ReturnType<typeof processTree> = [];
    try {
      await waitFor(() => seen.includes('load started'), 30_000, 'the load to start on the terminal');
      tree = processTree(terminal.pid!);
      terminal.kill('SIGKILL');
      await waitFor(() => stillRunning(tree).length === 0, 30_000, 'every process of the run to end');
      const [result] = await results(out);
      assert.ok(result, 'a partial result is written');
      assert.equal(result.interrupted, true);
      assert.equal(result.failed, undefined);
      assert.ok((await readdir(out)).some((f) => f.endsWith('.html')), 'and its HTML report');
    } finally {
      if (terminal.exitCode === null && terminal.signalCode === null) terminal.kill('SIGKILL');
      for (const { pid } of stillRunning(tree)) process.kill(pid, 'SIGKILL');
    }
  });

  it('SIGTERM to every process of the run at once (systemd stop, a CI cancel): interrupted, not "failed" by the server it also stopped', async () => {
    const out = path.join(dir, 'group-term');
    // A server of the user's that ends on SIGTERM at once, as most do (the bundled one waits to be told).
    const server = `${process.execPath} -e "require('net').createServer((c) => c.end()).listen(7000)"`;
    const run = twstorm(['run', 'client-closes-first', '--out', out, ...LONG, '--set', 'server.port=7000', '--set', `server.command=${server}`], { detached: true });
    await run.stderrLine(/load started/);
    const runProcess = findInTree(run.child.pid!, /__inside/)!;
    await waitFor(() => activeOpens(runProcess.pid) >= 50, 30_000, 'the load to run');
    // Server first: the order a cgroup kill may well deliver in.
    const tree = processTree(run.child.pid!).reverse();
    for (const { pid } of tree) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch (err) {
        // Gone since the listing (a short-lived helper, or ended by the SIGTERMs before it).
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    const { code, stderr } = await run.exit;
    assert.equal(code, 130, stderr);
    assert.doesNotMatch(stderr, /the run failed/);
    const [result] = await results(out);
    assert.equal(result?.interrupted, true, stderr);
    assert.equal(result?.interruptedBy, 'SIGTERM');
    assert.equal(result?.failed, undefined, result?.failed);
  });

  it('a matrix variant whose server never listens fails alone: the others run and are compared, exit 1', async () => {
    const server = path.join(dir, 'fixed-port.cjs');
    await writeFile(server, "require('net').createServer((c) => c.pipe(c)).listen(7100, '127.0.0.1');\n");
    const out = path.join(dir, 'matrix-variant-fails');
    const { code, stdout, stderr } = await twstorm([
      'run', 'client-closes-first', '--out', out, '--set', 'tail=0ms', '--set', 'server.readyTimeout=1s',
      '--set', `server.command=${JSON.stringify([process.execPath, server])}`,
      '--set', 'matrix={server.port: [7100, 7200], connections: [40, 50]}',
    ]).exit;
    assert.equal(code, 1, stderr);
    const failures = stderr.split('\n').filter((l) => /could not be made, the others go on/.test(l));
    assert.equal(failures.length, 2, stderr);
    assert.match(failures[0]!, /^twstorm: run 3\/4 \(.*7200.*\) could not be made, the others go on: /);
    const made = await results(out);
    assert.deepEqual(made.map((r) => r.summary.connections.completed).sort(), [40, 50]);
    assert.match(stdout, /HTML report comparing the 2 of 4 runs made: /);
  });

  it('a server child that dies mid-run fails the run: exit 1, one line, the partial result marked "failed"', async () => {
    const out = path.join(dir, 'server-died');
    const run = twstorm(['run', 'client-closes-first', '--out', out, ...LONG]);
    await run.stderrLine(/load started/);
    const runProcess = findInTree(run.child.pid!, /__inside/)!;
    await waitFor(() => activeOpens(runProcess.pid) >= 50, 30_000, 'the load to run');
    const server = findInTree(run.child.pid!, /dist\/bundle\/child\.js/)!;
    process.kill(server.pid, 'SIGKILL');
    const { code, stderr } = await run.exit;
    assert.equal(code, 1, stderr);
    const failures = stderr.split('\n').filter((l) => /the run failed/.test(l));
    assert.equal(failures.length, 1, stderr);
    assert.match(failures[0]!, /the bundled server's process died during the run \(killed by SIGKILL\); the partial result is in .*\.json$/);
    const [result] = await results(out);
    assert.match(result?.failed ?? '', /server's process died/);
    assert.equal(result?.stoppedBy, 'error');
    assert.equal(result?.interrupted, false);
    assert.ok(result!.summary.connections.established >= 50, 'what was measured before is kept');
  });
});
