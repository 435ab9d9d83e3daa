// Each bundled scenario at a small size, in its own namespace, judged by the kernel's own
// accounting (ss, /proc/net/snmp counters) and not by the tool's counters alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns, type HarnessOutput } from '../helpers/netns.js';

const SMALL = ['tail=300ms', 'census=200ms'];

/** SYNs are sent for every attempt except those connect() refused locally for want of a port. */
function assertActiveOpensMatch({ result }: HarnessOutput): void {
  const { summary } = result;
  const localFailures = summary.errors['EADDRNOTAVAIL'] ?? 0;
  assert.equal(summary.kernel['TcpActiveOpens'], summary.connections.attempted - localFailures);
}

describe('bundled scenarios, small, each in a fresh namespace', () => {
  it('client-closes-first: one TIME_WAIT per connection, all on the client', async () => {
    const out = await runInNetns('client-closes-first', ['connections=1500', ...SMALL]);
    const { summary, environment } = out.result;
    assert.equal(environment.isolation, 'netns');
    assert.equal(environment.sysctls['net.ipv4.tcp_tw_reuse'], '0');
    assert.equal(summary.connections.established, 1500);
    assert.equal(summary.connections.completed, 1500);
    assert.deepEqual(summary.errors, {});
    assert.equal(summary.timeWait.peakClient, 1500);
    assert.equal(summary.timeWait.peakServer, 0);
    assert.deepEqual(out.ss, { client: 1500, server: 0 });
    assert.equal(summary.ports.distinct, 1500);
    assert.equal(summary.ports.reused, 0);
    assertActiveOpensMatch(out);
    assert.equal(summary.kernel['TcpPassiveOpens'], 1500);
    assert.equal(out.result.server.stats.closedFin, 0, 'the server only answered the client\'s FINs');
  });

  it('server-closes-first: TIME_WAIT on the server side, one per client port; none on the client', async () => {
    const out = await runInNetns('server-closes-first', ['connections=1500', ...SMALL]);
    const { summary } = out.result;
    assert.equal(summary.connections.completed, 1500);
    assert.deepEqual(summary.errors, {});
    // The client's ports are free at once, so the kernel may hand one out again while the
    // server still holds its 4-tuple in TIME_WAIT; the new SYN then reopens that TIME_WAIT
    // (RFC 1122 §4.2.2.13). Hence one server TIME_WAIT per distinct client port, not per
    // connection.
    const ports = summary.ports.distinct;
    assert.equal(summary.timeWait.peakServer, ports);
    assert.equal(summary.timeWait.peakClient, 0);
    assert.deepEqual(out.ss, { client: 0, server: ports });
    assert.equal(ports + summary.ports.reuses, 1500);
    // The result counts those reopened TIME_WAITs, so peak + reopened = connections.
    assert.equal(summary.timeWait.peakServer + (summary.timeWait.reopened ?? -1), 1500);
    assert.equal(out.result.server.stats.closedFin, 1500, 'every FIN went first from the server');
    assertActiveOpensMatch(out);
  });

  it('simultaneous-close: every connection leaves TIME_WAIT somewhere, with no errors', async () => {
    const out = await runInNetns('simultaneous-close', ['connections=1500', ...SMALL]);
    const { summary } = out.result;
    assert.equal(summary.connections.completed, 1500);
    assert.deepEqual(summary.errors, {});
    // A port whose last TIME_WAIT sits on the client is not reused (tcp_tw_reuse=0); one whose
    // TIME_WAIT sits on the server may be, reopening it. Either way each port leaves one.
    assert.ok(summary.timeWait.end >= summary.ports.distinct, `TIME_WAIT ${summary.timeWait.end} < ${summary.ports.distinct} ports`);
    assert.equal(out.ss.client + out.ss.server, summary.timeWait.end);
    assertActiveOpensMatch(out);
  });

  it('rst-close: no TIME_WAIT, one RST per connection (OutRsts)', async () => {
    const out = await runInNetns('rst-close', ['connections=1500', ...SMALL]);
    const { summary } = out.result;
    assert.equal(summary.connections.completed, 1500);
    assert.equal(summary.timeWait.peak, 0);
    assert.deepEqual(out.ss, { client: 0, server: 0 });
    assert.ok(summary.kernel['TcpOutRsts']! >= 1500, `OutRsts ${summary.kernel['TcpOutRsts']}`);
    assert.equal(out.result.server.stats.errors['ECONNRESET'], 1500);
    assertActiveOpensMatch(out);
  });

  it('port-exhaustion: exactly the 500 ports of the range succeed, then EADDRNOTAVAIL', async () => {
    const out = await runInNetns('port-exhaustion', ['connections=700', ...SMALL]);
    const { summary, environment } = out.result;
    assert.equal(environment.sysctls['net.ipv4.ip_local_port_range'], '40000 40499');
    assert.equal(summary.connections.attempted, 700);
    assert.equal(summary.connections.established, 500);
    assert.equal(summary.errors['EADDRNOTAVAIL'], 200);
    assert.deepEqual(Object.keys(summary.errors), ['EADDRNOTAVAIL']);
    assert.equal(out.result.errors['EADDRNOTAVAIL']?.byPhase.connect, 200);
    assert.equal(summary.ports.distinct, 500);
    assert.notEqual(summary.ports.exhaustedAtMs, null);
    assert.equal(summary.timeWait.peakClient, 500);
    assert.equal(out.ss.client, 500);
    assertActiveOpensMatch(out);
    assert.equal(summary.kernel['TcpActiveOpens'], 500);
  });

  it('tw-reuse: ports come back after about a second, counted in TWRecycled', async () => {
    const out = await runInNetns('tw-reuse', ['connections=1000', ...SMALL]);
    const { summary, environment } = out.result;
    assert.equal(environment.sysctls['net.ipv4.tcp_tw_reuse'], '1');
    assert.ok(summary.connections.established > 500, `established ${summary.connections.established} ≤ 500 ports`);
    assert.ok(summary.kernel['TcpExtTWRecycled']! > 0, 'TWRecycled stayed 0');
    assert.ok(summary.ports.reused > 0);
    // tcp_twsk_unique compares whole seconds, so no port comes back in well under a second.
    assert.ok(summary.ports.minReuseIntervalMs! >= 900, `min reuse interval ${summary.ports.minReuseIntervalMs} ms`);
    assertActiveOpensMatch(out);
  });
});
