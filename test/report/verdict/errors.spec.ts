import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';

describe('verdict rule: errors (verdict/errors.ts)', () => {
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
});
