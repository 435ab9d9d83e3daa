// The behaviour that pins the close sides, RST, exhaustion and errno codes, run against both
// engines: the native one (epoll threads, src/engine) and Node's `net` (TWSTORM_NATIVE_SOCKETS
// =off). Each run is held against the kernel's own counts (ss, /proc/net/snmp), in a fresh
// namespace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runNodeInNetns, SCENARIOS, type HarnessOutput } from '../helpers/netns.js';

const HARNESS = fileURLToPath(new URL('../helpers/netns-run.js', import.meta.url));
const SMALL = ['tail=300ms', 'census=200ms', 'matrix={}'];

function run(engine: 'native' | 'net', scenario: string, overrides: string[]): Promise<HarnessOutput> {
  const env = { ...process.env };
  if (engine === 'net') env['TWSTORM_NATIVE_SOCKETS'] = 'off';
  else delete env['TWSTORM_NATIVE_SOCKETS'];
  return runNodeInNetns<HarnessOutput>(HARNESS, [`${SCENARIOS}${scenario}.yaml`, JSON.stringify([...overrides, ...SMALL])], {
    env,
    timeoutMs: 90_000,
  });
}

for (const engine of ['native', 'net'] as const) {
  describe(`${engine} engine, against the kernel's counts`, () => {
    it('client closes first: every TIME_WAIT on the client, ActiveOpens = attempted', async () => {
      const out = await run(engine, 'client-closes-first', ['connections=1000']);
      const { summary, environment } = out.result;
      assert.equal(environment.engine, engine);
      assert.equal(summary.connections.completed, 1000);
      assert.deepEqual(summary.errors, {});
      assert.deepEqual(out.ss, { client: 1000, server: 0 });
      assert.equal(summary.kernel['TcpActiveOpens'], summary.connections.attempted);
      assert.equal(summary.ports.distinct, 1000);
      assert.equal(summary.latencyMs.connect.count, 1000);
    });

    it('server closes first: TIME_WAIT on the server, one per client port', async () => {
      const out = await run(engine, 'server-closes-first', ['connections=1000']);
      const { summary } = out.result;
      assert.equal(summary.connections.completed, 1000);
      assert.deepEqual(summary.errors, {});
      assert.deepEqual(out.ss, { client: 0, server: summary.ports.distinct });
      assert.equal(summary.ports.distinct + summary.ports.reuses, 1000);
      assert.equal(summary.kernel['TcpActiveOpens'], 1000);
    });

    it('client RST: no TIME_WAIT, one RST per connection (OutRsts)', async () => {
      const out = await run(engine, 'rst-close', ['connections=1000']);
      const { summary } = out.result;
      assert.equal(summary.connections.completed, 1000);
      assert.deepEqual(out.ss, { client: 0, server: 0 });
      assert.equal(summary.kernel['TcpOutRsts'], 1000);
      assert.equal(out.result.server.stats.errors['ECONNRESET'], 1000);
    });

    // SO_LINGER n itself needs the native layer (the net driver sets it through it too), so with
    // the layer off there is nothing to close this way: the native engine only.
    if (engine === 'native') it('client SO_LINGER 1: every close is timed off the loop, the FIN still leaves TIME_WAIT on the client', async () => {
      const out = await run(engine, 'client-closes-first', ['connections=40', 'close.client=linger', 'close.lingerSeconds=1']);
      const { summary } = out.result;
      assert.equal(summary.connections.completed, 40);
      assert.equal(summary.lingerBlockedMs?.count, 40);
      assert.deepEqual(summary.errors, {});
      assert.deepEqual(out.ss, { client: 40, server: 0 });
    });

    it('exhaustion with tcp_tw_reuse=0: exactly the range size, then EADDRNOTAVAIL in connect', async () => {
      const out = await run(engine, 'port-exhaustion', ['connections=700']);
      const { summary, errors } = out.result;
      assert.equal(summary.connections.established, 500);
      assert.deepEqual(errors, { EADDRNOTAVAIL: { total: 200, byPhase: { connect: 200 } } });
      assert.equal(summary.kernel['TcpActiveOpens'], 500);
      assert.equal(out.ss.client, 500);
      assert.notEqual(summary.ports.exhaustedAtMs, null);
    });

    // server.reuseAddr: false needs a native listener, so this one runs under the native layer
    // (the net driver's ECONNREFUSED is pinned in test/run/socket-scenarios.test.ts).
    if (engine === 'native') it('nothing listening: ECONNREFUSED in connect, straight from the kernel', async () => {
      // The restart's second act connects while no listener exists (reuseAddr off: the port is
      // held by server-side TIME_WAIT, so the listen fails for the whole timeout).
      const out = await run(engine, 'server-restart', ['connections=100', 'server.restart.timeout=300ms', 'server.restart.resume=20']);
      assert.deepEqual(out.result.errors['ECONNREFUSED'], { total: 20, byPhase: { connect: 20 } });
    });
  });
}
