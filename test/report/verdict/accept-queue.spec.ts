import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { makeResult } from '../make-result.js';

describe('verdict rule: a full accept queue (verdict/accept-queue.ts)', () => {
  it('listen-backlog: handshakes dropped by a full accept queue, each counted once', () => {
    // The kernel counts an overflow in ListenOverflows and again in ListenDrops: 12 drops, not 24.
    const c = oneChange(makeResult((x) => ((x.summary.kernel['TcpExtListenOverflows'] = 12), (x.summary.kernel['TcpExtListenDrops'] = 12))));
    assert.equal(c.rule, 'listen-backlog');
    assert.match(c.why, /dropped 12 handshakes .* \(somaxconn 4,096\)/);
  });

  it('listen-backlog: not for drops of another cause (ListenDrops without an overflow)', () => {
    const r = makeResult((x) => (x.summary.kernel['TcpExtListenDrops'] = 5));
    assert.notEqual(oneChange(r).rule, 'listen-backlog');
  });
});
