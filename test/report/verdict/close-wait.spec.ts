import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult, noTimeWait } from '../make-result.js';
import { verdict } from '../../../src/report/verdict.js';
import type { RunResult } from '../../../src/result/model.js';

/**
 * The fixture: close-wait-leak as measured on the native engine — 600 connections, the server
 * (RLIMIT_NOFILE 256) kept 224 in CLOSE_WAIT and refused 376 with EMFILE; the client's 224
 * orphaned in FIN_WAIT2. Census samples at 0.8, 1.4, 3.6 and 4.4 s; the load ended at 3.4 s.
 */
function leak(x: RunResult): void {
  x.scenario.connections = 600;
  x.scenario.close = { ...x.scenario.close, first: 'client', client: 'fin', server: 'never' };
  x.scenario.server = { ...x.scenario.server, maxOpenFiles: 256 };
  x.load = { startMs: 1300, endMs: 3400 };
  x.server.stats = { accepted: 224, replied: 224, closedFin: 0, closedRst: 0, open: 0, errors: { EMFILE: 376 } };
  x.summary.timeWait = { ...noTimeWait, sockstatPeak: 224 };
  x.summary.kernel['TcpPassiveOpens'] = 600;
  x.summary.kernel['TcpExtTW'] = 224; // the client's orphaned FIN_WAIT2: the same timewait socket
  x.series.census = {
    t: [800, 1400, 3600, 4400],
    client: { FIN_WAIT2: [0, 200, 224, 224] },
    server: { CLOSE_WAIT: [0, 200, 224, 224], LISTEN: [1, 1, 1, 1] },
  };
}

