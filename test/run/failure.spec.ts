// When a run that went through is still a failure: every connection failed, or nothing was tried.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failureOf } from '../../src/run/execute.js';
import { LoadStats } from '../../src/metrics/load-stats.js';

function stats(attempts: Array<{ ok: boolean; code?: string }>): LoadStats {
  const s = new LoadStats(100);
  attempts.forEach(({ ok, code }, i) => {
    s.recordAttempt(i);
    if (ok) {
      s.recordEstablished(i, 50, 40000 + i);
      s.recordCompleted(i);
    } else {
      s.recordError(code ?? 'ENETUNREACH', 'connect', i);
      s.recordFailed(i);
    }
  });
  return s;
}

describe('failureOf', () => {
  it('every connection failed: names the count and the commonest errors', () => {
    const all = stats([...Array(7).fill({ ok: false, code: 'ENETUNREACH' }), ...Array(3).fill({ ok: false, code: 'EMFILE' })]);
    assert.equal(failureOf(all, false), 'every connection failed (10 attempted: ENETUNREACH 7, EMFILE 3)');
  });

  it('some connections failing is the phenomenon, not a failure', () => {
    assert.equal(failureOf(stats([{ ok: true }, { ok: false, code: 'EADDRNOTAVAIL' }]), false), null);
  });

  it('no connection attempted is a failure, unless the run was interrupted before the load', () => {
    assert.equal(failureOf(stats([]), false), 'the load driver attempted no connection');
    assert.equal(failureOf(stats([]), true), null);
  });

  it('every HTTP request failing is a failure even when connections were made', () => {
    const s = stats([{ ok: true }]);
    s.recordRequest(false, 1);
    s.recordRequest(false, 2);
    assert.match(failureOf(s, false) ?? '', /^every HTTP request failed \(2 sent/);
  });
});
