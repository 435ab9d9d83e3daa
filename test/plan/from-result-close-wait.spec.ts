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
