import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';
import type { RunResult } from '../../../src/result/model.js';

const t = [0, 500, 1000, 2000, 3000, 4000, 5000, 6000, 6500, 7000, 8000];

/** 20,000 connections over a load that ended at `endMs`, with this client FIN_WAIT2 curve on `t`. */
const busyLoad = (finTimeout: string, endMs: number, finWait2: number[]) => (x: RunResult): void => {
  x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = finTimeout;
  x.summary.connections = { ...x.summary.connections, attempted: 20_000, established: 20_000, completed: 20_000 };
  x.summary.kernel['TcpExtTW'] = 20_000;
  x.summary.timeWait.sockstatPeak = 1200;
  x.load = { startMs: 0, endMs };
  x.series.census = { t, client: { FIN_WAIT2: finWait2 }, server: {} };
};

describe('verdict rule: orphaned FIN_WAIT2 (verdict/fin-wait2.ts)', () => {
  it('no FIN_WAIT2, or a transient one a census happened to catch: nothing to say', () => {
    assert.equal(finding(makeResult(), 'fin-wait2'), undefined);
    const r = makeResult((x) => {
      x.series.census = { t: [0, 100, 200, 300], client: { TIME_WAIT: [0, 10, 20, 20], FIN_WAIT2: [0, 3, 0, 0] }, server: {} };
    });
    assert.equal(finding(r, 'fin-wait2'), undefined);
  });

  it('gone after ~tcp_fin_timeout, the server holding CLOSE_WAIT: names the timer and the side that did not close', () => {
    const r = makeResult((x) => {
      x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = '5';
      x.summary.kernel['TcpExtTW'] = 400; // 200 TIME_WAIT + 200 FIN_WAIT2 mini-sockets, all alive at once
      x.summary.timeWait.sockstatPeak = 400;
      x.series.census = {
        t,
        client: { FIN_WAIT2: [0, 100, 200, 200, 200, 200, 200, 200, 100, 0, 0], TIME_WAIT: t.map(() => 200) },
        server: { CLOSE_WAIT: [0, 100, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
      };
    });
    const f = finding(r, 'fin-wait2')!;
    assert.match(f.text, /^200 sockets waited in FIN_WAIT2 on the client for a FIN that did not come; half were gone 6\.00 s after half had appeared \(census every ~0\.50 s\): tcp_fin_timeout=5 s governs them/);
    assert.match(f.text, /The server never sent its FIN: it held up to 200 connections in CLOSE_WAIT/);
    assert.equal(f.alert, true);
    // One is one connection (the fallback driver's audit read "up to 1 connections").
    const one = makeResult((x) => {
      x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = '5';
      x.series.census = { t, client: r.series.census.client, server: { CLOSE_WAIT: t.map((_, i) => (i === 0 ? 0 : 1)) } };
    });
    assert.match(finding(one, 'fin-wait2')?.text ?? '', /it held up to 1 connection in CLOSE_WAIT/);
  });

  it('orphans that came and went during a longer load: how many, and the shortest mean life Little\'s law allows', () => {
    // 300 connections; the curve holds 1,200 socket-seconds of FIN_WAIT2: at least 4 s each.
    const orphans = (x: RunResult): void => {
      x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = '5';
      x.summary.connections = { ...x.summary.connections, attempted: 300, established: 300, completed: 300 };
      x.summary.kernel['TcpExtTW'] = 300;
      x.summary.timeWait.sockstatPeak = 200;
      x.series.census = { t, client: { FIN_WAIT2: [0, 100, 200, 200, 200, 200, 200, 200, 100, 0, 0] }, server: {} };
    };
    assert.equal(
      finding(makeResult(orphans), 'fin-wait2')!.text,
      'Up to 200 sockets at once waited in FIN_WAIT2 on the client for a FIN that did not come, 4.00 s each on average at least; tcp_fin_timeout (5 s here) bounds each orphaned one. The peer\'s FIN never came.',
    );
  });

  it('a trickle of brief ones over a long load is no orphan: the same curve over 20,000 connections proves only 60 ms each', () => {
    // A lab audit: haproxy closing first, its HTTP clients a few ms behind, 6 FIN_WAIT2 at once
    // over the whole load, every FIN came (1,000 TIME_WAIT on the server) — and the rule said
    // "a FIN that did not come", from how long the curve spanned rather than how long each lived.
    // The load lasted as long as the curve, which was back at 0 within a second of its end.
    const r = makeResult(busyLoad('5', 6500, [0, 100, 200, 200, 200, 200, 200, 200, 100, 0, 0]));
    assert.equal(finding(r, 'fin-wait2'), undefined);
  });

  it('a few real orphans among many brief ones: those still there a second after the load ended are said', () => {
    // A review: averaged over every connection a minority of orphans vanished (60 s each, 1 in
    // 100 connections, read as 0.6 s on average). One still there after the load is that old.
    const r = makeResult(busyLoad('60', 5000, [0, 60, 60, 60, 60, 60, 60, 60, 30, 0, 0]));
    assert.equal(
      finding(r, 'fin-wait2')!.text,
      'Up to 60 sockets at once waited in FIN_WAIT2 on the client for a FIN that did not come (60 were still there 1.00 s after the load ended); tcp_fin_timeout (60 s here) bounds each orphaned one. The peer\'s FIN never came.',
    );
  });

  it('still there when sampling stopped, a while after they appeared', () => {
    const r = makeResult((x) => {
      x.environment.sysctls['net.ipv4.tcp_fin_timeout'] = '60';
      x.series.census = { t: [0, 500, 1000, 3000], client: { FIN_WAIT2: [0, 100, 200, 200] }, server: {} };
    });
    assert.match(finding(r, 'fin-wait2')!.text, /^200 sockets were still waiting in FIN_WAIT2 on the client when sampling stopped, 2\.50 s after the first appeared; an orphaned one lasts tcp_fin_timeout \(60 s here\)\. The peer's FIN never came\./);
  });
});
