import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  TCP_STATES,
  censusTcpTable,
  decodeAddressHex,
  forEachTcpSocket,
  tcpStateName,
  type TcpSocketRow,
} from '../../src/observe/tcp-table.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/proc/net/${name}`, import.meta.url), 'utf8');

interface Row {
  localPort: number;
  remotePort: number;
  state: number;
  local: string;
  remote: string;
}

function rows(text: string): Row[] {
  const out: Row[] = [];
  forEachTcpSocket(text, (r: TcpSocketRow) =>
    out.push({ localPort: r.localPort, remotePort: r.remotePort, state: r.state, local: r.localAddressHex(), remote: r.remoteAddressHex() }),
  );
  return out;
}

test('TCP_STATES covers the kernel states 1..12 (printed 01..0C)', () => {
  assert.equal(Object.keys(TCP_STATES).length, 12);
  assert.equal(TCP_STATES[6], 'TIME_WAIT');
  assert.equal(TCP_STATES[0x0a], 'LISTEN');
  assert.equal(TCP_STATES[0x0c], 'NEW_SYN_RECV');
  assert.equal(tcpStateName(0x08), 'CLOSE_WAIT');
  assert.equal(tcpStateName(0), undefined);
});

test('forEachTcpSocket reads a captured IPv4 table, skipping the header', () => {
  const r = rows(fixture('tcp'));
  assert.equal(r.length, 5);
  assert.deepEqual(r[0], { localPort: 7000, remotePort: 0, state: 0x0a, local: '0100007F', remote: '00000000' });
  assert.deepEqual(r[1], { localPort: 7000, remotePort: 0xae8c, state: 0x06, local: '0100007F', remote: '0100007F' });
  assert.deepEqual(r[3], { localPort: 0xae86, remotePort: 7000, state: 0x06, local: '0100007F', remote: '0100007F' });
});

test('forEachTcpSocket reads IPv6 lines (32-hex-char addresses)', () => {
  const r = rows(fixture('tcp6'));
  assert.equal(r.length, 5);
  assert.deepEqual(r[2], {
    localPort: 0xad20,
    remotePort: 7001,
    state: 0x06,
    local: '00000000000000000000000001000000',
    remote: '00000000000000000000000001000000',
  });
});

test('forEachTcpSocket survives the sl column widening past 9,999', () => {
  const r = rows(fixture('tcp-wide-sl'));
  assert.deepEqual(
    r.map((x) => [x.localPort, x.remotePort, x.state]),
    [
      [7000, 0x9c41, 6],
      [0x9c42, 7000, 6],
      [0x9c44, 7000, 1],
      [7000, 0x9c44, 8],
      [0x9c46, 7000, 5],
      [0xe002, 7000, 2],
    ],
  );
  assert.equal(r[5]?.local, '0200007F');
});

test('forEachTcpSocket skips blank and malformed lines', () => {
  const text = '  sl  local_address rem_address   st\n\n   0: 0100007F:ZZZZ 00000000:0000 0A\ngarbage\n   1: 0100007F:0050 00000000:0000 0A 0\n';
  assert.deepEqual(rows(text).map((x) => x.localPort), [80]);
});

test('censusTcpTable splits by local port over tcp + tcp6', () => {
  const c = censusTcpTable([fixture('tcp'), fixture('tcp6')], new Set([7000, 7001]));
  assert.deepEqual(c.server, { LISTEN: 2, TIME_WAIT: 2, ESTABLISHED: 2 });
  assert.deepEqual(c.client, { TIME_WAIT: 2, ESTABLISHED: 2 });
  assert.deepEqual(c.total, { LISTEN: 2, TIME_WAIT: 4, ESTABLISHED: 4 });
});

test('censusTcpTable on the widened table, and with no server ports everything is client', () => {
  const wide = censusTcpTable([fixture('tcp-wide-sl')], new Set([7000]));
  assert.deepEqual(wide.server, { TIME_WAIT: 1, CLOSE_WAIT: 1 });
  assert.deepEqual(wide.client, { TIME_WAIT: 1, ESTABLISHED: 1, FIN_WAIT2: 1, SYN_SENT: 1 });
  const none = censusTcpTable([fixture('tcp')], new Set());
  assert.deepEqual(none.server, {});
  assert.deepEqual(none.client, { LISTEN: 1, TIME_WAIT: 2, ESTABLISHED: 2 });
});

