// The routed lab's pure parts: addresses in the benchmarking ranges only, the NAT ruleset, and
// conntrack's statistics and entry list as the kernel and conntrack(8) print them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientAddresses, inBenchmarkRange, natPool, SERVER_ADDRESSES } from '../../src/environment/topology/addresses.js';
import { natPoolSize, natRuleset } from '../../src/environment/topology/nat.js';
import { parseConntrackList, parseConntrackStat } from '../../src/observe/conntrack.js';

test('every lab address is inside 198.18.0.0/15 or 2001:2::/48', () => {
  const all = [SERVER_ADDRESSES, clientAddresses(1), clientAddresses(64)].flatMap((a) => [a.v4, a.routerV4, a.v6, a.routerV6]);
  for (const address of [...all, ...natPool(254)]) assert.ok(inBenchmarkRange(address), address);
  assert.equal(clientAddresses(12).v6, '2001:2:0:c::2');
  for (const outside of ['10.0.0.1', '192.168.1.1', '198.20.0.1', '2001:3::1', '2001:2:1::1', '127.0.0.1']) assert.ok(!inBenchmarkRange(outside), outside);
  assert.throws(() => clientAddresses(65), /outside 1-64/);
});

test('the SNAT rule: pool × ports, meta l4proto tcp for the port range, fully-random when asked', () => {
  const spec = { addresses: 2, ports: [40000, 40099] as [number, number], randomFully: true };
  assert.equal(natPoolSize(spec), 200);
  const text = natRuleset(spec, 'server');
  assert.match(text, /oifname "server" meta l4proto tcp counter snat to 198\.19\.1\.1-198\.19\.1\.2:40000-40099 fully-random\n/);
  // nft's spelling; iptables' "random-fully" is a syntax error to nft (routed.test.ts loads it).
  assert.doesNotMatch(text, /random-fully/);
  assert.doesNotMatch(natRuleset({ ...spec, addresses: 1, randomFully: false }, 'server'), /random|-198/);
});

test('/proc/net/stat/nf_conntrack: per-CPU hex rows summed; entries taken as is', () => {
  const text = [
    'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart',
    '00000064  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 0000003c 0000003c 00000000 00000000  00000000 00000000 00000000 00000000',
    '00000064  00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000002 00000003 00000000  00000000 00000000 00000000 00000000',
  ].join('\n');
  const stats = parseConntrackStat(text);
  assert.equal(stats['entries'], 100);
  assert.equal(stats['found'], 17);
  assert.equal(stats['insert_failed'], 61);
  assert.equal(stats['drop'], 62);
  assert.equal(stats['early_drop'], 3);
});

test('conntrack -L: TCP entries counted by state', () => {
  const text = [
    'tcp      6 117 TIME_WAIT src=198.18.1.2 dst=198.19.0.2 sport=40000 dport=7000 src=198.19.0.2 dst=198.19.1.1 sport=7000 dport=40000 [ASSURED] mark=0 use=1',
    'tcp      6 431999 ESTABLISHED src=198.18.2.2 dst=198.19.0.2 sport=41000 dport=7000 src=198.19.0.2 dst=198.19.1.1 sport=7000 dport=40001 [ASSURED] mark=0 use=1',
    'tcp      6 118 TIME_WAIT src=198.18.2.2 dst=198.19.0.2 sport=41002 dport=7000 src=198.19.0.2 dst=198.19.1.1 sport=7000 dport=40002 [ASSURED] mark=0 use=1',
    'udp      17 29 src=198.18.1.2 dst=198.19.0.2 sport=5353 dport=53 [UNREPLIED] src=198.19.0.2 dst=198.18.1.2 sport=53 dport=5353 mark=0 use=1',
  ].join('\n');
  assert.deepEqual(parseConntrackList(text), { TIME_WAIT: 2, ESTABLISHED: 1 });
});
