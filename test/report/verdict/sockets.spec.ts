import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';

describe('verdict rule: socket options (verdict/sockets.ts)', () => {
  it('sockets: accepts per listener, linger stalls and bytes an RST discarded', () => {
    const listeners = makeResult((r) => (r.server.stats.acceptedPerListener = [502, 487, 484, 527]));
    assert.match(finding(listeners, 'sockets')!.text, /Accepts per listening socket: 502 \/ 487 \/ 484 \/ 527/);
    const lost = makeResult((r) => (r.summary.bytes.lost = 76_438_480));
    assert.equal(finding(lost, 'sockets')!.alert, true);
    assert.match(finding(lost, 'sockets')!.text, /76,438,480 response bytes never reached the client/);
    const linger = makeResult((r) => {
      r.scenario.close.lingerSeconds = 1;
      r.server.stats.linger = { closes: 8, blockedMsTotal: 8200, blockedMsMax: 1032 };
    });
    assert.match(finding(linger, 'sockets')!.text, /SO_LINGER 1 s blocked up to 1,032 ms .* Linux does not reset/);
    // A close that returned in 49 ms of a 1 s linger never ran the time out (an audit).
    const quick = makeResult((r) => {
      r.scenario.close.lingerSeconds = 1;
      r.summary.lingerBlockedMs = { ...r.summary.latencyMs.close, max: 49 };
    });
    assert.match(finding(quick, 'sockets')!.text, /blocked up to 49 ms .*each returned once its FIN was acknowledged, before the linger time ran out\.$/);
    assert.equal(finding(makeResult(), 'sockets'), undefined);
  });
});
