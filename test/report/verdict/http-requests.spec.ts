import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeHttpResult, makeResult } from '../make-result.js';

describe('verdict rule: HTTP requests per connection (verdict/http-requests.ts)', () => {
  it('requests: totals, rate and what each connection carried; a TCP run has no such finding', () => {
    const f = finding(makeHttpResult(), 'requests')!;
    assert.equal(f.text, '1,000 attempted, 1,000 ok, 0 failed, 2,000 ok/s, over 1,000 connections: every request opened its own connection.');
    assert.equal(f.alert, false);
    const pooled = makeHttpResult((x) => {
      x.scenario.http.client = 'keepalive';
      x.summary.connections.established = 16;
      x.summary.requests = { total: 20_000, ok: 19_990, failed: 10, ratePerSec: 9800, perConnection: 1249.4 };
    });
    const p = finding(pooled, 'requests')!;
    assert.equal(p.text, '20,000 attempted, 19,990 ok, 10 failed, 9,800 ok/s, over 16 connections: 1249.4 requests per connection.');
    assert.equal(p.alert, true);
    assert.equal(finding(makeResult(), 'requests'), undefined);
  });
});
