import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';
import { verdict } from '../../../src/report/verdict.js';

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

describe('verdict rules: a failed run (verdict/interrupted.ts)', () => {
  it('says why it failed, first, marked CHECK; a run that did not fail has no such finding', () => {
    // Seen in the report of a run whose server.command exited mid-run: the reason was only in the
    // header's small print, and the verdict said no rule explained the failed connections.
    const why = 'server.command "timeout 1 python3 -m http.server 7000" exited during the run (code 124)';
    const v = verdict(makeResult((x) => (x.failed = why)));
    assert.equal(v.findings[0]!.rule, 'failed');
    assert.equal(v.findings[0]!.alert, true);
    assert.equal(v.findings[0]!.text, `The run failed: ${why}. The figures are what was measured until then.`);
    assert.equal(finding(makeResult(), 'failed'), undefined);
  });
});
