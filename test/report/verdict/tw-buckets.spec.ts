import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { makeHttpResult, makeResult, serverTimeWait } from '../make-result.js';

describe('verdict rule: the TIME_WAIT table, tcp_max_tw_buckets (verdict/tw-buckets.ts)', () => {
  it('keep-alive: tcp_max_tw_buckets overflowed', () => {
    const c = oneChange(makeResult((x) => (x.summary.kernel['TcpExtTCPTimeWaitOverflow'] = 30)));
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.why, /destroyed 30 TIME_WAIT sockets/);
  });

  it('keep-alive: server-side TIME_WAIT would outgrow tcp_max_tw_buckets at this rate', () => {
    const r = makeResult((x) => {
      x.scenario.close.first = 'server';
      x.scenario.connections = 1_000_000;
      x.summary.connections.ratePerSec = 5000;
      x.summary.timeWait = { peak: 1000, peakClient: 0, peakServer: 1000, end: 1000, sockstatPeak: 1000 };
    });
    const c = oneChange(r);
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.why, /would hold 300,000, past tcp_max_tw_buckets \(131,072\), after 26\.2 s/);
    // A short burst (the scenario's 1,000 connections) leaves only that many: nothing to change.
    assert.equal(oneChange({ ...r, scenario: { ...r.scenario, connections: 1000 } }).rule, 'none');
  });

  it('one change: server TIME_WAIT past tcp_max_tw_buckets under close-after names the server policy', () => {
    const c = oneChange(
      makeHttpResult((x) => {
        x.scenario.http.client = 'keepalive';
        x.scenario.http.policy = 'close-after';
        x.scenario.http.requests = 1_000_000;
        x.summary.connections.ratePerSec = 5000;
        serverTimeWait(x, 1000);
      }),
    );
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.change, /^Let the server keep connections open/);
    assert.match(c.why, /would hold 300,000, past tcp_max_tw_buckets .* The server answers Connection: close after 1 request and closes\.$/);
  });
});
