// The fault scenarios (issue 12), small, each in a fresh namespace with real nft rules, judged
// by the kernel's own counters: nft's count of what it dropped, TcpRetransSegs, TcpOutRsts,
// TCPTimeWaitOverflow and the TIME_WAIT census (checked against `ss`).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns } from '../helpers/netns.js';
import { verdict } from '../../src/report/verdict.js';

const SMALL = ['connections=300', 'tail=1s', 'census=200ms', 'matrix={}'];

describe('fault scenarios, each in a fresh namespace', () => {
  it('lost-final-ack: the final ACKs nft dropped equal its counter and the FINs the server retransmitted', async () => {
    const { result, ss } = await runInNetns('lost-final-ack', [...SMALL, 'faults=[{"packets":"final-ack","direction":"to-server","count":50}]']);
    assert.deepEqual(result.faults?.map((f) => [f.rule, f.matched]), [['drop final-ack to-server (first 50)', 50]]);
    // Each lost final ACK costs exactly one FIN retransmission: the TIME_WAIT side ACKs the copy.
    assert.equal(result.summary.kernel['TcpRetransSegs'], 50);
    assert.equal(result.summary.kernel['TcpOutRsts'], 0);
    assert.deepEqual(result.summary.errors, {});
    assert.equal(ss.client, 300);
    assert.equal(result.summary.timeWait.end, 300);
    assert.match(verdict(result).findings.find((f) => f.rule === 'faults')!.text, /^50 final ACKs to the server dropped by nft.*retransmitted its FIN \(50 /);
  });

  it('lost-final-ack with close.client rst: no TIME_WAIT, so no final ACK for nft to drop', async () => {
    const { result } = await runInNetns('lost-final-ack', [...SMALL, 'close.client=rst']);
    assert.equal(result.faults?.[0]?.matched, 0);
    assert.equal(result.summary.timeWait.end, 0);
    assert.equal(result.summary.kernel['TcpRetransSegs'], 0);
  });

  for (const rfc1337 of [0, 1]) {
    it(`rfc1337-assassination with tcp_rfc1337=${rfc1337}: the RSTs ${rfc1337 === 0 ? 'kill' : 'do not kill'} the TIME_WAIT sockets`, async () => {
      const { result, ss } = await runInNetns('rfc1337-assassination', [
        ...SMALL,
        'faults=[{"packets":"final-ack","direction":"to-server","action":"reset","count":60}]',
        `environment.sysctls.net.ipv4.tcp_rfc1337=${rfc1337}`,
      ]);
      assert.equal(result.environment.sysctls['net.ipv4.tcp_rfc1337'], String(rfc1337));
      assert.equal(result.faults?.[0]?.matched, 60);
      assert.equal(result.summary.kernel['TcpExtTW'], 300);
      // An assassinated client has no socket for the server's retransmitted FIN: it sends RST,
      // one per socket killed, so the kernel's own count says how many died.
      const killed = result.summary.kernel['TcpOutRsts']!;
      if (rfc1337 === 1) assert.equal(killed, 0);
      // Nearly every one, not always all 60. The likely race: tcp_fin() in FIN_WAIT2 sends the
      // final ACK before tcp_time_wait() puts the timewait socket in its place. When the FIN was
      // taken from the backlog of a socket its process held (release_sock, softirqs on), nft's
      // RST can arrive in between, meet the full socket, wait on its lock and then find it
      // closed: no TIME_WAIT to kill. Seen once in ~30 fresh-clone runs (59 killed, 241 left).
      else assert.ok(killed >= 54 && killed <= 60, `tcp_rfc1337=0: ${killed} of the 60 RSTs killed a TIME_WAIT socket`);
      assert.equal(ss.client, 300 - killed);
      assert.equal(result.summary.timeWait.end, 300 - killed);
      assert.equal(result.summary.kernel['TcpRetransSegs'], 60);
      const f = verdict(result).findings.find((x) => x.rule === 'assassination')!;
      assert.match(f.text, rfc1337 === 0 ? new RegExp(`^${killed} of 300 TIME_WAIT sockets were gone`) : /none was killed: tcp_rfc1337=1/);
    });
  }

  it('tw-bucket-overflow: TIME_WAIT caps at tcp_max_tw_buckets, TCPTimeWaitOverflow counts the rest', async () => {
    const { result, ss } = await runInNetns('tw-bucket-overflow', [...SMALL, 'environment.sysctls.net.ipv4.tcp_max_tw_buckets=100']);
    assert.equal(result.summary.kernel['TcpExtTCPTimeWaitOverflow'], 200);
    assert.equal(result.summary.timeWait.peak, 100);
    assert.equal(ss.client, 100);
    assert.deepEqual(result.summary.errors, {});
    assert.match(verdict(result).change.why, /closed 200 connections at once with no TIME_WAIT/);
  });
});
