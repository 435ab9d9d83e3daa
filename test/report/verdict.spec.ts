import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHANGES, FINDINGS, oneChange, verdict } from '../../src/report/verdict.js';
import { story } from '../../src/report/story.js';
import { addErrors, makeHttpResult, makeResult } from './make-result.js';

describe('the verdict: its tables of rules, the headline', () => {
  it('the headline is the terminal story\'s first sentence', () => {
    const r = makeResult();
    assert.equal(verdict(r).headline, story(r)[0]);
    assert.equal(verdict(r).headline, 'The client closed first; 1,000 sockets sat in TIME_WAIT on the client at the peak.');
  });

  it('the headline is the HTTP story sentence', () => {
    const r = makeHttpResult();
    assert.equal(verdict(r).headline, story(r)[0]);
    assert.match(verdict(r).headline, /^HTTP client "reset", server policy "wait-client"; [\d,]+ sockets sat in TIME_WAIT on the client at the peak: the client closed first\.$/);
  });

  it('shows the findings in table order, one per rule, and the first change rule that fires wins', () => {
    const r = makeResult((x) => {
      x.interrupted = true;
      x.summary.serverErrors = { EADDRINUSE: 3 };
      addErrors(x, 'EADDRNOTAVAIL', 'connect', 10);
      x.summary.ports.exhaustedAtMs = 300;
    });
    const rules = verdict(r).findings.map((f) => f.rule);
    assert.deepEqual(rules, ['closer', 'time-wait', 'ports', 'errors', 'interrupted']);
    assert.equal(FINDINGS.length, 20);
    // Both the listener rule and the client-port rule fire; the listener's comes first in CHANGES.
    const fired = CHANGES.map((rule) => rule(r)?.rule ?? null).filter((x) => x !== null);
    assert.deepEqual(fired.slice(0, 2), ['reuseaddr-listener', 'widen-port-range']);
    assert.equal(oneChange(r).rule, 'reuseaddr-listener');
    r.summary.serverErrors = {};
    assert.equal(oneChange(r).rule, 'widen-port-range');
  });
});
