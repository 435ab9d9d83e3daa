import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';

describe('verdict rules: isolation and interruption (verdict/isolation.ts, verdict/interrupted.ts)', () => {
  it('isolation and interruption are called out', () => {
    assert.equal(finding(makeResult(), 'isolation'), undefined);
    const host = makeResult((x) => {
      x.environment.isolation = 'host';
      x.environment.how = 'isolation: host';
    });
    assert.match(finding(host, 'isolation')!.text, /^Ran on the HOST network/);
    assert.match(finding(makeResult((x) => (x.interrupted = true)), 'interrupted')!.text, /interrupted/);
  });
});
