// Every verdict rule on hand-made results: each test bends one figure and checks the finding
// or the one change that figure must produce.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectedTimeWaitSide, oneChange, verdict, type FindingRule } from '../../src/report/verdict.js';
import { story } from '../../src/report/story.js';
import { rankColumn } from '../../src/report/html/compare.js';
import type { RunResult } from '../../src/metrics/result.js';
import { makeHttpResult, makeResult } from './make-result.js';

const finding = (r: ReturnType<typeof makeResult>, rule: FindingRule) => verdict(r).findings.find((f) => f.rule === rule);

describe('verdict findings', () => {
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
    assert.equal(expectedTimeWaitSide(answeredWithRst), 'none');
    assert.equal(expectedTimeWaitSide(makeResult((r) => (r.scenario.close.first = 'both'))), 'both');
  });

  it('time-wait: peak, side, when, what was left — and no alert when it matches the close policy', () => {
    const f = finding(makeResult(), 'time-wait')!;
    assert.equal(f.text, 'Peak 1,000 on the client (server 0), reached at 1.00 s. 1,000 were still there when sampling stopped: each lasts 60 s on Linux.');
    assert.equal(f.alert, false);
  });

  it('time-wait: flags TIME_WAIT on the side the close policy does not put it', () => {
    const r = makeResult((x) => {
      x.summary.timeWait = { peak: 500, peakClient: 0, peakServer: 500, end: 0, sockstatPeak: 500 };
      x.series.census.client = {};
      x.series.census.server = { LISTEN: [1, 1, 1], TIME_WAIT: [0, 500, 0] };
    });
    const f = finding(r, 'time-wait')!;
    assert.equal(f.alert, true);
    assert.match(f.text, /^Peak 500 on the server \(client 0\), reached at 1\.00 s\. None was left at the end\. That is not where the close policy puts it \(expected: the client\)\.$/);
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

  it('ports: ran out, with when, the range and the EADDRNOTAVAIL count', () => {
    const r = makeResult((x) => {
      x.summary.ports.exhaustedAtMs = 250;
      x.summary.ports.range = { low: 40000, high: 40499, size: 500 };
      x.summary.ports.distinct = 500;
      x.summary.errors = { EADDRNOTAVAIL: 200 };
    });
    const f = finding(r, 'ports')!;
    assert.equal(f.alert, true);
    assert.equal(f.text, 'Ran out after 0.25 s: the range 40000–40499 has 500 ports, 500 distinct ports were used, and 200 connects failed with EADDRNOTAVAIL.');
  });

  it('ports: never ran out, with the share held and the reuse gaps', () => {
    const r = makeResult((x) => {
      x.summary.ports.reuses = 40;
      x.summary.ports.minReuseIntervalMs = 1001;
      x.summary.ports.medianReuseIntervalMs = 1005;
    });
    const f = finding(r, 'ports')!;
    assert.equal(f.alert, false);
    assert.match(f.text, /^Never ran out: at most 1,000 client ports were held at once \(3\.5% of the range\)/);
    assert.match(f.text, /40 connections got a port used before; the shortest gap was 1001 ms, the median 1005 ms/);
  });

  it('errors: none, or by code with phases on each side', () => {
    assert.equal(finding(makeResult(), 'errors')!.text, 'None on either side.');
    const r = makeResult((x) => {
      x.errors = { EADDRNOTAVAIL: { total: 7, byPhase: { connect: 7 } }, ECONNRESET: { total: 2, byPhase: { read: 1, close: 1 } } };
      x.summary.serverErrors = { EPIPE: 3 };
    });
    const f = finding(r, 'errors')!;
    assert.equal(f.text, 'Client: EADDRNOTAVAIL 7 (connect 7), ECONNRESET 2 (read 1, close 1); server: EPIPE 3.');
    assert.equal(f.alert, true);
  });

  it('kernel: only counters that moved, absent when none did', () => {
    assert.equal(finding(makeResult(), 'kernel'), undefined);
    const r = makeResult((x) => {
      x.summary.kernel['TcpOutRsts'] = 5;
      x.summary.kernel['TcpExtTWRecycled'] = 9;
      x.summary.kernel['TcpExtTCPTimeWaitOverflow'] = 2;
    });
    const f = finding(r, 'kernel')!;
    assert.match(f.text, /^5 RSTs sent \(TcpOutRsts\); 9 ports taken over from TIME_WAIT \(TWRecycled\); 2 TIME_WAIT sockets destroyed at once/);
    assert.equal(f.alert, true);
  });

  it('isolation and interruption are called out', () => {
    assert.equal(finding(makeResult(), 'isolation'), undefined);
    const host = makeResult((x) => {
      x.environment.isolation = 'host';
      x.environment.how = 'isolation: host';
    });
    assert.match(finding(host, 'isolation')!.text, /^Ran on the HOST network/);
    assert.match(finding(makeResult((x) => (x.interrupted = true)), 'interrupted')!.text, /interrupted/);
  });

  it('the headline is the terminal story\'s first sentence', () => {
    const r = makeResult();
    assert.equal(verdict(r).headline, story(r)[0]);
    assert.equal(verdict(r).headline, 'The client closed first; 1,000 sockets sat in TIME_WAIT on the client at the peak.');
  });
});

