// `target:` — loading a server twstorm did not start, on the host network (here a namespace the
// test made plays the host, so nothing real is disturbed). Loopback only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runNodeInNetns } from '../helpers/netns.js';
import { parseScenario } from '../../src/scenario/index.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { parseTarget, type Target } from '../../src/scenario/target.js';
import type { RunResult } from '../../src/result/model.js';
import { targetListenerProblem } from '../../src/server/external-target.js';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { twstorm } from '../helpers/cli.js';

/** A loopback port nobody listens on: one the kernel just handed out and took back. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const HELPER = fileURLToPath(new URL('./target-cases.js', import.meta.url));

interface TargetRun {
  code: number;
  stdout: string;
  stderr: string;
  result: RunResult;
  ss: { client: number; server: number };
  twReuse: string;
}

for (const host of ['127.0.0.1', '::1']) {
  test(`target ${host}: no server started, no sysctl changed, the host's sockets counted and said so`, async () => {
    const out = await runNodeInNetns<TargetRun>(HELPER, [host], { timeoutMs: 60_000 });
    assert.equal(out.code, 0, out.stderr);
    const { result } = out;
    assert.equal(result.environment.isolation, 'host');
    assert.deepEqual(result.server.own, { target: host.includes(':') ? `[${host}]:7300` : `${host}:7300` });
    assert.equal(result.server.host, host);
    assert.equal(result.server.port, 7300);
    // The scenario asks for tcp_tw_reuse=0; on the host it is only compared, never written.
    assert.equal(out.twReuse, '2');
    assert.equal(result.environment.sysctls['net.ipv4.tcp_tw_reuse'], '2');
    assert.match(out.stdout, /!! EXTERNAL TARGET .*:7300: no server was started; the host's own sockets on port 7300 are counted/);
    assert.match(out.stdout, /NOT ISOLATED/);
    assert.match(out.stdout, /net\.ipv4\.tcp_tw_reuse=0 \(host has 2\)/);
    // Both said at once: a CI run once completed 269 of 300 with exit 0, and the errors were never read.
    assert.deepEqual({ completed: result.summary.connections.completed, errors: result.summary.errors }, { completed: 300, errors: {} }, JSON.stringify({ connections: result.summary.connections, errors: result.errors, stoppedBy: result.stoppedBy }));
    // The client closed first: its TIME_WAIT, counted by the census and by ss alike. tw_reuse=2
    // lets loopback reuse ports, so one per distinct port.
    assert.equal(result.summary.timeWait.peakClient, result.summary.ports.distinct);
    assert.equal(out.ss.client, result.summary.ports.distinct);
    assert.equal(result.summary.timeWait.peakServer, 0);
  });
}

test('a non-loopback target is refused unless allowed; the flag lets the schema pass', () => {
  const base = { name: 't', environment: { isolation: 'host' } };
  assert.throws(
    () => parseScenario({ ...base, target: '198.18.0.7:80' }, 'x.yaml'),
    (err: unknown) => err instanceof ScenarioError && /x\.yaml: target: 198\.18\.0\.7 is not a loopback address.*--allow-remote-target/.test(err.problems.join('\n')),
  );
  const allowed = parseScenario({ ...base, target: '198.18.0.7:80', allowRemoteTarget: true }, 'x.yaml');
  assert.deepEqual(allowed.target, { text: '198.18.0.7:80', host: '198.18.0.7', port: 80, loopback: false });
  assert.throws(() => parseScenario({ name: 't', target: '127.0.0.1:80' }, 'x.yaml'), /isolation: host/);
  assert.throws(() => parseScenario({ ...base, target: '127.0.0.1:80', server: { command: 'nginx' } }, 'x.yaml'), /exclude each other/);
});

test('target forms: host:port, [v6]:port, http URL; loopback recognised', () => {
  assert.deepEqual(parseTarget('localhost:8080'), { text: 'localhost:8080', host: 'localhost', port: 8080, loopback: true });
  assert.deepEqual(parseTarget('[::1]:80'), { text: '[::1]:80', host: '::1', port: 80, loopback: true });
  assert.deepEqual(parseTarget('http://127.0.0.2:8081/'), { text: 'http://127.0.0.2:8081/', host: '127.0.0.2', port: 8081, loopback: true });
  assert.equal((parseTarget('http://[2001:2::1]/') as { port: number; loopback: boolean }).port, 80);
  assert.equal((parseTarget('[2001:2::1]:80') as { loopback: boolean }).loopback, false);
  assert.equal((parseTarget('example.com:80') as { loopback: boolean }).loopback, false);
  assert.match(parseTarget('127.0.0.1') as string, /expected "host:port"/);
  assert.match(parseTarget('https://127.0.0.1/') as string, /only http:\/\//);
  assert.equal(parseTarget('http://127.0.0.1/x'), 'the target URL must have no path: give the request target as http.path');
  assert.match(parseTarget('[127.0.0.1]:80') as string, /not an IPv6 address/);
});

test('before the load: a loopback target needs a listener its address reaches, read from the socket table', async () => {
  const target = (host: string, port: number) => parseTarget(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) as Target;
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  let accepted = 0;
  server.on('connection', () => accepted++);
  try {
    assert.equal(await targetListenerProblem(target('127.0.0.1', port)), null);
    assert.equal(await targetListenerProblem(parseTarget(`localhost:${port}`) as Target), null);
    // Listening on 127.0.0.1 does not serve ::1.
    assert.equal(
      await targetListenerProblem(target('::1', port)),
      `NOT SERVED: port ${port} is listened on at 127.0.0.1:${port} only, which a client connecting to ::1 does not reach: every connection will be refused; point target at one of those, or make the server listen on ::1.`,
    );
    // Read from the table, not by connecting: the server saw nothing.
    assert.equal(accepted, 0);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.match((await targetListenerProblem(target('127.0.0.1', port))) ?? '', new RegExp(`^NOTHING LISTENS on port ${port} of this machine: every connection will be refused \\(ECONNREFUSED\\)`));
  // A remote target is another machine's table: not judged here.
  assert.equal(await targetListenerProblem(parseTarget(`198.18.0.7:${port}`) as Target), null);
});

test('run against a target nobody listens on: said before the load, in the result too; the refusals are still measured', async () => {
  const port = await closedPort();
  const out = await mkdtemp(path.join(os.tmpdir(), 'twstorm-refused-'));
  try {
    const exit = await twstorm(['run', 'client-closes-first', '--isolation', 'host', '--set', `target=127.0.0.1:${port}`, '--set', 'connections=20', '--out', out]).exit;
    const warned = exit.stdout + exit.stderr;
    const at = warned.indexOf(`NOTHING LISTENS on port ${port}`);
    assert.ok(at >= 0, warned);
    assert.ok(at < warned.indexOf('load started'), 'said before the load');
    const [file] = (await readdir(out)).filter((f) => f.endsWith('.json'));
    const result = JSON.parse(await readFile(path.join(out, file!), 'utf8')) as RunResult;
    assert.match(result.environment.notice ?? '', new RegExp(`NOTHING LISTENS on port ${port}`));
    assert.equal(result.summary.errors['ECONNREFUSED'], 20);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
