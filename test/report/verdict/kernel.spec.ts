import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finding, makeResult } from '../make-result.js';

describe('verdict rule: kernel counters (verdict/kernel.ts)', () => {
  it('kernel: only counters that moved, absent when none did', () => {
    assert.equal(finding(makeResult(), 'kernel'), undefined);
    const r = makeResult((x) => {
      x.summary.kernel['TcpOutRsts'] = 5;
      x.summary.kernel['TcpExtTWRecycled'] = 9;
      x.summary.kernel['TcpExtTCPTimeWaitOverflow'] = 2;
    });
    const f = finding(r, 'kernel')!;
    assert.match(f.text, /^5 RSTs sent \(TcpOutRsts\); 9 ports taken over from TIME_WAIT \(TWRecycled\); 2 TIME_WAIT sockets destroyed at once/);
    assert.equal(f.alert, true);
  });
});