test('decodeAddressHex turns printed addresses into text', () => {
  assert.equal(decodeAddressHex('0100007F'), '127.0.0.1');
  assert.equal(decodeAddressHex('0200007F'), '127.0.0.2');
  assert.equal(decodeAddressHex('00000000000000000000000001000000'), '::1');
  assert.equal(decodeAddressHex('00000000000000000000000000000000'), '::');
  assert.equal(decodeAddressHex('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
  assert.equal(decodeAddressHex('B80D0120000000000000000001000000'), '2001:db8::1');
  assert.throws(() => decodeAddressHex('7F'), /not a \/proc\/net\/tcp address/);
});

/** 30,000 lines shaped like a busy namespace: the sl column wide, mixed states, v4 and v6. */
function syntheticTables(n: number): string[] {
  const v4 = [fixture('tcp').split('\n')[0] ?? ''];
  const v6 = [fixture('tcp6').split('\n')[0] ?? ''];
  const states = ['06', '06', '06', '01', '05', '08'];
  for (let i = 0; i < n; i++) {
    const sl = String(i).padStart(4, ' ');
    const st = states[i % states.length] ?? '06';
    // Unique 4-tuples, as in a real table (the census drops repeated ones).
    const port = (1024 + i).toString(16).toUpperCase().padStart(4, '0');
    const server = i % 2 === 0;
    const local = server ? '1B58' : port;
    const remote = server ? port : '1B58';
    if (i % 5 === 0) {
      v6.push(`${sl}: 00000000000000000000000001000000:${local} 00000000000000000000000001000000:${remote} ${st} 00000000:00000000 03:00001765 00000000     0        0 0 3 0000000078a7975a`);
    } else {
      v4.push(`${sl}: 0100007F:${local} 0100007F:${remote} ${st} 00000000:00000000 03:00001765 00000000     0        0 0 3 00000000e3393559                                      `);
    }
  }
  return [v4.join('\n') + '\n', v6.join('\n') + '\n'];
}

test('census of 30,000 lines: correct, and its time is printed', (t) => {
  const n = 30_000;
  const texts = syntheticTables(n);
  const ports = new Set([7000]);
  const first = performance.now();
  const c = censusTcpTable(texts, ports);
  const firstMs = performance.now() - first;
  const runs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const s = performance.now();
    censusTcpTable(texts, ports);
    runs.push(performance.now() - s);
  }
  runs.sort((a, b) => a - b);
  const total = Object.values(c.total).reduce((a, b) => a + b, 0);
  assert.equal(total, n);
  assert.equal(Object.values(c.server).reduce((a, b) => a + b, 0), n / 2);
  assert.equal(c.server.TIME_WAIT, n / 3); // even lines cycle through 06, 06, 05
  let withAddresses = 0;
  const s = performance.now();
  for (const text of texts) forEachTcpSocket(text, (r) => { withAddresses += r.remoteAddressHex().length > 0 ? 1 : 0; });
  const addrMs = performance.now() - s;
  assert.equal(withAddresses, n);
  const msg = `census of ${n} lines: first ${firstMs.toFixed(1)} ms, median ${runs[5]?.toFixed(1)} ms, best ${runs[0]?.toFixed(1)} ms; visiting with remote addresses ${addrMs.toFixed(1)} ms`;
  t.diagnostic(msg);
  console.log(msg);
});

test('a connection printed twice (seq_file resuming mid-walk) is counted once; listeners are not merged', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const tw = '   1: 0100007F:9C40 0100007F:1B58 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n';
  const tw2 = '   2: 0100007F:9C42 0100007F:1B58 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n';
  const listen = '   0: 0100007F:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0\n';
  const text = header + listen + listen + tw + tw2 + tw;
  const census = censusTcpTable([text], new Set([7000]));
  assert.deepEqual(census.client, { TIME_WAIT: 2 });
  assert.deepEqual(census.server, { LISTEN: 2 });
});
