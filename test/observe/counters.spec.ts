import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCounterTable, counterDeltas, pickCounters, KEY_COUNTERS } from '../../src/observe/counters.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/proc/net/${name}`, import.meta.url), 'utf8');

test('parseCounterTable reads captured snmp with prefixed keys and a negative MaxConn', () => {
  const c = parseCounterTable(fixture('snmp'));
  assert.equal(c.TcpMaxConn, -1);
  assert.equal(c.TcpRtoMax, 120000);
  assert.equal(c.TcpActiveOpens, 6);
  assert.equal(c.TcpPassiveOpens, 6);
  assert.equal(c.IpForwarding, 2);
  assert.equal(c.UdpLiteInDatagrams, 0);
  assert.equal(c.IcmpMsgInType3, undefined); // this capture has no IcmpMsg lines
  assert.equal(Object.keys(c).some((k) => k.includes(':')), false);
});

test('parseCounterTable reads captured netstat: TcpExt, IpExt, MPTcpExt', () => {
  const c = parseCounterTable(fixture('netstat'));
  // Captured right after 4 sockets entered TIME_WAIT; on kernel 6.18 TW already counts them.
  assert.equal(c.TcpExtTW, 4);
  assert.equal(c.TcpExtTWRecycled, 0);
  assert.equal(c.TcpExtTCPTimeWaitOverflow, 0);
  assert.equal(typeof c.IpExtInOctets, 'number');
  assert.ok((c.IpExtInOctets ?? 0) > 0);
  assert.equal(typeof c.MPTcpExtMPCapableSYNRX, 'number');
  for (const key of KEY_COUNTERS) {
    const all = { ...parseCounterTable(fixture('snmp')), ...c };
    assert.equal(typeof all[key], 'number', `missing ${key}`);
  }
});

test('parseCounterTable keeps values beyond 2^32 exactly and handles concatenated files', () => {
  const text =
    'Tcp: ActiveOpens MaxConn\nTcp: 4294967297 -1\n' +
    '\n' +
    'IpExt: InOctets OutOctets\nIpExt: 9007199254740991 5000000000\n';
  const c = parseCounterTable(text);
  assert.equal(c.TcpActiveOpens, 4294967297);
  assert.equal(c.TcpMaxConn, -1);
  assert.equal(c.IpExtInOctets, 9007199254740991);
  assert.equal(c.IpExtOutOctets, 5000000000);
});

test('parseCounterTable does not pair a header with another group\'s values', () => {
  const c = parseCounterTable('Tcp: A B\nUdp: X Y\nUdp: 1 2\n');
  assert.deepEqual(c, { UdpX: 1, UdpY: 2 });
});

test('counterDeltas: after − before, missing before counts from 0, keys from after only', () => {
  assert.deepEqual(counterDeltas({ A: 5, B: 10, Gone: 3 }, { A: 7, B: 10, New: 4 }), { A: 2, B: 0, New: 4 });
});

test('pickCounters keeps KEY_COUNTERS only, 0 for absent', () => {
  const picked = pickCounters({ TcpActiveOpens: 3, IpExtInOctets: 99 });
  assert.deepEqual(Object.keys(picked), [...KEY_COUNTERS]);
  assert.equal(picked.TcpActiveOpens, 3);
  assert.equal(picked.TcpExtTW, 0);
});
