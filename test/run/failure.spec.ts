// When a run that went through is still a failure: every connection failed, or nothing was tried.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failureOf } from '../../src/run/execute.js';
import { LoadStats } from '../../src/metrics/load-stats.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import type { Scenario } from '../../src/scenario/index.js';
import { resolveScenarioPath } from '../../src/scenario/bundled.js';

const plain = await loadScenarioFile(resolveScenarioPath('client-closes-first'));
const rstDataLoss = await loadScenarioFile(resolveScenarioPath('rst-data-loss'));

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
    assert.equal(failureOf(all, false, plain), 'every connection failed (10 attempted: ENETUNREACH 7, EMFILE 3)');
  });

  it('some connections failing is the phenomenon, not a failure', () => {
    assert.equal(failureOf(stats([{ ok: true }, { ok: false, code: 'EADDRNOTAVAIL' }]), false, plain), null);
  });

  it('every connection reset is the phenomenon when the bundled server was asked to reset (rst-data-loss), a failure otherwise', () => {
    const resets = (): LoadStats => stats(Array(40).fill({ ok: false, code: 'ECONNRESET' }));
    assert.equal(failureOf(resets(), false, rstDataLoss), null);
    // The same resets from a server that should have closed with FIN: the setup broke.
    assert.equal(failureOf(resets(), false, plain), 'every connection failed (40 attempted: ECONNRESET 40)');
    // Its FIN variant, a user's server, or another error with the RST asked for: still failures.
    const fin: Scenario = { ...rstDataLoss, close: { ...rstDataLoss.close, server: 'fin' } };
    assert.equal(failureOf(resets(), false, fin), 'every connection failed (40 attempted: ECONNRESET 40)');
    const own: Scenario = { ...rstDataLoss, server: { ...rstDataLoss.server, command: ['my-server'] } };
    assert.match(failureOf(resets(), false, own) ?? '', /^every connection failed/);
    const refused = stats(Array(40).fill({ ok: false, code: 'ECONNREFUSED' }));
    assert.equal(failureOf(refused, false, rstDataLoss), 'every connection failed (40 attempted: ECONNREFUSED 40)');
  });

  it('no connection attempted is a failure, unless the run was interrupted before the load', () => {
    assert.equal(failureOf(stats([]), false, plain), 'the load driver attempted no connection');
    assert.equal(failureOf(stats([]), true, plain), null);
  });

  it('every HTTP request failing is a failure even when connections were made', () => {
    const s = stats([{ ok: true }]);
    s.recordRequest(false, 1);
    s.recordRequest(false, 2);
    assert.match(failureOf(s, false, plain) ?? '', /^every HTTP request failed \(2 attempted/);
  });
});
