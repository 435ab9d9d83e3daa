import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addErrors, finding, makeResult } from '../make-result.js';
import { oneChange } from '../../../src/report/verdict.js';
import { findingText, story } from '../../../src/report/story.js';

const finalAcks = (matched: number, action: 'drop' | 'reset' = 'drop') => [
  { rule: `${action} final-ack to-server (first 200)`, packets: 'final-ack' as const, direction: 'to-server' as const, action, matched },
];

describe('verdict rule: faults on the wire (verdict/faults.ts)', () => {
  it('says nothing without fault rules', () => {
    assert.equal(finding(makeResult(), 'faults'), undefined);
  });

  it('lost final ACKs: the count nft reports and the FIN the passive closer sent again, ACKed by TIME_WAIT', () => {
    const f = finding(
      makeResult((x) => {
        x.faults = finalAcks(200);
        x.summary.kernel['TcpRetransSegs'] = 200;
      }),
      'faults',
    )!;
    assert.match(f.text, /^200 final ACKs to the server dropped by nft\. The passive closer, left in LAST_ACK, retransmitted its FIN \(200 retransmitted/);
    assert.match(f.text, /the TIME_WAIT side was still there to ACK each again/);
    assert.equal(f.alert, false);
    // The terminal summary says it too, in the finding's own words (docs/faults.md promises both).
    const r = makeResult((x) => {
      x.faults = finalAcks(200);
      x.summary.kernel['TcpRetransSegs'] = 200;
    });
    assert.ok(story(r).includes(findingText(f)!), story(r).join('\n'));
    assert.ok(!story(makeResult()).some((l) => /dropped by nft/.test(l)));
  });

  it('a side with no socket left answers the retransmitted FIN with RST', () => {
    const f = finding(
      makeResult((x) => {
        x.faults = finalAcks(200, 'reset');
        x.summary.kernel['TcpRetransSegs'] = 200;
        x.summary.kernel['TcpOutRsts'] = 200;
      }),
      'faults',
    )!;
    assert.match(f.text, /^200 final ACKs to the server answered by nft with an RST instead of delivered/);
    assert.match(f.text, /200 of those were answered with an RST \(TcpOutRsts\)/);
  });

  it('a rule that matched nothing is flagged: the fault the scenario asked for did not happen', () => {
    const r = makeResult((x) => (x.faults = finalAcks(0)));
    const f = finding(r, 'faults')!;
    assert.equal(f.alert, true);
    assert.match(f.text, /^0 final ACKs to the server dropped by nft/);
    // The terminal marks it as the report does (an audit: plain news there, CHECK in the HTML).
    assert.ok(story(r).some((l) => /^CHECK: 0 final ACKs to the server dropped by nft/.test(l)), story(r).join('\n'));
  });

  it('connections failed where the faults acted on the handshake: the faults, not "no rule explains it"', () => {
    const synReset = (matched: number, refused: number, timedOut = 0) =>
      makeResult((x) => {
        x.faults = [{ rule: 'reset syn to-server', packets: 'syn', direction: 'to-server', action: 'reset', matched }];
        addErrors(x, 'ECONNREFUSED', 'connect', refused);
        if (timedOut > 0) addErrors(x, 'ETIMEDOUT', 'connect', timedOut);
        x.summary.connections.failed = refused + timedOut;
      });
    // An audit: 200 SYNs reset by the fault, 200 ECONNREFUSED, told to find what failed them.
    const c = oneChange(synReset(200, 200));
    assert.equal(c.rule, 'injected-faults');
    assert.equal(c.change, 'Nothing to change in the stack: the failures are the faults this scenario injects');
    assert.match(c.why, /^200 connections failed \(ECONNREFUSED 200\) where the scenario's faults acted on the handshake: 200 SYNs to the server answered by nft with an RST instead of delivered\. Remove those from faults: to measure the stack alone\.$/);
    // More failures than the faults took: the rest is not theirs, and stays unexplained.
    assert.equal(oneChange(synReset(230, 200, 30)).rule, 'unexplained-failures', 'a SYN reset refuses; it does not time out');
    assert.equal(oneChange(synReset(200, 200, 30)).rule, 'unexplained-failures');
    // An error no handshake fault gives is not theirs, however many segments they took (a review).
    const emfile = makeResult((x) => {
      x.faults = [{ rule: 'drop syn to-server (5%)', packets: 'syn', direction: 'to-server', action: 'drop', matched: 50 }];
      addErrors(x, 'EMFILE', 'connect', 10);
      x.summary.connections.failed = 10;
    });
    assert.equal(oneChange(emfile).rule, 'unexplained-failures');
    // Dropped SYNs time out: theirs.
    const dropped = makeResult((x) => {
      x.faults = [{ rule: 'drop syn to-server', packets: 'syn', direction: 'to-server', action: 'drop', matched: 60 }];
      addErrors(x, 'ETIMEDOUT', 'connect', 10);
      x.summary.connections.failed = 10;
    });
    assert.equal(oneChange(dropped).rule, 'injected-faults');
    // Faults that never touch a handshake (a lost final ACK) explain no failed connect.
    const ack = makeResult((x) => {
      x.faults = finalAcks(200);
      addErrors(x, 'ETIMEDOUT', 'connect', 5);
      x.summary.connections.failed = 5;
    });
    assert.equal(oneChange(ack).rule, 'unexplained-failures');
  });
});
