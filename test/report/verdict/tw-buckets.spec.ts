import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { asLab, makeHttpResult, makeResult, serverTimeWait } from '../make-result.js';
import { labOf } from '../../../src/result/lab.js';
import { story } from '../../../src/report/story.js';
import { parseScenario } from '../../../src/scenario/index.js';
import type { RunResult } from '../../../src/result/model.js';

describe('verdict rule: the TIME_WAIT table, tcp_max_tw_buckets (verdict/tw-buckets.ts)', () => {
  it('keep-alive: tcp_max_tw_buckets overflowed', () => {
    const c = oneChange(makeResult((x) => (x.summary.kernel['TcpExtTCPTimeWaitOverflow'] = 30)));
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.why, /closed 30 connections at once with no TIME_WAIT/);
  });

  it("a routed lab: the server host's overflow counts, against its own tcp_max_tw_buckets", () => {
    // An audit: 900 TCPTimeWaitOverflow on the server host (its tcp_max_tw_buckets 100) and the
    // verdict "no kernel drop": summary.kernel holds the client hosts' counters only.
    const r = makeResult((x) => {
      x.scenario = parseScenario({ name: 'lab', close: { first: 'server' }, environment: { topology: 'routed', server: { sysctls: { 'net.ipv4.tcp_max_tw_buckets': 100 } } } }, 'lab.yaml') as RunResult['scenario'];
      asLab(x, 1);
      labOf(x)!.hosts.find((h) => h.role === 'server')!.kernel = { TcpExtTCPTimeWaitOverflow: 900 };
    });
    const c = oneChange(r);
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.why, /^TIME_WAIT filled the server host's tcp_max_tw_buckets \(100\) and the kernel closed 900 connections at once with no TIME_WAIT/);
    // The terminal says it too (a review: the story read the client hosts' counters only).
    assert.ok(story(r).includes('900 connections skipped TIME_WAIT: at tcp_max_tw_buckets the kernel makes no TIME_WAIT socket and closes at once.'), story(r).join('\n'));
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
