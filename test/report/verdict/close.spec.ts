import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timeWaitLanding } from '../../../src/scenario/close-semantics.js';
import { verdict } from '../../../src/report/verdict.js';
import { story } from '../../../src/report/story.js';
import { addErrors, finding, makeHttpResult, makeResult, serverTimeWait, noTimeWait } from '../make-result.js';
import type { RunResult } from '../../../src/result/model.js';

describe('verdict rule: who closed first (verdict/close.ts)', () => {
  it('headline: no connection established says nothing was closed, not that the client closed with RSTs', () => {
    const refused = makeResult((r) => {
      r.summary.connections = { attempted: 50, established: 0, completed: 0, failed: 50, ratePerSec: 0 };
      r.summary.errors = { ECONNREFUSED: 50 };
      r.summary.timeWait = { ...r.summary.timeWait, peak: 0, peakClient: 0, peakServer: 0, end: 0, sockstatPeak: 0 };
      r.summary.kernel['TcpOutRsts'] = 50;
    });
    assert.equal(verdict(refused).headline, 'No connection was established (ECONNREFUSED 50), so nothing was closed and no TIME_WAIT was made.');
    // Said once: not again as "Other client errors" (a newcomer audit).
    assert.ok(!story(refused).some((l) => l.startsWith('Other client errors')), story(refused).join('\n'));
    const http = makeHttpResult((r) => {
      r.summary.connections = { attempted: 3, established: 0, completed: 0, failed: 3, ratePerSec: 0 };
      r.summary.errors = { ETIMEDOUT: 1, ECONNREFUSED: 2 };
    });
    assert.equal(verdict(http).headline, 'No connection was established (ECONNREFUSED 2, ETIMEDOUT 1), so nothing was closed and no TIME_WAIT was made.');
  });

  it('closer: states what the scenario asked and where TIME_WAIT should land', () => {
    assert.match(finding(makeResult(), 'closer')!.text, /client close first with FIN, so TIME_WAIT is expected on the client/);
    const server = makeResult((r) => (r.scenario.close.first = 'server'));
    assert.match(finding(server, 'closer')!.text, /server close first with FIN, so TIME_WAIT is expected on the server/);
    const rst = makeResult((r) => (r.scenario.close.client = 'rst'));
    assert.match(finding(rst, 'closer')!.text, /RST \(SO_LINGER 0\), so no TIME_WAIT is expected/);
    const answeredWithRst = makeResult((r) => {
      r.scenario.close.first = 'server';
      r.scenario.close.client = 'rst';
    });
    assert.match(finding(answeredWithRst, 'closer')!.text, /server close first with FIN and the client answer with RST/);
    assert.equal(timeWaitLanding(answeredWithRst.scenario).side, 'none');
    assert.equal(timeWaitLanding(makeResult((r) => (r.scenario.close.first = 'both')).scenario).side, 'both');
  });

  it('closer: client reset against wait-client puts TIME_WAIT on the client, whatever close.first says', () => {
    const r = makeHttpResult((x) => (x.scenario.close.first = 'server'));
    assert.equal(timeWaitLanding(r.scenario).side, 'client');
    assert.equal(
      finding(r, 'closer')!.text,
      'The scenario has HTTP client "reset" and server policy "wait-client": the client closes after every response (undici reset: true) and the server never closes first, so TIME_WAIT is expected on the client.',
    );
    const f = finding(r, 'time-wait')!;
    assert.equal(f.alert, false);
    assert.doesNotMatch(f.text, /not where the close policy puts it/);
  });

  it('closer: close-after puts it on the server, rst nowhere, and close.client = rst does not matter', () => {
    const closeAfter = makeHttpResult((x) => {
      x.scenario.http.client = 'keepalive';
      x.scenario.http.policy = 'close-after';
      x.scenario.http.closeAfter = 2;
      serverTimeWait(x, 1000);
    });
    assert.equal(timeWaitLanding(closeAfter.scenario).side, 'server');
    assert.match(finding(closeAfter, 'closer')!.text, /server answers with Connection: close after 2 requests on a connection and closes first, so TIME_WAIT is expected on the server\.$/);
    assert.equal(finding(closeAfter, 'time-wait')!.alert, false);

    const rst = makeHttpResult((x) => {
      x.scenario.close.client = 'fin';
      x.scenario.http.policy = 'rst';
      x.summary.timeWait = noTimeWait;
      x.series.census.client = {};
    });
    assert.equal(timeWaitLanding(rst.scenario).side, 'none');
    assert.match(finding(rst, 'closer')!.text, /resets every connection after its response \(SO_LINGER 0\), so no TIME_WAIT is expected, RSTs instead\.$/);
    assert.equal(finding(rst, 'time-wait')!.alert, false);

    // A TCP result with the same close block would expect the client: the protocol decides which is read.
    assert.equal(timeWaitLanding(makeHttpResult((x) => (x.scenario.close.client = 'rst')).scenario).side, 'client');
  });

  it('closer: Connection: close against a keep-alive server is a race; either side is as expected, none is not', () => {
    const race = (edit: (x: ReturnType<typeof makeResult>) => void) =>
      makeHttpResult((x) => {
        x.scenario.http.client = 'connection-close';
        x.scenario.http.policy = 'keepalive';
        edit(x);
      });
    const serverWon = race((x) => serverTimeWait(x, 950));
    assert.equal(timeWaitLanding(serverWon.scenario).side, 'both');
    assert.match(finding(serverWon, 'closer')!.text, /the FINs race and TIME_WAIT may land on either side, or both\.$/);
    assert.equal(finding(serverWon, 'time-wait')!.alert, false);
    assert.equal(finding(race(() => undefined), 'time-wait')!.alert, false);
    const none = race((x) => {
      x.summary.timeWait = noTimeWait;
      x.series.census.client = {};
    });
    assert.equal(finding(none, 'time-wait')!.alert, true);
  });
});

