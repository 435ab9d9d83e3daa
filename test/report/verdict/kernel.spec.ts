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
    assert.match(f.text, /^5 RSTs sent \(TcpOutRsts\); 9 ports taken over from TIME_WAIT \(TWRecycled\); 2 connections closed with no TIME_WAIT/);
    assert.equal(f.alert, true);
  });

  it('listener drops: ListenDrops is the total, ListenOverflows a part the kernel counts in both', () => {
    // tcp_conn_request / tcp_v4_syn_recv_sock: an overflow bumps LISTENOVERFLOWS, then tcp_listendrop() LISTENDROPS.
    const both = finding(makeResult((x) => ((x.summary.kernel['TcpExtListenOverflows'] = 2), (x.summary.kernel['TcpExtListenDrops'] = 2))), 'kernel')!;
    assert.equal(both.text, '2 handshakes dropped at the listener (ListenDrops), all by a full accept queue (ListenOverflows).');
    assert.equal(both.alert, true);
    const part = finding(makeResult((x) => ((x.summary.kernel['TcpExtListenOverflows'] = 3), (x.summary.kernel['TcpExtListenDrops'] = 7))), 'kernel')!;
    assert.equal(part.text, '7 handshakes dropped at the listener (ListenDrops), 3 by a full accept queue (ListenOverflows).');
    const other = finding(makeResult((x) => (x.summary.kernel['TcpExtListenDrops'] = 4)), 'kernel')!;
    assert.equal(other.text, '4 handshakes dropped at the listener (ListenDrops).');
  });
});
