// plan --from takes the ports the run's connect() really drew from: the namespace's range less
// the reserved ports the run recorded, narrowed by client.portRange (IP_LOCAL_PORT_RANGE).
// A capacity audit measured both against the plan that ignored them: 40 % and 52 % too many ports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planFromResult } from '../../src/plan/index.js';
import { makeResult } from '../report/make-result.js';
import type { RunResult } from '../../src/result/model.js';

const CLIENT = { sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: null, readDelay: 0, idleTimeout: 1000 };

function run(edit: (r: RunResult) => void): RunResult {
  return makeResult((x) => {
    x.scenario.client = { ...CLIENT };
    x.scenario.server = { ...x.scenario.server, ports: 1 };
    x.scenario.rate = 500;
    x.scenario.connections = 600;
    x.scenario.duration = 3000;
    x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40999';
    x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '0';
    edit(x);
  });
}

describe('plan --from: the ports in play', () => {
  it('reserved ports the run recorded are not usable: 1,000 less 200 reserved, gone after 600 ms at 500/s (a run measured 600.1 ms)', () => {
    const cmp = planFromResult(run((x) => (x.environment.sysctls['net.ipv4.ip_local_reserved_ports'] = '40000-40199')));
    assert.equal(cmp.inputs.reservedPorts, 200);
    assert.equal(cmp.plan.usablePorts, 800);
    assert.match(cmp.sources['reservedPorts']!, /^result: environment\.sysctls net\.ipv4\.ip_local_reserved_ports "40000-40199"$/);
    // The measured run made 300 of its 600 before the ports ran out; 800 usable ports at 500/s
    // would never run out of 600 attempts — the plan now says the ports are 800.
    assert.equal(cmp.rows[0]!.predicted, null, '600 attempts cannot exhaust 800 ports');
    // Reserved ports outside the range do not count; none recorded: none assumed, and said so.
    assert.equal(planFromResult(run((x) => (x.environment.sysctls['net.ipv4.ip_local_reserved_ports'] = '8080,30000-39999'))).inputs.reservedPorts, 0);
    const none = planFromResult(run(() => {}));
    assert.equal(none.inputs.reservedPorts, 0);
    assert.match(none.sources['reservedPorts']!, /^assumed: none \(the run did not record/);
  });

  it('client.portRange narrows the namespace range to the part the kernel honours', () => {
    const cmp = planFromResult(run((x) => (x.scenario.client.portRange = '40100 40399')));
    assert.equal(cmp.inputs.portLow, 40100);
    assert.equal(cmp.inputs.portHigh, 40399);
    assert.equal(cmp.plan.usablePorts, 300);
    assert.match(cmp.sources['portRange']!, /narrowed by scenario\.client\.portRange 40100 40399$/);
    // 300 ports at 500/s: gone after 0.6 s (measured 580 ms, 290 established: 10 reserved below).
    assert.equal(cmp.rows[0]!.predicted, 600);
    // A bound outside the namespace's range is not honoured: that side stays the namespace's.
    const half = planFromResult(run((x) => (x.scenario.client.portRange = '30000 40499')));
    assert.equal(half.inputs.portLow, 40000);
    assert.equal(half.inputs.portHigh, 40499);
  });
});

describe('plan --from a run on the host network', () => {
  it('notes the TIME_WAIT the census saw before the load, which the measured peak includes', () => {
    const onHost = (before: number) =>
      planFromResult(run((x) => {
        x.environment.isolation = 'host';
        x.load = { startMs: 500, endMs: 1000 };
        x.series.census = { t: [400, 1400], client: { TIME_WAIT: [before, before + 20] }, server: {} };
      }));
    assert.ok(onHost(1548).notes.includes("host network: the census counts every host socket, and 1548 were in TIME_WAIT before the load began, so the measured TIME_WAIT peak includes sockets that are not this run's"));
    assert.ok(!onHost(0).notes.some((n) => n.startsWith('host network')));
  });
});