describe('the one change', () => {
  it('none: a healthy run says so, with the headroom', () => {
    const c = oneChange(makeResult());
    assert.equal(c.rule, 'none');
    assert.match(c.why, /At most 1,000 of 28,232 client ports were held \(3\.5%\)\.$/);
  });

  it('reuseaddr-listener: the server could not bind over TIME_WAIT', () => {
    const c = oneChange(makeResult((x) => (x.summary.serverErrors = { EADDRINUSE: 1 })));
    assert.equal(c.rule, 'reuseaddr-listener');
    assert.match(c.change, /SO_REUSEADDR on the listener/);
  });

  it('widen-port-range: ran out, and the load fits in a wider range', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 700;
        x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 200, range: { low: 40000, high: 40499, size: 500 } };
        x.summary.errors = { EADDRNOTAVAIL: 200 };
      }),
    );
    assert.equal(c.rule, 'widen-port-range');
    assert.match(c.why, /needs about 700 ports per destination/);
    assert.match(c.why, /A range of at least 700 ports/);
  });

  it('widen-port-range also fires on a projection: the rate would exhaust the range within TIME_WAIT', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 1_000_000;
        x.summary.connections.ratePerSec = 600; // 36,000 ports per 60 s > 28,232, < 64,512
      }),
    );
    assert.equal(c.rule, 'widen-port-range');
    assert.match(c.why, /At 600 new connections\/s the 28,232-port range would run out after 47\.1 s/);
  });

  it('server-closes-first: no range is wide enough, but the server\'s TIME_WAIT table can hold it', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 1_000_000;
        x.summary.connections.ratePerSec = 2000; // 120,000 > 64,512 ports; ≤ 131,072 buckets
      }),
    );
    assert.equal(c.rule, 'server-closes-first');
    assert.match(c.why, /120,000 TIME_WAIT sockets fit under its tcp_max_tw_buckets \(131,072\)/);
  });

  it('keep-alive: beyond any port range and any TIME_WAIT table', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 10_000_000;
        x.summary.connections.ratePerSec = 8000;
      }),
    );
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.why, /480,000 ports/);
  });

  it('tcp_tw_reuse shortens the hold: the measured reuse gap replaces 60 s', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 1_000_000;
        x.summary.connections.ratePerSec = 2000;
        x.summary.kernel['TcpExtTWRecycled'] = 500;
        x.summary.ports.medianReuseIntervalMs = 1000;
      }),
    );
    assert.equal(c.rule, 'none');
  });

  it('listen-backlog: SYNs dropped by a full accept queue', () => {
    const c = oneChange(makeResult((x) => (x.summary.kernel['TcpExtListenOverflows'] = 12)));
    assert.equal(c.rule, 'listen-backlog');
    assert.match(c.why, /dropped 12 SYNs .* \(somaxconn 4,096\)/);
  });

  it('keep-alive: tcp_max_tw_buckets overflowed', () => {
    const c = oneChange(makeResult((x) => (x.summary.kernel['TcpExtTCPTimeWaitOverflow'] = 30)));
    assert.equal(c.rule, 'keep-alive');
    assert.match(c.why, /destroyed 30 TIME_WAIT sockets/);
  });

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
});

