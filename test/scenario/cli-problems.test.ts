// The rough edges of issue 11, through the real CLI: every problem of a file in one round
// (fields, threshold paths, sysctl names with a suggestion), and a --set the matrix would
// override refused with the matrix key named. Exit 2, one line each, nothing run.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { twstorm as startCli } from '../helpers/cli.js';


/** The real CLI, its output collected (test/helpers/cli.ts); 30 s means a hang. */
const twstorm = (args: string[]) => startCli(args, { timeoutMs: 30_000 }).exit;

describe('twstorm run: every problem at once, before anything runs', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twstorm-cli-problems-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('field errors, a threshold typo and a misspelled sysctl come in one round', async () => {
    const file = join(dir, 'several.yaml');
    await writeFile(
      file,
      [
        'name: several',
        'connections: -1',
        'server: { host: localhost }',
        'environment:',
        '  sysctls:',
        '    net.ipv4.tcp_fin_timout: 30',
        'thresholds:',
        '  summary.timeWait.peek: "< 5"',
        '',
      ].join('\n'),
    );
    const out = await twstorm(['run', file, '--out', join(dir, 'out')]);
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, '');
    assert.deepEqual(out.stderr.trimEnd().split('\n'), [
      `twstorm: ${file}: connections: expected an integer from 1 to 1,000,000,000, got -1`,
      `twstorm: ${file}: server.host: expected a literal loopback address, 127.0.0.0/8 or ::1 (no host names: the run talks to its own namespace only), got "localhost"`,
      `twstorm: ${file}: environment.sysctls["net.ipv4.tcp_fin_timout"]: not a sysctl twstorm may set: unknown, or not kept per network namespace (setting it could change the host); did you mean net.ipv4.tcp_fin_timeout?`,
      `twstorm: ${file}: thresholds.summary.timeWait.peek: unknown figure "peek" under summary.timeWait; did you mean peak? (known: peak, peakClient, peakServer, end, sockstatPeak, peakAtMs, reopened)`,
    ]);
  });

  it('bad matrix values come with the file\'s other problems, each once; doctor refuses them as run does', async () => {
    // An audit: the threshold alone, then "clinet" alone; doctor exited 1 with a FAIL check.
    const file = join(dir, 'matrix.yaml');
    await writeFile(file, 'name: m\nconnections: 10\nthresholds: {summary.timeWait.peek: "< 5"}\nmatrix: {close.first: [clinet, server], close.client: [fin, rts]}\n');
    const lines = [
      `twstorm: ${file}: matrix.close.first: expected one of client, server, both, got "clinet"; did you mean client?`,
      `twstorm: ${file}: matrix.close.client: expected one of fin, rst, linger, got "rts"; did you mean rst?`,
      `twstorm: ${file}: thresholds.summary.timeWait.peek: unknown figure "peek" under summary.timeWait; did you mean peak? (known: peak, peakClient, peakServer, end, sockstatPeak, peakAtMs, reopened)`,
    ];
    const run = await twstorm(['run', file, '--out', join(dir, 'out')]);
    assert.equal(run.code, 2, run.stderr);
    assert.deepEqual(run.stderr.trimEnd().split('\n'), lines);
    const doctor = await twstorm(['doctor', file]);
    assert.equal(doctor.code, 2, doctor.stderr);
    assert.equal(doctor.stdout, '', 'no check is made');
    assert.deepEqual(doctor.stderr.trimEnd().split('\n'), lines);
  });

  it('a threshold on a figure the run never records is refused with the file\'s other problems, not failed after the load', async () => {
    // An audit: latencyMs.close under an undici client ran the whole load, then exit 3 with
    // "it did not happen, or the result predates this figure".
    const file = join(dir, 'http-close.yaml');
    await writeFile(file, 'name: h\nprotocol: http\nhttp: { requests: 10, polcy: close-after }\nthresholds: { summary.latencyMs.close.p99: "< 5" }\n');
    const out = await twstorm(['run', file, '--out', join(dir, 'out')]);
    assert.equal(out.code, 2, out.stderr);
    assert.deepEqual(out.stderr.trimEnd().split('\n'), [
      `twstorm: ${file}: http.polcy: unknown field; did you mean policy? (known: requests, client, path, requestsPerConnection, connections, policy, keepAliveTimeout, maxRequestsPerConnection, closeAfter, body, serviceDelay)`,
      `twstorm: ${file}: thresholds.summary.latencyMs.close.p99: never recorded with http.client keepalive: undici opens and closes its sockets itself, so there is no close() and no connection life to time; gate summary.latencyMs.total, or use http.client raw (the engine's sockets record both)`,
    ]);
  });

  it('a flag that becomes an override is named as typed: --isolation host on a routed lab', async () => {
    const out = await twstorm(['run', 'routed-client-closes-first', '--out', join(dir, 'out'), '--isolation', 'host']);
    assert.equal(out.code, 2, out.stderr);
    assert.deepEqual(out.stderr.trimEnd().split('\n'), [
      'twstorm: --isolation: environment.isolation: a routed lab (environment.topology: routed) is built inside the run\'s own namespace: expected netns or auto, got "host"',
    ]);
    // And against a matrix that varies the field the flag sets.
    const file = join(dir, 'isolations.yaml');
    await writeFile(file, 'name: isolations\nconnections: 10\nmatrix:\n  environment.isolation: [netns, auto]\n');
    const matrix = await twstorm(['run', file, '--out', join(dir, 'out'), '--isolation', 'host']);
    assert.equal(matrix.code, 2, matrix.stderr);
    assert.match(matrix.stderr, /^twstorm: --isolation host: the matrix varies environment\.isolation \(netns, auto\), which would override it in every variant;/);
  });

  it('--set close.first=server on close-matrix names the matrix key; --set __proto__ is refused', async () => {
    const out = await twstorm(['run', 'close-matrix', '--out', join(dir, 'out'), '--set', 'close.first=server', '--set', '__proto__.polluted=1']);
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, '');
    assert.deepEqual(out.stderr.trimEnd().split('\n'), [
      'twstorm: --set __proto__.polluted=1: "__proto__" is not a scenario field (it would change an object\'s prototype)',
    ]);
    const matrix = await twstorm(['run', 'close-matrix', '--out', join(dir, 'out'), '--set', 'close.first=server']);
    assert.equal(matrix.code, 2, matrix.stderr);
    assert.match(matrix.stderr, /^twstorm: --set close\.first=server: the matrix varies close\.first \(client, server\), which would override it in every variant; narrow the matrix with --set "matrix\.close\.first=\[…\]" or drop it with --set "matrix=\{\}"\n$/);
  });
});
