import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addErrors, finding, makeResult } from '../make-result.js';
import type { RunResult } from '../../../src/result/model.js';
import { story } from '../../../src/report/story.js';

const mode = (x: RunResult, n: number): void => {
  x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = String(n);
};
const ranOut = (x: RunResult): void => {
  addErrors(x, 'EADDRNOTAVAIL', 'connect', 300);
  x.summary.timeWait.peakClient = 500;
};
const routed = (x: RunResult): void => {
  (x.scenario as unknown as { environment: { topology: string } }).environment.topology = 'routed';
};

describe('verdict rule: tcp_tw_reuse (verdict/tw-reuse.ts)', () => {
  it('no reuse asked, none seen: nothing to say', () => {
    assert.equal(finding(makeResult(), 'tw-reuse'), undefined);
    assert.equal(finding(makeResult(ranOut), 'tw-reuse'), undefined, 'tcp_tw_reuse=0 running out of ports is the ports rule\'s story');
  });

  it('TWRecycled moved with mode 1: counts it, with the delay and the median reuse interval', () => {
    const r = makeResult((x) => {
      mode(x, 1);
      x.environment.sysctls['net.ipv4.tcp_tw_reuse_delay'] = '1000';
      x.summary.kernel['TcpExtTWRecycled'] = 1500;
      x.summary.ports.medianReuseIntervalMs = 1250;
    });
    const f = finding(r, 'tw-reuse')!;
    assert.equal(
      f.text,
      '1,500 connects took a port still in TIME_WAIT toward the same destination (TcpExtTWRecycled), tcp_tw_reuse=1 lets connect() take a port whose TIME_WAIT is older than tcp_tw_reuse_delay=1,000 ms; a port came back after 1,250 ms (median).',
    );
    assert.equal(f.alert, false);
    // The terminal story says it in the rule's words, once (no second wording of the same count).
    assert.equal(story(r).filter((line) => line.includes('TcpExtTWRecycled')).length, 1);
    assert.ok(story(r).includes(f.text));
  });

  it('mode 2 reusing on loopback: says a real network would not', () => {
    const r = makeResult((x) => {
      mode(x, 2);
      x.summary.kernel['TcpExtTWRecycled'] = 40;
    });
    assert.match(finding(r, 'tw-reuse')!.text, /Mode 2 does this on loopback only: between two hosts these connects would have waited the full 60 s/);
  });

  it('mode 2 off loopback, ports ran out, no reuse: "did not reuse off loopback"', () => {
    const f = finding(makeResult((x) => (mode(x, 2), ranOut(x), routed(x))), 'tw-reuse')!;
    assert.match(f.text, /^tcp_tw_reuse=2 did not reuse off loopback: TcpExtTWRecycled stayed 0 while 500 client TIME_WAIT sockets held their ports and 300 connects failed with EADDRNOTAVAIL/);
    assert.equal(f.alert, true);
  });

  it('reuse on, ports ran out, none reused: timestamps off, or the range turned over within the delay', () => {
    const stamps = makeResult((x) => (mode(x, 1), ranOut(x), (x.environment.sysctls['net.ipv4.tcp_timestamps'] = '0')));
    assert.match(finding(stamps, 'tw-reuse')!.text, /it needs TCP timestamps, and net\.ipv4\.tcp_timestamps is 0/);
    const young = makeResult((x) => (mode(x, 1), ranOut(x)));
    assert.match(finding(young, 'tw-reuse')!.text, /every TIME_WAIT was younger than about a second when connect\(\) needed a port/);
  });

  it('TWRecycled with tcp_tw_reuse=0: the bound-port takeover, named as such', () => {
    const r = makeResult((x) => (x.summary.kernel['TcpExtTWRecycled'] = 10));
    assert.match(finding(r, 'tw-reuse')!.text, /with tcp_tw_reuse=0: a connect from an explicitly bound port takes over a TIME_WAIT/);
  });
});
