// Which source the census reads: sock_diag with the native layer, /proc/net/tcp{,6} with it off
// or with a /proc root other than the real one (fixtures), and the same counts either way.
import { test, afterEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fromTcpTable, takeTcpCensus } from '../../src/observe/tcp-source.js';
import { DEFAULT_PROC_ROOT } from '../../src/observe/procfs.js';
import { forEachTcpSocket } from '../../src/observe/tcp-table.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetSocketLayer, NATIVE_ENV } from '../../src/sockets/index.js';
import { resetRawSockets } from '../../src/sockets/raw.js';
import { resetSockDiag } from '../../src/sockets/sock-diag.js';

function reset(): void {
  resetSocketLayer();
  resetRawSockets();
  resetSockDiag();
}

// In a describe: the hooks then belong to this file's tests alone, also when test/specs.ts
// runs every spec file in one process.
describe('the census source', () => {
  afterEach(() => {
    delete process.env[NATIVE_ENV];
    reset();
  });

  test('with the native layer off the census reads /proc', async () => {
    process.env[NATIVE_ENV] = 'off';
    reset();
    assert.equal((await fromTcpTable(DEFAULT_PROC_ROOT, () => 'dump', () => 'text')).origin, 'proc');
    assert.equal((await takeTcpCensus(new Set())).origin, 'proc');
  });

  test('with the native layer on the census reads sock_diag, and a fixture root still reads /proc', async () => {
    reset();
    let dumps = 0;
    const table = await fromTcpTable(DEFAULT_PROC_ROOT, (dump) => (dump(() => undefined), ++dumps), () => -1);
    assert.deepEqual(table, { value: 1, origin: 'sock_diag' }, 'one dump of both families');
    // A fixture root (tests of the /proc reader) is always read as text.
    const root = mkdtempSync(join(tmpdir(), 'twstorm-tcp-source-'));
    try {
      mkdirSync(join(root, 'net'));
      writeFileSync(
        join(root, 'net', 'tcp'),
        '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
          '   0: 0100007F:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n',
      );
      const ports: number[] = [];
      const fixture = await fromTcpTable(root, () => 'dump', (texts) => {
        for (const text of texts) forEachTcpSocket(text, (row) => ports.push(row.localPort));
        return 'text';
      });
      assert.equal(fixture.origin, 'proc');
      assert.deepEqual(ports, [7000]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
