// The behaviour that pins the close sides, RST, exhaustion and errno codes, run against every
// engine: the native one (threads over raw sockets, src/engine) with its I/O through io_uring
// (the default where the kernel allows it) and through epoll (TWSTORM_IO_URING=off), and Node's
// `net` (TWSTORM_NATIVE_SOCKETS=off). Each run is held against the kernel's own counts (ss, /proc/net/snmp), in a fresh
// namespace. The bundled scenarios' own checks (test/run/scenarios.test.ts once) read the
// native engine's runs here rather than making the same runs again, and the close-side runs
// here are also where the predicted landing of TIME_WAIT is held against a real census (the
// combinations no run here makes are in test/scenario/close-semantics.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns, type HarnessOutput } from '../helpers/netns.js';
import { timeWaitLanding } from '../../src/scenario/close-semantics.js';
import { timeWaitSide } from '../../src/result/figures.js';
import { stopReason } from '../../src/report/stop-reason.js';
import { kernelHz } from '../../src/environment/timer-hz.js';

const SMALL = ['tail=300ms', 'census=200ms', 'matrix={}'];

/** The native engine's two ways of doing I/O, and Node's net. */
type Variant = 'io_uring' | 'epoll' | 'net';

function run(engine: Variant, scenario: string, overrides: string[]): Promise<HarnessOutput> {
  const env = { ...process.env };
  delete env['TWSTORM_NATIVE_SOCKETS'];
  delete env['TWSTORM_IO_URING'];
  if (engine === 'net') env['TWSTORM_NATIVE_SOCKETS'] = 'off';
  if (engine === 'epoll') env['TWSTORM_IO_URING'] = 'off';
  return runInNetns(scenario, [...overrides, ...SMALL], 90_000, env);
}

/** The result names the engine, and for the native one the I/O it used; and the kernel's tick (how late a TIME_WAIT may end). */
function assertEngine(result: HarnessOutput['result'], engine: Variant): void {
  assert.equal(result.environment.engine, engine === 'net' ? 'net' : 'native');
  assert.equal(result.environment.engineIo, engine === 'net' ? undefined : engine);
  assert.equal(result.environment.timerHz, kernelHz());
}

/** Each distinct run once: the engine checks and the scenario checks below judge the same runs. */
const runs = new Map<string, Promise<HarnessOutput>>();
function once(engine: Variant, scenario: string, overrides: string[]): Promise<HarnessOutput> {
  const key = JSON.stringify([engine, scenario, overrides]);
  if (!runs.has(key)) runs.set(key, run(engine, scenario, overrides));
  return runs.get(key)!;
}

/** The side the scenario predicts for TIME_WAIT (src/scenario/close-semantics.ts) is the side the run's census saw it on. */
function assertLandedAsPredicted({ result }: HarnessOutput): void {
  const predicted = timeWaitLanding(result.scenario);
  assert.equal(timeWaitSide(result.summary.timeWait), predicted.side, `census ${JSON.stringify(result.summary.timeWait)}`);
}

