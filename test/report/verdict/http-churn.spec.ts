import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import type { RunResult } from '../../../src/result/model.js';
import { addErrors, makeHttpResult, makeResult } from '../make-result.js';

describe('verdict rule: HTTP connection churn (verdict/http-churn.ts)', () => {
  it('one change: the advice names what churns — the per-request client, Connection: close, or the server', () => {
    const exhausted = (x: ReturnType<typeof makeResult>): void => {
      x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 250, range: { low: 40000, high: 40499, size: 500 } };
      addErrors(x, 'EADDRNOTAVAIL', 'connect', 10);
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

  it('one change: nothing ran out, but every request opened a connection → a keep-alive pool', () => {
    const c = oneChange(makeHttpResult());
    assert.equal(c.rule, 'keep-alive');
    assert.equal(c.change, 'Reuse connections: a keep-alive pool, without reset: true');
    assert.equal(
      c.why,
      '1,000 requests opened 1,000 connections (one per request), and up to 1,000 of them sat in TIME_WAIT (the client) for 60 s: ' +
        'undici reset: true sends Connection: close and closes the connection after every response. Nothing ran out at this load, ' +
        'but a pool that keeps its connections serves the same requests over at most 16 (the closed loop\'s peak in flight, as http.connections is not set), ' +
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
});

describe('the keep-alive pool of a closed ramp is its peak (httpPoolConnections)', () => {
  it('a ramp from 2 to 8 in flight that opened 8 connections did not churn, as a flat 8 would not', () => {
    const ramp = (opened: number) =>
      makeHttpResult((x) => {
        x.scenario.http.client = 'keepalive';
        x.scenario.http.policy = 'close-after';
        x.scenario.http.closeAfter = 2;
        x.scenario.http.connections = null;
        x.scenario.concurrency = 2;
        x.scenario.stages = [{ duration: 2000, target: 8 }];
        x.summary.connections = { ...x.summary.connections, established: opened, attempted: opened, completed: opened };
      });
    assert.ok(!['http-churn', 'keep-alive'].includes(oneChange(ramp(8)).rule), oneChange(ramp(8)).rule);
    const churned = oneChange(ramp(400));
    assert.equal(churned.rule, 'keep-alive');
    assert.match(churned.why, /at most 8 \(the closed loop's peak in flight, as http\.connections is not set\)/);
  });

  it('the sentence names where the pool size came from: http.connections, or an open loop\'s concurrency', () => {
    const churned = (edit: (x: ReturnType<typeof makeHttpResult>) => void) =>
      oneChange(makeHttpResult((x) => {
        x.scenario.http.client = 'keepalive';
        x.scenario.http.policy = 'close-after';
        x.scenario.http.closeAfter = 2;
        x.scenario.concurrency = 4;
        x.summary.connections = { ...x.summary.connections, established: 400, attempted: 400, completed: 400 };
        edit(x);
      })).why;
    assert.match(churned((x) => (x.scenario.http.connections = 6)), /at most 6 \(http\.connections\)/);
    assert.match(churned((x) => { x.scenario.http.connections = null; x.scenario.rate = 500; }), /at most 4 \(an open loop's concurrency, as http\.connections is not set\)/);
  });
});
