import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { makeResult } from '../make-result.js';

describe('verdict rule: nothing to change (verdict/nothing.ts)', () => {
  it('none: a healthy run says so, with the headroom', () => {
    const c = oneChange(makeResult());
    assert.equal(c.rule, 'none');
    assert.match(c.why, /At most 1,000 of 28,232 client ports were held \(3\.5%\)\.$/);
  });
});
