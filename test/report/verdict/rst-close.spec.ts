import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { makeHttpResult, makeResult, noTimeWait } from '../make-result.js';

describe('verdict rule: RST closes (verdict/rst-close.ts)', () => {
  it('keep-alive instead of RST: SO_LINGER 0 closes', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.close.client = 'rst';
        x.summary.timeWait = { peak: 0, peakClient: 0, peakServer: 0, end: 0, sockstatPeak: 0 };
        x.summary.kernel['TcpOutRsts'] = 1000;
        x.summary.serverErrors = { ECONNRESET: 1000 };
      }),
    );
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.change, /instead of resetting/);
    assert.match(c.why, /avoided TIME_WAIT by sending 1,000 RSTs, and the peer saw 1,000 ECONNRESET errors/);
  });

  it('one change: server policy rst → keep connections open instead of resetting them', () => {
    const c = oneChange(
      makeHttpResult((x) => {
        x.scenario.http.client = 'keepalive';
        x.scenario.http.policy = 'rst';
        x.summary.timeWait = noTimeWait;
        x.series.census.client = {};
        x.summary.kernel['TcpOutRsts'] = 1000;
      }),
    );
    assert.equal(c.rule, 'keep-alive');
    assert.equal(c.change, 'Let the server keep connections open (keep-alive) instead of resetting them');
    // A TCP-style close.client = rst under http is not a reset close.
    const notRst = oneChange(makeHttpResult((x) => {
      x.scenario.close.client = 'rst';
      x.summary.kernel['TcpOutRsts'] = 5;
    }));
    assert.doesNotMatch(notRst.change, /instead of resetting/);
  });
});