for (const engine of ['io_uring', 'epoll', 'net'] as const) {
  describe(`${engine === 'net' ? 'net' : `native (${engine})`} engine, against the kernel's counts`, () => {
    it('client closes first: every TIME_WAIT on the client, ActiveOpens = attempted', async () => {
      const out = await once(engine, 'client-closes-first', ['connections=1000']);
      const { summary } = out.result;
      assertEngine(out.result, engine);
      assert.equal(summary.connections.completed, 1000);
      assert.deepEqual(summary.errors, {});
      assert.deepEqual(out.ss, { client: 1000, server: 0 });
      assert.equal(summary.kernel['TcpActiveOpens'], summary.connections.attempted);
      assert.equal(summary.ports.distinct, 1000);
      assert.equal(summary.latencyMs.connect.count, 1000);
      // Every request was handed to the kernel whole (net: through every close path's destroy()).
      assert.deepEqual(summary.bytes, { sent: 64_000, received: 64_000, lost: 0 });
      // Every connection's life, start to closed: never shorter than its exchange (total).
      const life = summary.latencyMs.life!;
      assert.equal(life.count, 1000);
      assert.ok(life.min! >= summary.latencyMs.total.min!, `life ${JSON.stringify(life)} against total ${JSON.stringify(summary.latencyMs.total)}`);
      assertLandedAsPredicted(out);
    });

    it('server closes first: TIME_WAIT on the server, one per client port', async () => {
      const out = await once(engine, 'server-closes-first', ['connections=1000']);
      const { summary } = out.result;
      assert.equal(summary.connections.completed, 1000);
      assert.deepEqual(summary.errors, {});
      assert.deepEqual(out.ss, { client: 0, server: summary.ports.distinct });
      assert.equal(summary.ports.distinct + summary.ports.reuses, 1000);
      assert.equal(summary.kernel['TcpActiveOpens'], 1000);
      // Every port reused within the minute reopened its server TIME_WAIT: one per 4-tuple left.
      assert.equal(summary.timeWait.reopened, summary.ports.reuses);
      assertLandedAsPredicted(out);
    });

    // With three server ports a client port reused towards another one is another 4-tuple: no
    // TIME_WAIT reopened (it was once counted per port: "235 reopened" beside 3,000 in ss).
    if (engine !== 'epoll') it('server closes first over three server ports: reopened counts 4-tuples, as ss does', async () => {
      const out = await once(engine, 'server-closes-first', ['connections=1500', 'server.ports=3']);
      const { summary } = out.result;
      assert.equal(summary.connections.completed, 1500);
      // The harness's ss reads the first server port; the census reads all three.
      assert.equal(summary.timeWait.peakServer + summary.timeWait.reopened!, 1500, JSON.stringify(summary.timeWait));
    });

    it('client RST: no TIME_WAIT, one RST per connection (OutRsts)', async () => {
      const out = await once(engine, 'rst-close', ['connections=1000']);
      const { summary } = out.result;
      assert.equal(summary.connections.completed, 1000);
      assert.deepEqual(out.ss, { client: 0, server: 0 });
      assert.equal(summary.kernel['TcpOutRsts'], 1000);
      assert.equal(out.result.server.stats.errors['ECONNRESET'], 1000);
      assertLandedAsPredicted(out);
    });

    // SO_LINGER n itself needs the native layer (the net driver sets it through it too), so with
    // the layer off there is nothing to close this way: the native engine only.
    // Such a close always runs on epoll (client-engine.ts, chooseIo): once, on the default variant.
    if (engine === 'io_uring') it('client SO_LINGER 1: every close is timed off the loop, the FIN still leaves TIME_WAIT on the client', async () => {
      const out = await run(engine, 'client-closes-first', ['connections=40', 'close.client=linger', 'close.lingerSeconds=1']);
      const { summary } = out.result;
      assert.equal(out.result.environment.engineIo, 'epoll');
      assert.match(out.result.environment.engineIoFallback ?? '', /SO_LINGER/);
      assert.equal(summary.connections.completed, 40);
      assert.equal(summary.lingerBlockedMs?.count, 40);
      // The close time is how long close() blocked on the closer, not the loop's ~0 hand-over.
      assert.equal(summary.latencyMs.close.count, 40);
      assert.equal(summary.latencyMs.close.max, summary.lingerBlockedMs?.max);
      assert.deepEqual(summary.errors, {});
      assert.deepEqual(out.ss, { client: 40, server: 0 });
      assertLandedAsPredicted(out);
    });

    it('exhaustion with tcp_tw_reuse=0: exactly the range size, then EADDRNOTAVAIL in connect', async () => {
      const out = await once(engine, 'port-exhaustion', ['connections=540']);
      const { summary, errors } = out.result;
      assert.equal(summary.connections.established, 500);
      assert.deepEqual(errors, { EADDRNOTAVAIL: { total: 40, byPhase: { connect: 40 } } });
      assert.equal(summary.kernel['TcpActiveOpens'], 500);
      assert.equal(out.ss.client, 500);
      assert.notEqual(summary.ports.exhaustedAtMs, null);
      // Established when the first connect() found no port: the 500, less any whose handshake
      // the loop had not yet seen complete (at most the 16 in flight).
      const before = summary.ports.establishedBeforeExhaustion!;
      assert.ok(before <= 500 && before >= 500 - 16, `established before exhaustion: ${before}`);
    });

    // Bind-before-connect needs the native layer in both drivers (with it off such a run is
    // refused): the native engine only. The engine records a bound connection's port from its
    // bind; this holds what it records to the range it bound from.
    if (engine !== 'net') it('bind-before-connect from client.localPorts: each port of the range, each reused in turn', async () => {
      // RST closes leave no TIME_WAIT, so a port is free again as soon as its connection is
      // closed; one connection at a time, so two never ask for the same port at once. 51 ports,
      // 26 of them even: a port recorded one off would swap the parity counts.
      const out = await once(engine, 'rst-close', ['connections=153', 'concurrency=1', 'client.bind=true', 'client.localPorts="41000-41050"']);
      const { summary, connectFill } = out.result;
      assert.equal(summary.connections.completed, 153);
      assert.deepEqual(summary.errors, {});
      assert.equal(summary.kernel['TcpActiveOpens'], 153);
      assert.deepEqual([summary.ports.distinct, summary.ports.reused, summary.ports.reuses], [51, 51, 102]);
      assert.deepEqual([connectFill?.parity.even.connections, connectFill?.parity.odd.connections], [26 * 3, 25 * 3]);
    });

    // One port, one connection at a time: each bind needs the port its predecessor's RST close
    // just freed. On io_uring that close is a ring request; it must reach the kernel before the
    // next bind (it once waited for the turn's end: EADDRINUSE for all but the first).
    if (engine !== 'net') it('bind-before-connect from a one-port range: the close frees it before the next bind', async () => {
      const out = await once(engine, 'rst-close', ['connections=20', 'concurrency=1', 'client.bind=true', 'client.localPorts="41000-41000"']);
      const { summary } = out.result;
      assert.deepEqual(summary.errors, {});
      assert.equal(summary.connections.completed, 20);
      assert.deepEqual([summary.ports.distinct, summary.ports.reuses], [1, 19]);
    });

    // The idle timeout counts from the end of a read delay: a delay longer than the timeout
    // is not idleness (every connection once timed out, ETIMEDOUT, on both native variants).
    // 500 ms is how long a stall between the delay's end and the read may last before it is
    // real idleness: at 200 ms a busy machine could stall that long.
    it('a read delay longer than the idle timeout: every connection completes', async () => {
      const out = await once(engine, 'client-closes-first', ['connections=12', 'concurrency=4', 'client.readDelay=700', 'client.idleTimeout=500']);
      const { summary } = out.result;
      assert.deepEqual(summary.errors, {});
      assert.equal(summary.connections.completed, 12);
      assert.deepEqual(out.ss, { client: 12, server: 0 });
    });

    // close.delay is the scenario's wait, not idleness: a delay past the idle timeout once cut
    // every connection with ETIMEDOUT and closed it from the client, so TIME_WAIT landed there
    // even when the server was to close first.
    for (const first of ['client', 'server'] as const) {
      it(`a close delay longer than the idle timeout, ${first} first: no timeout, TIME_WAIT on the ${first}`, async () => {
        const out = await once(engine, 'client-closes-first', ['connections=6', 'concurrency=6', `close.first=${first}`, 'close.delay=900', 'client.idleTimeout=500']);
        const { summary } = out.result;
        assert.deepEqual(summary.errors, {});
        assert.equal(summary.connections.completed, 6);
        assert.deepEqual(out.ss, first === 'client' ? { client: 6, server: 0 } : { client: 0, server: 6 });
        assert.ok(summary.latencyMs.life!.min! >= 900, `life ${JSON.stringify(summary.latencyMs.life)}`);
      });
    }

    // duration + gracefulStop bounds the load whatever the scenario's timers: a server that
    // never closes and a 10 min idle timeout once kept a 2 s run going for 10 min.
    it('duration + gracefulStop: what is still open then is cut, counted as CUT_AT_STOP', async () => {
      const out = await once(engine, 'client-closes-first', ['connections=5', 'concurrency=5', 'close.server=never', 'client.idleTimeout=10m', 'duration=400', 'gracefulStop=600']);
      const { summary } = out.result;
      // All five started at once: the count stopped the starts, gracefulStop the connections.
      assert.equal(out.result.stoppedBy, 'count');
      assert.match(stopReason(out.result), /^all 5 connections were attempted; 5 connections still in flight 1\.00 s in \(duration \+ gracefulStop\) were cut$/);
      assert.equal(summary.connections.completed, 5);
      assert.deepEqual(out.result.errors, { CUT_AT_STOP: { total: 5, byPhase: { close: 5 } } });
      assert.ok(summary.durationMs >= 950 && summary.durationMs < 30_000, `the load lasted ${summary.durationMs} ms`);
    });

    // A server that accepts and never reads: sent is what the kernel took (its buffers), not
    // the 8 MiB request each connection wanted to send; lost is what an RST threw away, and
    // here nothing was ever sent back (an audit: "sent 83,886,080", "1,280 response bytes lost").
    it('a server that never reads: bytes sent are what the kernel took, none lost without an RST', async () => {
      const server = `require('net').createServer({ pauseOnConnect: true }, () => {}).listen(7000, '127.0.0.1')`;
      const out = await once(engine, 'client-closes-first', [
        'connections=3', 'concurrency=3', 'payload={request: 8388608, response: 64}', 'client.idleTimeout=1s',
        'server.port=7000', `server.command=${JSON.stringify([process.execPath, '-e', server])}`,
      ]);
      const { summary } = out.result;
      assert.deepEqual(out.result.errors, { ETIMEDOUT: { total: 3, byPhase: { write: 3 } } });
      assert.ok(summary.bytes.sent < 3 * 8388608, `sent ${summary.bytes.sent}`);
      // The engine counts each send(); the net driver, at destroy(), Node's bytesWritten less
      // what libuv still queued.
      if (engine !== 'net') assert.ok(summary.bytes.sent > 3 * 65536, `sent ${summary.bytes.sent}`);
      assert.equal(summary.bytes.lost, 0);
    });

    it('nothing listening: ECONNREFUSED in connect, one per attempt the kernel failed', async () => {
      // A target (a server twstorm does not start) on a port nobody listens on. A target needs
      // isolation: host in the scenario; the harness runs it in its own namespace either way.
      // (server-restart's resumed connects, test/run/socket-scenarios.test.ts, meet no listener
      // too, but that run needs a native listener.)
      const out = await once(engine, 'client-closes-first', ['connections=20', 'environment.isolation=host', 'target="127.0.0.1:7301"']);
      const { summary, errors } = out.result;
      assertEngine(out.result, engine);
      assert.deepEqual(errors, { ECONNREFUSED: { total: 20, byPhase: { connect: 20 } } });
      assert.equal(summary.kernel['TcpActiveOpens'], 20);
      assert.equal(summary.kernel['TcpAttemptFails'], 20);
      assert.equal(out.result.failed, 'every connection failed (20 attempted: ECONNREFUSED 20)');
      assert.deepEqual(out.ss, { client: 0, server: 0 });
    });
  });
}

