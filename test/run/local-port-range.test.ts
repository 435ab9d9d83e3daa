// The bundled local-port-range-per-socket scenario, run for real in a namespace: the ports the
// kernel hands out stay inside the per-socket range (IP_LOCAL_PORT_RANGE), reserved ports are
// never used, and with tcp_tw_reuse=0 the run exhausts after exactly the range's usable size —
// from the result's own port tracker and from ss, the kernel's list.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns } from '../helpers/netns.js';
import { countReserved } from '../../src/scenario/port-range.js';

describe('local-port-range-per-socket (real run in a namespace)', () => {
  it('uses only the per-socket range, never a reserved port, and exhausts after exactly its usable ports', async () => {
    // 400 connections against 290 usable ports: 110 must fail. The rate keeps the failures
    // quick (a closed loop backs off after each EADDRNOTAVAIL).
    const { result, clientPorts: ports } = await runInNetns('local-port-range-per-socket', ['connections=400', 'rate=4000', 'tail=500ms']);
    const { scenario } = result;
    assert.equal(scenario.client.portRange, '40100-40399');
    const reservedList = String(scenario.environment.sysctls['net.ipv4.ip_local_reserved_ports']);
    const usable = 300 - countReserved(reservedList, 40100, 40399);
    assert.equal(usable, 290);
    // The result: the range the kernel drew from, and exhaustion at exactly its usable size.
    assert.deepEqual(result.summary.ports.range, { low: 40100, high: 40399, size: 300 });
    assert.equal(result.summary.connections.established, usable);
    assert.equal(result.summary.ports.distinct, usable);
    assert.equal(result.summary.errors['EADDRNOTAVAIL'], 400 - usable);
    assert.notEqual(result.summary.ports.exhaustedAtMs, null);
    assert.equal(result.environment.sysctls['net.ipv4.tcp_tw_reuse'], '0');
    // The kernel's own list: every client TIME_WAIT socket has a port of the slice, none reserved.
    assert.equal(ports.length, usable, 'one TIME_WAIT socket per connection made');
    assert.equal(new Set(ports).size, usable);
    for (const p of ports) {
      assert.ok(p >= 40100 && p <= 40399, `port ${p} outside the per-socket range`);
      assert.ok(!(p >= 40150 && p <= 40159), `reserved port ${p} was used`);
    }
    // All 290 usable ports, odd and even: with a per-socket range the kernel scans port by port.
    assert.ok(ports.some((p) => p % 2 === 1) && ports.some((p) => p % 2 === 0));
  });

  it('raw HTTP (engine threads) takes client.portRange too: every client port from the slice', async () => {
    // wait-client: the server never closes first, so each client port stays in TIME_WAIT here.
    const overrides = ['protocol=http', 'http.client=raw', 'http.policy=wait-client', 'http.requests=60', 'concurrency=4', 'rate=2000', 'client.portRange=40100-40149', 'tail=500ms'];
    const { result, clientPorts: ports } = await runInNetns('local-port-range-per-socket', overrides);
    assert.deepEqual(result.summary.ports.range, { low: 40100, high: 40149, size: 50 });
    // 50 ports (the reserved 40150-40159 lie above them): 50 connections, then EADDRNOTAVAIL.
    assert.equal(result.summary.connections.established, 50);
    assert.equal(ports.length, 50);
    for (const p of ports) assert.ok(p >= 40100 && p <= 40149, `port ${p}`);
    assert.equal(result.summary.errors['EADDRNOTAVAIL'], 10);
  });
});
