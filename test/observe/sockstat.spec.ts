import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSockstat, parseSockstat6, sockstatSockets } from '../../src/observe/sockstat.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/proc/net/${name}`, import.meta.url), 'utf8');

test('parseSockstat reads the TCP line of a captured sockstat', () => {
  assert.deepEqual(parseSockstat(fixture('sockstat')), { inuse: 3, orphan: 0, tw: 4, alloc: 7, mem: 49 });
});

test('parseSockstat6 reads the TCP6 line, not UDP6 or RAW6', () => {
  assert.deepEqual(parseSockstat6(fixture('sockstat6')), { inuse: 3 });
  assert.deepEqual(parseSockstat6('UDP6: inuse 9\nTCP6: inuse 12\nRAW6: inuse 1\n'), { inuse: 12 });
});

test('parseSockstat does not confuse the TCP line with others and keeps large values', () => {
  const text = 'sockets: used 99\nUDP: inuse 5 mem 1\nTCP: inuse 30001 orphan 17 tw 28232 alloc 30050 mem 123456\n';
  assert.deepEqual(parseSockstat(text), { inuse: 30001, orphan: 17, tw: 28232, alloc: 30050, mem: 123456 });
});

test('parsers reject text without their line or field', () => {
  assert.throws(() => parseSockstat('UDP: inuse 0 mem 0\n'), /no "TCP:" line/);
  assert.throws(() => parseSockstat('TCP: inuse 1 orphan 0 alloc 1 mem 2\n'), /missing "tw"/);
  assert.throws(() => parseSockstat6(''), /no "TCP6:" line/);
});

test('sockstatSockets sizes a census: IPv4 and IPv6 inuse plus tw, 0 when unreadable', () => {
  const v4 = 'sockets: used 99\nTCP: inuse 30001 orphan 17 tw 28232 alloc 30050 mem 123456\n';
  assert.equal(sockstatSockets(v4, 'TCP6: inuse 12\n'), 30001 + 28232 + 12);
  // No IPv6 in this kernel (no sockstat6), or an unreadable one: the IPv4 figures alone.
  assert.equal(sockstatSockets(v4, ''), 30001 + 28232);
  assert.equal(sockstatSockets(v4, 'UDP6: inuse 3\n'), 30001 + 28232);
  assert.equal(sockstatSockets('UDP: inuse 0 mem 0\n', 'TCP6: inuse 12\n'), 0);
});
