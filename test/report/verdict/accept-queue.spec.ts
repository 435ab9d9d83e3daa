import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { makeResult } from '../make-result.js';

describe('verdict rule: a full accept queue (verdict/accept-queue.ts)', () => {
  it('listen-backlog: SYNs dropped by a full accept queue', () => {
    const c = oneChange(makeResult((x) => (x.summary.kernel['TcpExtListenOverflows'] = 12)));
    assert.equal(c.rule, 'listen-backlog');
    assert.match(c.why, /dropped 12 SYNs .* \(somaxconn 4,096\)/);
  });
});
