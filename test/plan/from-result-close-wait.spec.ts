// plan --from on a run whose server never closes (close-wait-leak): no TIME_WAIT anywhere, yet the
// client's orphaned FIN_WAIT2 holds every port for tcp_fin_timeout, so for ports the client is
// the closer; the note says which state really holds them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planFromResult } from '../../src/plan/index.js';
import { makeResult, noTimeWait } from '../report/make-result.js';
import type { RunResult } from '../../src/result/model.js';

/** The hand-made result with the client block the plan reads its port pools from. */
function leak(client: 'fin' | 'rst'): RunResult {
  return makeResult((x) => {
    x.scenario.close = { ...x.scenario.close, first: 'client', client, server: 'never' };
    x.scenario.client = { sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: null, readDelay: 0, idleTimeout: 1000 };
    x.summary.timeWait = { ...noTimeWait, sockstatPeak: client === 'fin' ? 1000 : 0 };
  });
}

describe('plan --from: a server that never closes', () => {
  it('holds client ports like a client closer, and says they are FIN_WAIT2, not TIME_WAIT', () => {
    const cmp = planFromResult(leak('fin'));
    assert.equal(cmp.inputs.closer, 'client');
    assert.match(cmp.sources['closer'] ?? '', /server never\): TIME_WAIT nowhere \(CLOSE_WAIT on the server, FIN_WAIT2 on its peer\)/);
    assert.ok(cmp.notes.some((n) => /orphaned FIN_WAIT2 for net\.ipv4\.tcp_fin_timeout/.test(n)), cmp.notes.join('\n'));
    assert.ok(!cmp.notes.some((n) => /an RST ends each connection/.test(n)));
  });

  it('the orphaned FIN_WAIT2 holds a port for the run\'s tcp_fin_timeout, not TCP_TIMEWAIT_LEN', () => {
    // Measured: close-wait-leak at 30/s into 200 ports with tcp_fin_timeout 5 reused its ports
    // after ~6.3 s (1 s idle + 5 s) and never ran out; the plan held them 60 s and said 6.67 s.
    const run = (finTimeout: string | null) =>
      planFromResult(makeResult((x) => {
        x.scenario.close = { ...x.scenario.close, first: 'client', client: 'fin', server: 'never' };
        x.scenario.client = { sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: null, readDelay: 0, idleTimeout: 1000 };
        x.scenario.rate = 30;
        x.scenario.connections = 300;
        x.scenario.duration = 12_000;
        x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40199';
        x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '0';
        if (finTimeout === null) delete x.environment.sysctls['net.ipv4.tcp_fin_timeout'];
        else x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = finTimeout;
        x.summary.timeWait = { ...noTimeWait, sockstatPeak: 158 };
      }));
    const five = run('5');
    assert.equal(five.inputs.timeWaitSec, 5);
    // Held 5 s and up to 0.256 s more: at HZ 250 a 5 s timer sits in the wheel's 64-jiffy level.
    assert.equal(five.plan.totalPerSec, 200 / 5.256);
    assert.equal(five.plan.fits, true);
    assert.equal(five.plan.exhaustionSec, null);
    assert.match(five.sources['timeWaitSec']!, /^result: net\.ipv4\.tcp_fin_timeout: an orphaned FIN_WAIT2 holds each client port/);
    // The census calls them FIN_WAIT2 (TIME_WAIT 0); sockstat's tw counts them: 30/s × 5.256 s,
    // 158 predicted, 158 measured (at 30/s × 5 s it said 150: the granule's sockets end together).
    const held = five.rows.find((r) => r.label.startsWith('orphaned FIN_WAIT2 peak'))!;
    assert.deepEqual([held.predicted, held.measured], [158, 158]);
    assert.ok(five.notes.some((n) => n.includes('for net.ipv4.tcp_fin_timeout (5 s here)')), five.notes.join('\n'));
    // Not recorded: the kernel's 60 s default; 0 is still 3.5 RTOs (tcp_fin_time).
    assert.equal(run(null).inputs.timeWaitSec, 60);
    assert.equal(run(null).plan.exhaustionSec, 200 / 30);
    assert.equal(run('0').inputs.timeWaitSec, 0.7);
  });

  it('tcp_tw_reuse takes over no orphaned FIN_WAIT2: the ports stay held for tcp_fin_timeout', () => {
    // tcp_twsk_unique() refuses a timewait socket whose substate is FIN_WAIT2 (Linux 6.11+).
    // A review: tcp_tw_reuse=2 on loopback, tcp_fin_timeout 5, 200 ports at 60/s ran out at
    // 3.33 s (176 EADDRNOTAVAIL), where the plan held the ports 1 s and said "fits … never".
    const cmp = planFromResult(makeResult((x) => {
      x.scenario.close = { ...x.scenario.close, first: 'client', client: 'fin', server: 'never' };
      x.scenario.client = { sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: null, readDelay: 0, idleTimeout: 1000 };
      x.scenario.rate = 60;
      x.scenario.connections = 400;
      x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40199';
      x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '2';
      x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = '5';
    }));
    assert.equal(cmp.inputs.twReuse, 0);
    assert.equal(cmp.plan.fits, false);
    assert.equal(cmp.plan.totalPerSec, 200 / 5.256);
    assert.equal(Math.round(cmp.plan.exhaustionSec! * 100) / 100, 3.33);
  });

  it('a client RST against it leaves nothing held: the RST closer as before', () => {
    assert.equal(planFromResult(leak('rst')).inputs.closer, 'rst');
  });
});

describe('plan --from: the reuse delay', () => {
  it('is the run\'s own tcp_tw_reuse_delay when it recorded one, else the kernel\'s 1 s', () => {
    const withDelay = makeResult((x) => {
      x.scenario.client = { sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: null, readDelay: 0, idleTimeout: 1000 };
      x.environment.sysctls['net.ipv4.tcp_tw_reuse_delay'] = '100';
    });
    assert.equal(planFromResult(withDelay).inputs.twReuseDelaySec, 0.1);
    assert.equal(planFromResult(leak('fin')).inputs.twReuseDelaySec, 1);
  });
});
