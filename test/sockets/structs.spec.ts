// Byte-exact encoding of the structs the socket layer hands the kernel (no FFI involved).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import {
  decodeLinger,
  decodeSockaddr,
  decodeTcpInfo,
  encodeLinger,
  encodeSockaddr,
  formatIPv6,
  parseIPv6,
} from '../../src/sockets/structs.js';
import { errnoName, SocketCallError } from '../../src/sockets/errors.js';

const LE = os.endianness() === 'LE';

test('struct linger: two host-order ints, onoff then seconds', () => {
  const buf = encodeLinger({ onoff: true, seconds: 5 });
  assert.equal(buf.length, 8);
  assert.deepEqual([...buf], LE ? [1, 0, 0, 0, 5, 0, 0, 0] : [0, 0, 0, 1, 0, 0, 0, 5]);
  assert.deepEqual([...encodeLinger({ onoff: false, seconds: 0 })], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeLinger(encodeLinger({ onoff: true, seconds: 300 })), { onoff: true, seconds: 300 });
  assert.throws(() => encodeLinger({ onoff: true, seconds: 1.5 }), /whole seconds/);
  assert.throws(() => encodeLinger({ onoff: true, seconds: -1 }), RangeError);
});

test('sockaddr_in: family host order, port and address network order, 8 zero bytes', () => {
  const buf = encodeSockaddr('127.0.0.1', 7000); // 7000 = 0x1b58
  assert.equal(buf.length, 16);
  assert.deepEqual([...buf.subarray(0, 2)], LE ? [2, 0] : [0, 2]);
  assert.deepEqual([...buf.subarray(2, 4)], [0x1b, 0x58]);
  assert.deepEqual([...buf.subarray(4, 8)], [127, 0, 0, 1]);
  assert.deepEqual([...buf.subarray(8)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeSockaddr(buf), { family: 4, address: '127.0.0.1', port: 7000 });
  assert.deepEqual([...encodeSockaddr('203.0.113.7', 0x0102).subarray(2, 8)], [1, 2, 203, 0, 113, 7]);
  assert.throws(() => encodeSockaddr('127.0.0.1', 65536), /0-65535/);
  assert.throws(() => encodeSockaddr('localhost', 1), /not an IP address.*127\.0\.0\.1/);
});

test('sockaddr_in6: family 10, port network order, flowinfo, 16 address bytes, scope id host order', () => {
  const buf = encodeSockaddr('::1', 443); // 0x01bb
  assert.equal(buf.length, 28);
  assert.deepEqual([...buf.subarray(0, 2)], LE ? [10, 0] : [0, 10]);
  assert.deepEqual([...buf.subarray(2, 4)], [0x01, 0xbb]);
  assert.deepEqual([...buf.subarray(4, 8)], [0, 0, 0, 0]);
  assert.deepEqual([...buf.subarray(8, 24)], [...new Array<number>(15).fill(0), 1]);
  assert.deepEqual([...buf.subarray(24)], [0, 0, 0, 0]);
  const scoped = encodeSockaddr('fe80::1%3', 80);
  assert.deepEqual([...scoped.subarray(24)], LE ? [3, 0, 0, 0] : [0, 0, 0, 3]);
  assert.deepEqual(decodeSockaddr(buf), { family: 6, address: '::1', port: 443, flowinfo: 0, scopeId: 0 });
});

test('IPv6 text: :: compression, embedded IPv4, RFC 5952 output', () => {
  assert.equal(parseIPv6('::').toString('hex'), '0'.repeat(32));
  assert.equal(parseIPv6('2001:db8::8:800:200c:417a').toString('hex'), '20010db8000000000008080020 0c417a'.replace(' ', ''));
  assert.equal(parseIPv6('::ffff:127.0.0.1').toString('hex'), '00000000000000000000ffff7f000001');
  assert.equal(parseIPv6('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
  assert.equal(parseIPv6('1::').toString('hex'), '0001' + '0'.repeat(28));
  assert.throws(() => parseIPv6('1.2.3.4'), TypeError);
  for (const text of ['::', '::1', '1::', '2001:db8::1', '1:0:0:2::3', 'fe80::1:2', '1:2:3:4:5:6:7:8', '::ffff:203.0.113.1']) {
    assert.equal(formatIPv6(parseIPv6(text)), text, text);
  }
  // The first of two equally long zero runs is the one compressed.
  assert.equal(formatIPv6(parseIPv6('1:0:0:2:0:0:3:4')), '1::2:0:0:3:4');
});

test('tcp_info: fields at the uapi offsets; fields past the returned length are absent', () => {
  const buf = Buffer.alloc(232);
  const u32 = (o: number, v: number): void => void (LE ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  buf[0] = 10; // state
  buf[2] = 3; // retransmits
  buf[6] = LE ? 0x97 : 0x79; // snd_wscale 7, rcv_wscale 9
  u32(8, 204000); // rto
  u32(24, 2); // unacked
  u32(28, 128); // sacked
  u32(68, 55); // rtt
  u32(100, 17); // total_retrans
  if (LE) buf.writeBigUInt64LE(4096n, 200);
  else buf.writeBigUInt64BE(4096n, 200);
  u32(228, 65535); // snd_wnd
  const full = decodeTcpInfo(buf, 232);
  assert.equal(full.stateName, 'LISTEN');
  assert.equal(full.retransmits, 3);
  assert.equal(full.sndWscale, 7);
  assert.equal(full.rcvWscale, 9);
  assert.equal(full.rtoUs, 204000);
  assert.equal(full.unacked, 2);
  assert.equal(full.sacked, 128);
  assert.equal(full.rttUs, 55);
  assert.equal(full.totalRetrans, 17);
  assert.equal(full.bytesSent, 4096);
  assert.equal(full.sndWnd, 65535);
  const old = decodeTcpInfo(buf, 104); // a 3.x kernel stops after total_retrans
  assert.equal(old.totalRetrans, 17);
  assert.equal(old.bytesSent, undefined);
  assert.equal(old.sndWnd, undefined);
  assert.throws(() => decodeTcpInfo(buf, 50), /too short/);
});

test('errno names and Node-shaped errors', () => {
  assert.equal(errnoName(os.constants.errno.EADDRINUSE), 'EADDRINUSE');
  assert.equal(errnoName(os.constants.errno.EAGAIN), 'EAGAIN');
  assert.equal(errnoName(99999), 'E99999');
  const err = new SocketCallError('bind', os.constants.errno.EADDRINUSE, {
    what: 'bind the listening socket',
    address: '127.0.0.1',
    port: 7000,
    role: 'listener',
  });
  assert.equal(err.code, 'EADDRINUSE');
  assert.equal(err.errno, -os.constants.errno.EADDRINUSE);
  assert.equal(err.syscall, 'bind');
  assert.equal(err.port, 7000);
  assert.match(err.message, /^bind EADDRINUSE 127\.0\.0\.1:7000: could not bind the listening socket: address already in use\. .*TIME_WAIT.*reuseAddr/);
});