describe('verdict on HTTP runs: close.* is not used, the client mode and server policy decide', () => {
  const noTimeWait = { peak: 0, peakClient: 0, peakServer: 0, end: 0, sockstatPeak: 0 };
  const serverTimeWait = (x: ReturnType<typeof makeResult>, n: number): void => {
    x.summary.timeWait = { peak: n, peakClient: 0, peakServer: n, end: n, sockstatPeak: n };
    x.series.census.client = {};
    x.series.census.server = { LISTEN: [1, 1, 1], TIME_WAIT: [0, n, n] };
  };

  it('closer: client reset against wait-client puts TIME_WAIT on the client, whatever close.first says', () => {
    const r = makeHttpResult((x) => (x.scenario.close.first = 'server'));
    assert.equal(expectedTimeWaitSide(r), 'client');
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
    assert.equal(expectedTimeWaitSide(closeAfter), 'server');
    assert.match(finding(closeAfter, 'closer')!.text, /server answers with Connection: close after 2 requests on a connection and closes first, so TIME_WAIT is expected on the server\.$/);
    assert.equal(finding(closeAfter, 'time-wait')!.alert, false);

    const rst = makeHttpResult((x) => {
      x.scenario.close.client = 'fin';
      x.scenario.http.policy = 'rst';
      x.summary.timeWait = noTimeWait;
      x.series.census.client = {};
    });
    assert.equal(expectedTimeWaitSide(rst), 'none');
    assert.match(finding(rst, 'closer')!.text, /resets every connection after its response \(SO_LINGER 0\), so no TIME_WAIT is expected, RSTs instead\.$/);
    assert.equal(finding(rst, 'time-wait')!.alert, false);

    // A TCP result with the same close block would expect the client: the protocol decides which is read.
    assert.equal(expectedTimeWaitSide(makeHttpResult((x) => (x.scenario.close.client = 'rst'))), 'client');
  });

  it('closer: Connection: close against a keep-alive server is a race; either side is as expected, none is not', () => {
    const race = (edit: (x: ReturnType<typeof makeResult>) => void) =>
      makeHttpResult((x) => {
        x.scenario.http.client = 'connection-close';
        x.scenario.http.policy = 'keepalive';
        edit(x);
      });
    const serverWon = race((x) => serverTimeWait(x, 950));
    assert.equal(expectedTimeWaitSide(serverWon), 'both');
    assert.match(finding(serverWon, 'closer')!.text, /the FINs race and TIME_WAIT may land on either side, or both\.$/);
    assert.equal(finding(serverWon, 'time-wait')!.alert, false);
    assert.equal(finding(race(() => undefined), 'time-wait')!.alert, false);
    const none = race((x) => {
      x.summary.timeWait = noTimeWait;
      x.series.census.client = {};
    });
    assert.equal(finding(none, 'time-wait')!.alert, true);
  });

  it('closer: TIME_WAIT on the server where the HTTP mode puts it on the client is flagged', () => {
    const r = makeHttpResult((x) => serverTimeWait(x, 500));
    const f = finding(r, 'time-wait')!;
    assert.equal(f.alert, true);
    assert.match(f.text, /That is not where the close policy puts it \(expected: the client\)\.$/);
  });

  it('requests: totals, rate and what each connection carried; a TCP run has no such finding', () => {
    const f = finding(makeHttpResult(), 'requests')!;
    assert.equal(f.text, '1,000 sent, 1,000 ok, 0 failed, 2,000 ok/s, over 1,000 connections: every request opened its own connection.');
    assert.equal(f.alert, false);
    const pooled = makeHttpResult((x) => {
      x.scenario.http.client = 'keepalive';
      x.summary.connections.established = 16;
      x.summary.requests = { total: 20_000, ok: 19_990, failed: 10, ratePerSec: 9800, perConnection: 1249.4 };
    });
    const p = finding(pooled, 'requests')!;
    assert.equal(p.text, '20,000 sent, 19,990 ok, 10 failed, 9,800 ok/s, over 16 connections: 1249.4 requests per connection.');
    assert.equal(p.alert, true);
    assert.equal(finding(makeResult(), 'requests'), undefined);
  });

  it('one change: ports ran out because every request opened a connection → a keep-alive pool, not a wider range', () => {
    const c = oneChange(
      makeHttpResult((x) => {
        x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 250, range: { low: 40000, high: 40499, size: 500 } };
        x.summary.errors = { EADDRNOTAVAIL: 500 };
        x.summary.requests = { total: 1000, ok: 500, failed: 500, ratePerSec: 2000, perConnection: 1 };
      }),
    );
    assert.equal(c.rule, 'keep-alive');
    assert.equal(c.change, 'Reuse connections: a keep-alive pool, without reset: true');
    assert.match(c.why, /^The 500-port range ran out after 0\.25 s: .* needs about 1,000 ports per destination\./);
    assert.match(c.why, /Every request opened its own connection \(1 request per connection\): undici reset: true/);
    assert.match(c.why, /needs at most 16 of them/);
  });

  it('one change: the advice names what churns — the per-request client, Connection: close, or the server', () => {
    const exhausted = (x: ReturnType<typeof makeResult>): void => {
      x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 250, range: { low: 40000, high: 40499, size: 500 } };
      x.summary.errors = { EADDRNOTAVAIL: 10 };
    };
    const change = (edit: (h: RunResult['scenario']['http']) => void) =>
      oneChange(makeHttpResult((x) => {
        exhausted(x);
        edit(x.scenario.http);
      })).change;
    assert.match(change((h) => (h.client = 'agent-per-request')), /share one keep-alive pool .* instead of a new client per request/);
    assert.match(change((h) => (h.client = 'connection-close')), /without Connection: close/);
    assert.match(change((h) => {
      h.client = 'keepalive';
      h.policy = 'close-after';
    }), /^Let the server keep connections open/);
    assert.match(change((h) => {
      h.client = 'keepalive';
      h.policy = 'keepalive';
      h.maxRequestsPerConnection = 2;
    }), /maxRequestsPerConnection 2/);
    // Plain keep-alive that still ran out: nothing churns, so the TCP advice (a wider range) stands.
    assert.equal(oneChange(makeHttpResult((x) => {
      exhausted(x);
      x.scenario.http.client = 'keepalive';
    })).rule, 'widen-port-range');
  });

  it('one change: the burst is http.requests, not the unused connections field', () => {
    // 2,000 new connections/s would need 120,000 ports over 60 s; the 1,000 requests need 1,000,
    // so no port rule fires (the churn itself is still advised against, below).
    const ok = oneChange(makeHttpResult((x) => (x.scenario.connections = 1_000_000)));
    assert.doesNotMatch(ok.why, /would run out/);
    assert.match(ok.why, /Nothing ran out at this load/);
    const big = oneChange(makeHttpResult((x) => (x.scenario.http.requests = 1_000_000)));
    assert.equal(big.rule, 'keep-alive');
    assert.match(big.why, /At 2,000 new connections\/s the 28,232-port range would run out/);
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

  it('one change: nothing ran out, but every request opened a connection → a keep-alive pool', () => {
    const c = oneChange(makeHttpResult());
    assert.equal(c.rule, 'keep-alive');
    assert.equal(c.change, 'Reuse connections: a keep-alive pool, without reset: true');
    assert.equal(
      c.why,
      '1,000 requests opened 1,000 connections (one per request), and up to 1,000 of them sat in TIME_WAIT (the client) for 60 s: ' +
        'undici reset: true sends Connection: close and closes the connection after every response. Nothing ran out at this load, ' +
        'but a pool that keeps its connections serves the same requests over at most 16 (http.connections, else concurrency), ' +
        'without a handshake or a TIME_WAIT per request.',
    );
    // No more connections than the pool holds: nothing to change, with the request rate quoted.
    const pooled = oneChange(
      makeHttpResult((x) => {
        x.scenario.http.policy = 'close-after';
        x.scenario.http.closeAfter = 100;
        x.scenario.http.client = 'keepalive';
        x.summary.connections.established = 10;
        x.summary.connections.ratePerSec = 20;
        x.summary.requests = { total: 1000, ok: 1000, failed: 0, ratePerSec: 2000, perConnection: 100 };
      }),
    );
    assert.equal(pooled.rule, 'none');
    assert.match(pooled.why, /at 20 new connections\/s \(2,000 requests\/s, 100 per connection\) the TIME_WAIT left behind fits/);
    // Plain keep-alive never churns, however many connections it took.
    assert.equal(oneChange(makeHttpResult((x) => (x.scenario.http.client = 'keepalive'))).rule, 'none');
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

  it('the headline is the HTTP story sentence', () => {
    const r = makeHttpResult();
    assert.equal(verdict(r).headline, story(r)[0]);
    assert.match(verdict(r).headline, /^HTTP client "reset", server policy "wait-client"/);
  });
});

describe('comparison ranking', () => {
  it('marks best and worst, and nothing when all agree', () => {
    assert.deepEqual(rankColumn([3, 1, 2], 'lower'), ['worst', 'best', null]);
    assert.deepEqual(rankColumn([3, 1, 2], 'higher'), ['best', 'worst', null]);
    assert.deepEqual(rankColumn([5, 5], 'lower'), [null, null]);
    assert.deepEqual(rankColumn([5, null, 1], 'lower'), ['worst', null, 'best']);
    assert.deepEqual(rankColumn([1, 2], null), [null, null]);
  });
});

describe('verdict findings for the socket options', () => {
  it('restart: a failed restart is an alert naming EADDRINUSE and TIME_WAIT; SO_REUSEADDR is the one change', () => {
    const failed = makeResult((r) => {
      r.scenario.close.first = 'server';
      r.summary.timeWait = { ...r.summary.timeWait, peak: 900, peakServer: 900, peakClient: 0 };
      r.summary.restart = { ok: false, unavailableMs: 3000, attempts: 30, failures: { EADDRINUSE: 30 } };
      r.summary.serverErrors = { EADDRINUSE: 30 };
    });
    const f = finding(failed, 'restart')!;
    assert.equal(f.alert, true);
    assert.match(f.text, /could not listen for the whole 3\.00 s: 30 binds failed \(EADDRINUSE 30\), because TIME_WAIT sockets hold its port/);
    assert.equal(oneChange(failed).rule, 'reuseaddr-listener');
    const ok = makeResult((r) => (r.summary.restart = { ok: true, unavailableMs: 2, attempts: 1, failures: {} }));
    assert.equal(finding(ok, 'restart')!.alert, false);
    assert.match(finding(ok, 'restart')!.text, /listened again at once/);
    assert.equal(finding(makeResult(), 'restart'), undefined, 'no restart phase, no finding');
  });

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
    assert.equal(finding(makeResult(), 'sockets'), undefined);
  });
});