/** SYNs are sent for every attempt except those connect() refused locally for want of a port. */
function assertActiveOpensMatch({ result }: HarnessOutput): void {
  const { summary } = result;
  const localFailures = summary.errors['EADDRNOTAVAIL'] ?? 0;
  assert.equal(summary.kernel['TcpActiveOpens'], summary.connections.attempted - localFailures);
}

// The bundled scenarios judged whole, on the native engine's runs above (the same runs: one
// namespace each, the kernel's own accounting beside the tool's).
describe('bundled scenarios, small, each in a fresh namespace', () => {
  it('client-closes-first: one TIME_WAIT per connection, all on the client', async () => {
    const out = await once('io_uring', 'client-closes-first', ['connections=1000']);
    const { summary, environment } = out.result;
    assert.equal(environment.isolation, 'netns');
    assert.equal(environment.sysctls['net.ipv4.tcp_tw_reuse'], '0');
    assert.equal(summary.connections.established, 1000);
    assert.equal(summary.connections.completed, 1000);
    assert.deepEqual(summary.errors, {});
    assert.equal(summary.timeWait.peakClient, 1000);
    assert.equal(summary.timeWait.peakServer, 0);
    assert.deepEqual(out.ss, { client: 1000, server: 0 });
    assert.equal(summary.ports.distinct, 1000);
    assert.equal(summary.ports.reused, 0);
    assertActiveOpensMatch(out);
    assert.equal(summary.kernel['TcpPassiveOpens'], 1000);
    assert.equal(out.result.server.stats.closedFin, 0, 'the server only answered the client\'s FINs');
  });

  it('server-closes-first: TIME_WAIT on the server side, one per client port; none on the client', async () => {
    const out = await once('io_uring', 'server-closes-first', ['connections=1000']);
    const { summary } = out.result;
    assert.equal(summary.connections.completed, 1000);
    assert.deepEqual(summary.errors, {});
    // The client's ports are free at once, so the kernel may hand one out again while the
    // server still holds its 4-tuple in TIME_WAIT; the new SYN then reopens that TIME_WAIT
    // (RFC 1122 §4.2.2.13). Hence one server TIME_WAIT per distinct client port, not per
    // connection.
    const ports = summary.ports.distinct;
    assert.equal(summary.timeWait.peakServer, ports);
    assert.equal(summary.timeWait.peakClient, 0);
    assert.deepEqual(out.ss, { client: 0, server: ports });
    assert.equal(ports + summary.ports.reuses, 1000);
    // The result counts those reopened TIME_WAITs, so peak + reopened = connections.
    assert.equal(summary.timeWait.peakServer + (summary.timeWait.reopened ?? -1), 1000);
    assert.equal(out.result.server.stats.closedFin, 1000, 'every FIN went first from the server');
    assertActiveOpensMatch(out);
  });

  it('rst-close: no TIME_WAIT, one RST per connection (OutRsts)', async () => {
    const out = await once('io_uring', 'rst-close', ['connections=1000']);
    const { summary } = out.result;
    assert.equal(summary.connections.completed, 1000);
    assert.equal(summary.timeWait.peak, 0);
    assert.deepEqual(out.ss, { client: 0, server: 0 });
    assert.ok(summary.kernel['TcpOutRsts']! >= 1000, `OutRsts ${summary.kernel['TcpOutRsts']}`);
    assert.equal(out.result.server.stats.errors['ECONNRESET'], 1000);
    assertActiveOpensMatch(out);
  });

  it('port-exhaustion: exactly the 500 ports of the range succeed, then EADDRNOTAVAIL', async () => {
    const out = await once('io_uring', 'port-exhaustion', ['connections=540']);
    const { summary, environment } = out.result;
    assert.equal(environment.sysctls['net.ipv4.ip_local_port_range'], '40000 40499');
    assert.equal(summary.connections.attempted, 540);
    assert.equal(summary.connections.established, 500);
    assert.equal(summary.errors['EADDRNOTAVAIL'], 40);
    assert.deepEqual(Object.keys(summary.errors), ['EADDRNOTAVAIL']);
    assert.equal(out.result.errors['EADDRNOTAVAIL']?.byPhase.connect, 40);
    assert.equal(summary.ports.distinct, 500);
    assert.notEqual(summary.ports.exhaustedAtMs, null);
    assert.equal(summary.timeWait.peakClient, 500);
    assert.equal(out.ss.client, 500);
    assertActiveOpensMatch(out);
    assert.equal(summary.kernel['TcpActiveOpens'], 500);
  });
});