describe('verdict rule: CLOSE_WAIT leak (verdict/close-wait.ts)', () => {
  it('a healthy run: nothing to say, and no close-on-eof change', () => {
    const r = makeResult();
    assert.equal(finding(r, 'close-wait'), undefined);
    assert.notEqual(verdict(r).change.rule, 'close-on-eof');
  });

  it('CLOSE_WAIT held on the server after the load: names the server, why, how many, and EMFILE', () => {
    const r = makeResult(leak);
    const f = finding(r, 'close-wait')!;
    assert.equal(f.alert, true);
    assert.equal(f.label, 'CLOSE_WAIT');
    assert.match(f.text, /^The server leaks sockets: 224 stayed in CLOSE_WAIT after the load ended \(peak 224\)\. /);
    assert.match(f.text, /The server's application read EOF \(the client's FIN\) and never called close\(\)/);
    assert.match(f.text, /It ran out of file descriptors \(server\.maxOpenFiles 256\): accept\(\) failed with EMFILE 376 times/);
    assert.match(f.text, /The client's closed sockets waited in FIN_WAIT2 \(up to 224\), orphaned, for net\.ipv4\.tcp_fin_timeout/);
    const v = verdict(r);
    assert.equal(v.change.rule, 'close-on-eof');
    assert.match(v.change.change, /^Close the socket on the server when a read returns EOF/);
    assert.match(v.change.why, /^224 sockets stayed in CLOSE_WAIT on the server, each holding a file descriptor, until accept\(\) failed with EMFILE 376 times\.$/);
    assert.equal(v.headline, 'The client closed first; no socket sat in TIME_WAIT: 224 sat in CLOSE_WAIT on the server, which never closed them.');
  });

  it('a count still rising after the load ended is read from its peak on (no timer ends CLOSE_WAIT)', () => {
    // An audit: linger closes on closer threads, the load "ended" before most FINs were sent,
    // and the first sample after it (9) was taken as what the server kept; it kept 200.
    const r = makeResult((x) => {
      leak(x);
      x.series.census = { t: [800, 3600, 4400, 5200], client: { FIN_WAIT2: [0, 9, 200, 200] }, server: { CLOSE_WAIT: [0, 9, 200, 200] } };
    });
    assert.match(finding(r, 'close-wait')!.text, /^The server leaks sockets: 200 stayed in CLOSE_WAIT after the load ended \(peak 200\)\. /);
  });

  it('the close policy is said as asked, and no TIME_WAIT is expected', () => {
    const text = finding(makeResult(leak), 'closer')!.text;
    assert.match(text, /the server never close its side/);
    assert.match(text, /so no TIME_WAIT is expected: the server's sockets stay in CLOSE_WAIT and the peer's in FIN_WAIT2/);
  });

  it("the client's orphaned FIN_WAIT2 in TcpExtTW are not TIME_WAIT assassinations", () => {
    assert.equal(finding(makeResult(leak), 'assassination'), undefined);
  });

  it("under Node's net, where libuv hides EMFILE, the kernel's handshakes past the server's accepts say it", () => {
    const r = makeResult((x) => {
      leak(x);
      x.server.stats.errors = {};
    });
    assert.match(finding(r, 'close-wait')!.text, /the kernel completed 376 more handshakes \(TcpPassiveOpens\) than the server accepted — Node's libuv accepts and closes those at EMFILE/);
  });

  it('without an fd limit and below it: the leak alone, no EMFILE words', () => {
    const r = makeResult((x) => {
      leak(x);
      x.scenario.server.maxOpenFiles = null;
      x.server.stats.errors = {};
      x.summary.kernel['TcpPassiveOpens'] = 224;
    });
    const f = finding(r, 'close-wait')!;
    assert.doesNotMatch(f.text, /EMFILE|file descriptors \(/);
    assert.match(verdict(r).change.why, /^224 sockets stayed in CLOSE_WAIT on the server, each holding a file descriptor\.$/);
  });

  it('CLOSE_WAIT that drained before the load ended is a passive close in progress, not a leak', () => {
    const r = makeResult((x) => {
      x.series.census = { t: [0, 300, 1000, 2000], client: { TIME_WAIT: [0, 300, 1000, 1000] }, server: { CLOSE_WAIT: [0, 12, 0, 0] } };
    });
    assert.equal(finding(r, 'close-wait'), undefined);
  });

  it('any run: CLOSE_WAIT left on the client (a server that closed first, a client that never closes) names the client', () => {
    const r = makeResult((x) => {
      x.scenario.close.first = 'server';
      x.series.census = {
        t: [0, 300, 1000, 2000],
        client: { CLOSE_WAIT: [0, 50, 80, 80] },
        server: { FIN_WAIT2: [0, 50, 80, 80], LISTEN: [1, 1, 1, 1] },
      };
    });
    const f = finding(r, 'close-wait')!;
    assert.match(f.text, /^The client leaks sockets: 80 stayed in CLOSE_WAIT after the load ended \(peak 80\)\. The client's application read EOF \(the server's FIN\) and never called close\(\)/);
    assert.doesNotMatch(f.text, /EMFILE/);
    assert.match(f.text, /The server's closed sockets waited in FIN_WAIT2 \(up to 80\)/);
    assert.match(verdict(r).change.change, /on the client/);
  });

  it('a census of 300,000 samples after the load is judged without overflowing the stack', () => {
    // Math.min(...samples) threw RangeError past ~130,000 arguments (a day-long tail at 100 ms).
    const n = 300_000;
    const r = makeResult((x) => {
      x.load = { startMs: 0, endMs: 1000 };
      const t = Array.from({ length: n }, (_, i) => 1000 + i * 100);
      x.series.census = { t, client: {}, server: { CLOSE_WAIT: t.map((_, i) => (i === n - 7 ? 33 : 40 + (i % 5))) } };
    });
    assert.match(finding(r, 'close-wait')!.text, /^The server leaks sockets: 33 stayed in CLOSE_WAIT after the load ended \(peak 44\)/);
  });

  it('a census that stopped with the load judges its last sample', () => {
    const r = makeResult((x) => {
      x.load = { startMs: 0, endMs: 5000 };
      x.series.census = { t: [0, 1000, 2000], client: {}, server: { CLOSE_WAIT: [0, 40, 90] } };
    });
    assert.match(finding(r, 'close-wait')!.text, /^The server leaks sockets: 90 stayed in CLOSE_WAIT/);
  });
});
