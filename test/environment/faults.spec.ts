// The fault rules as nft text, and their counters read back. The rules' effect on real
// traffic is tested in test/run/fault-scenarios.test.ts; here, that each scenario rule
// becomes the expression it should and that a counter maps back to its rule.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeFault, faultRuleset, type FaultRule } from '../../src/environment/faults.js';
import { parseFaultCounters } from '../../src/observe/faults.js';
import { NftError, nftErrorLine } from '../../src/environment/nft.js';

const rule = (r: Partial<FaultRule> & Pick<FaultRule, 'packets'>): FaultRule => ({ direction: 'both', action: 'drop', count: null, percent: 100, ...r });

describe('fault rules as nftables', () => {
  it('final-ack: a bare ACK whose conntrack entry just entered TIME_WAIT, first N, to the server only', () => {
    const text = faultRuleset([rule({ packets: 'final-ack', direction: 'to-server', count: 200 })], [7000]);
    assert.match(text, /tcp dport \{ 7000 \} tcp flags == ack ct expiration > 60s ct expiration <= 120s jump fault0/);
    assert.doesNotMatch(text, /tcp sport/);
    assert.match(text, /chain fault0 \{\n {4}numgen inc mod 2147483648 < 200 counter drop comment "fault0"/);
  });

  it('both directions share one chain (one "first N", one count); percent is random; reset rejects with RST', () => {
    const text = faultRuleset([rule({ packets: 'syn-ack', percent: 30, action: 'reset' }), rule({ packets: 'fin', direction: 'to-client' })], [7000, 7001]);
    assert.match(text, /tcp dport \{ 7000, 7001 \} tcp flags & \(syn \| ack\) == syn \| ack jump fault0/);
    assert.match(text, /tcp sport \{ 7000, 7001 \} tcp flags & \(syn \| ack\) == syn \| ack jump fault0/);
    assert.match(text, /numgen random mod 100 < 30 counter reject with tcp reset/);
    assert.match(text, /tcp sport \{ 7000, 7001 \} tcp flags & fin == fin jump fault1/);
    assert.doesNotMatch(text, /tcp dport .* fin == fin/);
  });

  it('in a routed lab the rules sit in the router\'s forward hook, which both directions cross', () => {
    const text = faultRuleset([rule({ packets: 'syn', direction: 'to-server' })], [7000], undefined, 'forward');
    assert.match(text, /chain forward \{\n {4}type filter hook forward priority filter; policy accept;\n {4}tcp dport \{ 7000 \} tcp flags & \(syn \| ack\) == syn jump fault0/);
    assert.doesNotMatch(text, /hook input/);
    assert.match(faultRuleset([rule({ packets: 'syn' })], [7000]), /type filter hook input priority filter/, 'loopback: input, as before');
  });

  it('a namespace with other conntrack timeouts gets them in the final-ack rule', () => {
    assert.match(faultRuleset([rule({ packets: 'final-ack' })], [80], { timeWait: 30, closeWait: 20 }), /ct expiration > 20s ct expiration <= 30s/);
  });

  it('names a rule in words', () => {
    assert.equal(describeFault(rule({ packets: 'final-ack', direction: 'to-server', count: 200 })), 'drop final-ack to-server (first 200)');
    assert.equal(describeFault(rule({ packets: 'any', percent: 5 })), 'drop any both (5 % at random)');
  });

  it('reads each fault chain\'s counter from nft -j', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { rule: { chain: 'fault0', expr: [{ match: {} }, { counter: { packets: 200, bytes: 10400 } }, { drop: null }] } },
        { rule: { chain: 'fault1', expr: [{ counter: { packets: 0, bytes: 0 } }] } },
        { rule: { chain: 'input', expr: [{ jump: { target: 'fault0' } }] } },
      ],
    });
    assert.deepEqual([...parseFaultCounters(json)], [['fault0', 200], ['fault1', 0]]);
  });
});

describe('nft refusing a ruleset', () => {
  it('is said in one line: nft\'s "Error:" line, without the rule and carets it prints under it', () => {
    // nft 1.0's own output for a rule with a stray word (captured).
    const stderr = [
      '/dev/stdin:1:92-95: Error: syntax error, unexpected drop',
      'table inet t { chain c { type filter hook input priority 0; tcp flags & (fin) == fin bogus drop; } }',
      '                                                                                           ^^^^',
      "/dev/stdin:1:100-100: Error: syntax error, unexpected '}', expecting newline or semicolon",
      '',
    ].join('\n');
    assert.equal(nftErrorLine(stderr), 'Error: syntax error, unexpected drop');
    assert.equal(new NftError(false, nftErrorLine(stderr)).message, 'nft refused the ruleset: Error: syntax error, unexpected drop');
    // Anything else: its first line.
    assert.equal(nftErrorLine('netlink: Error: Could not process rule: No such file or directory\nmore'), 'Error: Could not process rule: No such file or directory');
    assert.equal(nftErrorLine('  Operation not permitted (you must be root)\n'), 'Operation not permitted (you must be root)');
  });
});
