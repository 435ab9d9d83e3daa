import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeHttpResult, makeResult, serverTimeWait } from '../make-result.js';

describe('verdict rule: TIME_WAIT as measured (verdict/time-wait.ts)', () => {
  it('time-wait: peak, side, when, what was left — and no alert when it matches the close policy', () => {
    // The census peaked at 1,000 ms on the run clock; the load began at 200 ms.
    const f = finding(makeResult((x) => (x.load = { startMs: 200, endMs: 700 })), 'time-wait')!;
    assert.equal(f.text, 'Peak 1,000 on the client (server 0), reached when the load ended (0.50 s into it). 1,000 were still there when sampling stopped: each lasts 60 s on Linux.');
    assert.equal(f.alert, false);
  });

  it('time-wait: flags TIME_WAIT on the side the close policy does not put it', () => {
    const r = makeResult((x) => {
      x.summary.timeWait = { peak: 500, peakClient: 0, peakServer: 500, end: 0, sockstatPeak: 500 };
      x.series.census.client = {};
      x.series.census.server = { LISTEN: [1, 1, 1], TIME_WAIT: [0, 500, 0] };
      x.load = { startMs: 0, endMs: 1500 };
    });
    const f = finding(r, 'time-wait')!;
    assert.equal(f.alert, true);
    assert.match(f.text, /^Peak 500 on the server \(client 0\), reached 1\.00 s into the load\. None was left at the end\. That is not where the close policy puts it \(expected: the client\)\.$/);
  });

  it('time-wait: reads the recorded peakAtMs (run clock) as time since the load began', () => {
    const r = makeResult((x) => {
      x.load = { startMs: 200, endMs: 3000 };
      x.summary.timeWait.peakAtMs = 1450;
    });
    assert.match(finding(r, 'time-wait')!.text, /, reached 1\.25 s into the load\./);
    // A peak more than a census after the load ended is not "when the load ended" (an audit:
    // that said 0.25 s for a peak 2.56 s into the load, linger closes still going on).
    const late = makeResult((x) => {
      x.load = { startMs: 200, endMs: 450 };
      x.scenario.census = 1000;
      x.summary.timeWait.peakAtMs = 2760;
    });
    assert.match(finding(late, 'time-wait')!.text, /, reached 2\.56 s into the load, 2\.31 s after it ended \(the last closes still going on\)\./);
    // No TIME_WAIT: null, and no time is given.
    const none = makeResult((x) => {
      x.summary.timeWait = { peak: 0, peakClient: 0, peakServer: 0, end: 0, sockstatPeak: 0, peakAtMs: null };
      x.series.census.client = {};
    });
    assert.doesNotMatch(finding(none, 'time-wait')!.text, /reached/);
  });

  it('time-wait: none at all, with sockstat orphans mentioned', () => {
    const r = makeResult((x) => {
      x.scenario.close.client = 'rst';
      x.summary.timeWait = { peak: 0, peakClient: 0, peakServer: 0, end: 0, sockstatPeak: 3 };
      x.series.census.client = {};
    });
    const f = finding(r, 'time-wait')!;
    assert.equal(f.alert, false);
    assert.match(f.text, /^No socket entered TIME_WAIT \(\/proc\/net\/sockstat counted up to 3/);
  });

  it('closer: TIME_WAIT on the server where the HTTP mode puts it on the client is flagged', () => {
    const r = makeHttpResult((x) => serverTimeWait(x, 500));
    const f = finding(r, 'time-wait')!;
    assert.equal(f.alert, true);
    assert.match(f.text, /That is not where the close policy puts it \(expected: the client\)\.$/);
  });

  it('time-wait: names the connections that reopened a server TIME_WAIT, so peak + reopened = connections', () => {
    const r = makeResult((x) => {
      x.scenario.close.first = 'server';
      x.summary.timeWait = { peak: 5012, peakClient: 0, peakServer: 5012, end: 5012, sockstatPeak: 5012, reopened: 543 };
      x.summary.connections = { ...x.summary.connections, attempted: 5555, established: 5555, completed: 5555 };
      x.series.census.client = {};
      x.series.census.server = { LISTEN: [1, 1, 1], TIME_WAIT: [0, 5012, 5012] };
    });
    const f = finding(r, 'time-wait')!;
    assert.equal(f.alert, false);
    assert.match(f.text, /543 connections reused a client port while the server still held its 4-tuple in TIME_WAIT; each new SYN reopened that TIME_WAIT/);
    // Absent (older results) or zero: nothing said.
    assert.doesNotMatch(finding(makeResult(), 'time-wait')!.text, /reopened/);
  });
});
