// Each bundled scenario at a small size, in its own namespace, judged by the kernel's own
// accounting (ss, /proc/net/snmp counters) and not by the tool's counters alone.
// client-closes-first, server-closes-first, rst-close and port-exhaustion are judged in
// test/engine/both-engines.test.ts, on the same runs the native engine's checks make.
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
