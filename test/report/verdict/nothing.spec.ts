import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { addErrors, asLab, makeResult } from '../make-result.js';

describe('verdict rule: nothing to change (verdict/nothing.ts)', () => {
  it('none: a healthy run says so, with the headroom', () => {
    const c = oneChange(makeResult());
    assert.equal(c.rule, 'none');
    assert.match(c.why, /At most 1,000 of 28,232 client ports were held \(3\.5%\)\.$/);
  });

  it('a burst that fits is not a rate that fits: the sustained rate is held against the ports, as plan --from does', () => {
    // A newcomer audit: client-closes-first (5,000 connections at 4,297/s) read "at 4,297 new
    // connections/s the TIME_WAIT left behind fits" where `plan --from` said DOES NOT FIT, 6.57 s.
    const burst = oneChange(makeResult());
    assert.equal(burst.rule, 'none');
    assert.doesNotMatch(burst.why, /at 2,000 new connections\/s the TIME_WAIT left behind fits/);
    assert.match(
      burst.why,
      /the TIME_WAIT this run's connections left behind fits, but only as a burst: kept up, 2,000 new connections\/s is more than the 455\/s the client ports sustain \(each port held up to 62\.0 s\) and would run out after 14\.1 s/,
    );
    // A rate the ports sustain keeps the plain words.
    const slow = oneChange(makeResult((x) => (x.summary.connections.ratePerSec = 400)));
    assert.match(slow.why, /and at 400 new connections\/s the TIME_WAIT left behind fits\./);
    // TIME_WAIT on both sides is a race the model plans at its worst: not claimed from this run.
    const both = oneChange(makeResult((x) => (x.summary.timeWait = { ...x.summary.timeWait, peakClient: 80, peakServer: 920 })));
    assert.doesNotMatch(both.why, /only as a burst/);
  });

  it('errors no rule explains are said, never "no error was measured"', () => {
    const c = oneChange(makeResult((x) => addErrors(x, 'ETIMEDOUT', 'connect', 60)));
    // Its own rule: the report marks it CHANGE, not OK (a review: a green OK beside 60 failures).
    assert.equal(c.rule, 'unexplained-failures');
    assert.equal(c.change, 'Find what failed the connections: no rule here explains it');
    assert.match(c.why, /^Connections failed \(ETIMEDOUT 60\), yet no port ran out and no kernel drop was counted;/);
    assert.doesNotMatch(c.why, /no error/);
    // Retransmitted SYNs are a drop somewhere on the path.
    assert.match(oneChange(makeResult((x) => (x.summary.kernel['TcpExtTCPSynRetrans'] = 32))).why, / 32 SYNs were sent again \(TCPSynRetrans\): something on the path dropped them\./);
  });

  it('drops no change rule took up are named, never "no kernel drop"', () => {
    // ListenDrops without an overflow: the Kernel finding alerts on it; the change must not deny it (a review).
    const c = oneChange(makeResult((x) => (x.summary.kernel['TcpExtListenDrops'] = 5)));
    assert.equal(c.rule, 'none');
    assert.equal(c.change, 'Nothing in the TIME_WAIT model needs changing at this load');
    assert.match(c.why, /^No port ran out and no error was measured, the kernel dropped 5 \(see Kernel\), and /);
  });

  it('named ports: the share held is of the ports the client names, so thin headroom shows', () => {
    // A review: "60 of 28,232" for 100 named ports, so "the headroom is thin" could never fire.
    const c = oneChange(makeResult((x) => {
      x.scenario.client = { ...x.scenario.client, bind: true, localPorts: '40000-40099', reuseAddr: true };
      x.summary.ports.peakInUse = 60;
      x.series.census.client = {};
    }));
    assert.match(c.why, /At most 60 of 100 named client ports were held \(60%\), so the headroom is thin: more load would exhaust the range\.$/);
  });

  it('a routed lab: the share of the client hosts\' ranges together, as the Ports finding says', () => {
    // An audit: 8 hosts holding 500 ports each read "4,000 of 28,232 client ports were held (14%)".
    const c = oneChange(makeResult((x) => {
      asLab(x, 8);
      x.summary.ports.peakInUse = 4000;
    }));
    assert.match(c.why, /At most 4,000 of 225,856 client ports \(8 hosts' ranges\) were held \(1\.8%\)\.$/);
  });
});
