// Every user-text path to the terminal goes through one place (src/util/say.ts →
// stripControl): a variant label in "run i/n" and above the threshold verdicts, a reader error
// that quotes a file's bytes, a failed run's reason. And a run where every connection fails says
// so: exit 1, one line, the result marked "failed", "stopped because the run failed: …".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { terminalSafe } from '../../src/util/say.js';
import { stopReason } from '../../src/report/stop-reason.js';
import { killAllStarted, twstorm } from '../helpers/cli.js';
import { makeResult } from '../report/make-result.js';

// Anything a terminal acts on: C0 (but newline), DEL, C1, bidi overrides and isolates.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const POISON = 'a\u001b]0;owned\u0007b\u001b[2J\rc\u202e';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-tsafe-'));
});
after(async () => {
  killAllStarted();
  await rm(dir, { recursive: true, force: true });
});

describe('terminal output of user text', () => {
  it('terminalSafe keeps the lines, strips each one', () => {
    assert.equal(terminalSafe(`one ${POISON}\ntwo\u001b[31m red`), 'one ab c\ntwo red');
  });

  it('a matrix label with escapes: "run i/n" and the threshold heading print it stripped', async () => {
    const scenario = path.join(dir, 'ctl.json');
    await writeFile(
      scenario,
      JSON.stringify({
        name: 'ctl',
        description: 'labels with control characters',
        protocol: 'tcp',
        connections: 20,
        concurrency: 4,
        tail: '0s',
        matrix: { description: [POISON] },
        thresholds: { 'summary.connections.failed': '== 0' },
      }),
    );
    const exit = await twstorm(['run', scenario, '--out', path.join(dir, 'out-ctl')]).exit;
    assert.equal(exit.code, 0, exit.stderr);
    assert.doesNotMatch(exit.stderr, CONTROL);
    assert.doesNotMatch(exit.stdout, CONTROL);
    assert.match(exit.stderr, /^twstorm: run 1\/1: description=ab c$/m);
    assert.match(exit.stdout, /^description=ab c\nthresholds {4}all 1 passed$/m);
  });

  it('reader errors that quote a file\'s bytes are one clean line, exit 2 (report, compare, plan --from, merge)', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, `${POISON}{"schema": \r"x`);
    for (const args of [['report', bad], ['compare', bad, bad], ['plan', '--from', bad], ['merge', bad, bad, '-o', path.join(dir, 'm.json')]]) {
      const exit = await twstorm(args).exit;
      assert.equal(exit.code, 2, `${args[0]}: ${exit.stderr}`);
      assert.doesNotMatch(exit.stderr, CONTROL, args[0]);
      assert.equal(exit.stderr.trim().split('\n').length, 1, exit.stderr);
      assert.match(exit.stderr, /^twstorm: .*bad\.json.*not JSON/, args[0]);
    }
  });
});

describe('a run where every connection fails', () => {
  it('stopReason gives the failure, not a generic phrase', () => {
    const failed = makeResult((r) => {
      r.stoppedBy = 'error';
      r.failed = 'the server child exited (code 1)';
    });
    assert.equal(stopReason(failed), 'the run failed: the server child exited (code 1)');
    assert.equal(stopReason(makeResult()), 'all 1,000 connections were attempted');
  });

  it('a server that resets every connection: exit 1, one line, the result marked failed', async () => {
    // A real server (server.command) that accepts and at once resets (SO_LINGER 0 close): every
    // connection is made by the kernel, then cut before the echo. Deterministic: no reply ever comes.
    const server = path.join(dir, 'rst-server.cjs');
    await writeFile(
      server,
      "require('net').createServer((s) => s.resetAndDestroy()).listen(Number(process.env.TWSTORM_SERVER_PORT), process.env.TWSTORM_SERVER_HOST);\n",
    );
    const out = path.join(dir, 'out-rst');
    const exit = await twstorm([
      'run', 'client-closes-first', '--out', out,
      '--set', 'connections=20', '--set', 'tail=0s', '--set', 'server.port=7000',
      '--set', `server.command=${JSON.stringify([process.execPath, server])}`,
    ]).exit;
    assert.equal(exit.code, 1, exit.stderr);
    const problems = exit.stderr.trim().split('\n').filter((l) => !/load started/.test(l));
    assert.equal(problems.length, 1, exit.stderr);
    assert.match(problems[0]!, /^twstorm: the run failed: every connection failed \(20 attempted: (ECONNRESET|PEER_CLOSED_EARLY|EPIPE)[^)]*\); the partial result is in .*\.json$/);
    // The load made its count, then the run was judged failed: the line says both (stoppedBy is "count").
    assert.match(exit.stdout, /^stopped {7}because all 20 connections were attempted, but the run failed: every connection failed/m);
    const json = (await readdir(out)).find((f) => f.endsWith('.json'))!;
    const result = JSON.parse(await readFile(path.join(out, json), 'utf8'));
    assert.match(result.failed, /^every connection failed \(20 attempted/);
    assert.equal(result.summary.connections.failed, 20);
  });
});
