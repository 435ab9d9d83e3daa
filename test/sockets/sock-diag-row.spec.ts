// A sock_diag record's addresses as /proc/net/tcp prints them (src/sockets/sock-diag.ts,
// SockDiagRow): each 32-bit word of the network-order address as a host-order %08X. The row
// remembers the last word at each position, so the order of rows matters: families and
// addresses alternate here the way a hash-ordered dump mixes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import net from 'node:net';
import { SockDiagRow, INET_DIAG_MSG_SIZE } from '../../src/sockets/sock-diag.js';
import { AF_INET, AF_INET6 } from '../../src/sockets/constants.js';
import { parseIPv4, parseIPv6 } from '../../src/sockets/structs.js';

/** Network-order bytes of an address (4 or 16): structs.ts's parsers, tested byte for byte in structs.spec. */
const bytesOf = (address: string): Buffer => (net.isIPv4(address) ? parseIPv4(address) : parseIPv6(address));

/** What /proc prints for an address: each 4-byte word read in host order, %08X. */
function procHex(address: string): string {
  const b = bytesOf(address);
  let out = '';
  for (let w = 0; w < b.length; w += 4) out += (os.endianness() === 'LE' ? b.readUInt32LE(w) : b.readUInt32BE(w)).toString(16).toUpperCase().padStart(8, '0');
  return out;
}

test('a dump row gives each address as /proc prints it, however rows alternate', () => {
  const rows: Array<[string, string]> = [
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.1', '198.18.0.5'],
    ['198.18.0.5', '127.0.0.1'],
    ['::1', '2001:2::1'],
    ['127.0.0.1', '198.18.0.5'],
    ['2001:2::1', '2001:2::7'],
    ['2001:2:0:1::7', '::'],
    ['0.0.0.0', '255.255.255.255'],
    ['::ffff:198.18.0.5', '::1'],
    ['198.18.0.5', '198.18.0.5'],
  ];
  const buffer = Buffer.alloc(rows.length * INET_DIAG_MSG_SIZE);
  rows.forEach(([local, remote], i) => {
    const at = i * INET_DIAG_MSG_SIZE;
    buffer[at] = net.isIPv4(local) ? AF_INET : AF_INET6;
    bytesOf(local).copy(buffer, at + 8); // idiag_src
    bytesOf(remote).copy(buffer, at + 24); // idiag_dst
  });
  const row = new SockDiagRow(new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  // Twice over: the second pass starts with the last row's words remembered.
  for (let pass = 0; pass < 2; pass++) {
    rows.forEach(([local, remote], i) => {
      row.at = i * INET_DIAG_MSG_SIZE;
      assert.equal(row.family, net.isIPv4(local) ? 4 : 6);
      assert.equal(row.localAddressHex(), procHex(local), `local of row ${i} (${local})`);
      assert.equal(row.remoteAddressHex(), procHex(remote), `remote of row ${i} (${remote})`);
    });
  }
  assert.equal(procHex('127.0.0.1'), os.endianness() === 'LE' ? '0100007F' : '7F000001');
  assert.equal(procHex('::ffff:198.18.0.5'), os.endianness() === 'LE' ? '0000000000000000FFFF0000050012C6' : '00000000000000000000FFFFC6120005');
});