describe('the close sentence says where TIME_WAIT was measured, not only what was asked', () => {
  it('RSTs instead of TIME_WAIT: those of connections the run cut at its stop are said to be its own', () => {
    const cut = makeResult((x) => {
      x.summary.timeWait = noTimeWait;
      x.series.census.client = {};
      x.summary.kernel['TcpOutRsts'] = 64;
      x.interrupted = true;
      x.stoppedBy = 'interrupted';
      addErrors(x, 'CUT_AT_STOP', 'read', 64);
    });
    assert.equal(verdict(cut).headline, 'The client closed first; no socket sat in TIME_WAIT, and the kernel sent 64 RSTs instead (the run cut 64 connections still open at its stop: a close with unread data is an RST).');
    const plain = makeResult((x) => {
      x.summary.timeWait = noTimeWait;
      x.series.census.client = {};
      x.summary.kernel['TcpOutRsts'] = 64;
    });
    assert.equal(verdict(plain).headline, 'The client closed first; no socket sat in TIME_WAIT, and the kernel sent 64 RSTs instead.');
  });

  it('a simultaneous close whose FINs rarely crossed: the side that won, with the split', () => {
    const r = makeResult((x) => {
      x.scenario.close = { ...x.scenario.close, first: 'both' };
      x.summary.timeWait = { ...x.summary.timeWait, peak: 4649, peakClient: 361, peakServer: 4288 };
    });
    // The server's own 4,288, not the total 4,649 (a scenario audit: the total read as the server's).
    assert.equal(verdict(r).headline, "Both sides were asked to close at once, but the server's FIN went first on most connections: 4,288 sockets sat in TIME_WAIT on the server at the peak, and 361 on the client.");
    // A real mix is a simultaneous close as asked.
    const mix = makeResult((x) => {
      x.scenario.close = { ...x.scenario.close, first: 'both' };
      x.summary.timeWait = { ...x.summary.timeWait, peak: 1200, peakClient: 500, peakServer: 700 };
    });
    assert.equal(verdict(mix).headline, 'Both sides closed at once; 1,200 sockets sat in TIME_WAIT on both sides (client 500, server 700) at the peak.');
    // One side's 90 % or more is said: "both sides" alone read as an even split.
    const mostly = makeResult((x) => {
      x.scenario.protocol = 'http';
      x.scenario.http = { ...x.scenario.http, client: 'connection-close', policy: 'keepalive' };
      x.summary.timeWait = { ...x.summary.timeWait, peak: 4598, peakClient: 2, peakServer: 4596 };
    });
    assert.match(verdict(mostly).headline, /sockets sat in TIME_WAIT on both sides, most on the server \(client 2, server 4,596\) at the peak\.$/);
  });

  it('a peer that closed first on its own (an external server): asked and measured both said', () => {
    const r = makeResult((x) => {
      x.summary.timeWait = { ...x.summary.timeWait, peak: 300, peakClient: 2, peakServer: 298 };
    });
    assert.equal(verdict(r).headline, "The scenario asked the client to close first, but the server's FIN went first on most connections: 298 sockets sat in TIME_WAIT on the server at the peak, and 2 on the client.");
    // An RST close predicts no TIME_WAIT; some on the side asked to close first is not "another FIN first".
    const rst = makeResult((x) => {
      x.scenario.close = { ...x.scenario.close, client: 'rst' };
      x.summary.timeWait = { ...x.summary.timeWait, peak: 3, peakClient: 3, peakServer: 0 };
    });
    assert.doesNotMatch(verdict(rst).headline, /FIN went first/);
    // As asked: the usual sentence.
    assert.equal(verdict(makeResult()).headline, 'The client closed first; 1,000 sockets sat in TIME_WAIT on the client at the peak.');
  });

  it('on the host network, the TIME_WAIT the census saw before the load is said beside the peak', () => {
    // An audit: 20 connections to a target read "1,568 sockets sat in TIME_WAIT on the client":
    // 1,548 were an earlier run's, which the host's census counts too.
    const onHost = (isolation: 'host' | 'netns') =>
      makeResult((x) => {
        x.environment.isolation = isolation;
        x.load = { startMs: 500, endMs: 1000 };
        x.series.census = { t: [400, 1400], client: { TIME_WAIT: [1548, 1568] }, server: { TIME_WAIT: [0, 0] } };
        x.summary.timeWait = { ...x.summary.timeWait, peak: 1568, peakClient: 1568, peakServer: 0 };
      });
    assert.equal(
      verdict(onHost('host')).headline,
      'The client closed first; 1,568 sockets sat in TIME_WAIT on the client at the peak. On the host network the census counts every host socket: 1,548 were in TIME_WAIT before the load began.',
    );
    // The run's own namespace starts empty: nothing to say (and a first census taken after the load began is no baseline).
    assert.doesNotMatch(verdict(onHost('netns')).headline, /before the load/);
    const late = onHost('host');
    late.series.census.t[0] = 600;
    assert.doesNotMatch(verdict(late).headline, /before the load/);
  });

  it('your own server that never closed first: the client gave up at its idle timeout, said so', () => {
    // An audit: an echo server under close.first server read "The scenario asked the server to
    // close first, but the client's FIN went first", and each connection's 10 s wait went unexplained.
    const own = (edit: (x: RunResult) => void) =>
      makeResult((x) => {
        (x.scenario.server as { command?: unknown }).command = ['./echo-server'];
        (x.scenario as { client?: unknown }).client = { idleTimeout: 10_000 };
        x.summary.timeWait = { ...x.summary.timeWait, peak: 48, peakClient: 48, peakServer: 0 };
        edit(x);
      });
    const waited = own((x) => {
      x.scenario.close = { ...x.scenario.close, first: 'server' };
      addErrors(x, 'ETIMEDOUT', 'close', 48);
    });
    assert.equal(
      verdict(waited).headline,
      'The client waited for your own server to close first, but it did not: on 48 connections the client gave up after client.idleTimeout (10.0 s) (ETIMEDOUT) and closed first itself: 48 sockets sat in TIME_WAIT on the client at the peak.',
    );
    // Without the timeouts (the server closed, but after the client's FIN): no "asked the server".
    const raced = own((x) => (x.scenario.close = { ...x.scenario.close, first: 'server' }));
    assert.match(verdict(raced).headline, /^The client waited for your own server to close first, but the client's FIN went first:/);
    // close.first both: the client closes at once; close.server (rst here) is the bundled server's and says nothing of yours.
    const both = own((x) => (x.scenario.close = { ...x.scenario.close, first: 'both', server: 'rst' }));
    assert.equal(
      verdict(both).headline,
      "The client closed at once, expecting your own server to close at the same time, but the client's FIN went first: 48 sockets sat in TIME_WAIT on the client at the peak.",
    );
  });
});

describe('who closed first in a raw HTTP run', () => {
  it('is what close-semantics says: one request per connection against keep-alive lets the server close first', () => {
    const raw = (requestsPerConnection: number): RunResult =>
      makeHttpResult((x) => {
        x.scenario.http = { ...x.scenario.http, client: 'raw', policy: 'keepalive', requestsPerConnection };
      });
    assert.match(finding(raw(1), 'closer')!.text, /the server answers Connection: close and closes first; the raw client waits for its FIN/);
    assert.match(finding(raw(1), 'closer')!.text, /TIME_WAIT is expected on the server/);
    assert.match(finding(raw(10), 'closer')!.text, /the raw client closes after 10 request\(s\)/);
  });
});

describe('an HTTP target is named as host:port, an IPv6 one in brackets', () => {
  it('writes [v6]:port (util/format.ts endpoint), not the port as a last group of the address', () => {
    // An audit: "the target's own server (2001:2::10:8080)" read as one address, with no port.
    const v6 = makeHttpResult((x) => {
      x.scenario.target = { text: 'http://[2001:2::10]:8080', host: '2001:2::10', port: 8080, loopback: false } as RunResult['scenario']['target'];
    });
    assert.match(finding(v6, 'closer')!.text, /and the target's own server \(\[2001:2::10\]:8080\): /);
    const v4 = makeHttpResult((x) => {
      x.scenario.target = { text: 'http://198.18.0.10:8080', host: '198.18.0.10', port: 8080, loopback: false } as RunResult['scenario']['target'];
    });
    assert.match(finding(v4, 'closer')!.text, /and the target's own server \(198\.18\.0\.10:8080\): /);
  });
});
