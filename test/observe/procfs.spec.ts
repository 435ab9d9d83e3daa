import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProcNet, readTcpTables } from '../../src/observe/procfs.js';

const FIXTURE_ROOT = fileURLToPath(new URL('../../../test/fixtures/proc', import.meta.url));

test('readProcNet reads the four cheap files under a root', async () => {
  const texts = await readProcNet(FIXTURE_ROOT);
  assert.equal(texts.sockstat, readFileSync(join(FIXTURE_ROOT, 'net/sockstat'), 'utf8'));
  assert.match(texts.sockstat6, /^TCP6: inuse 3$/m);
  assert.match(texts.snmp, /^Tcp: RtoAlgorithm/m);
  assert.match(texts.netstat, /^TcpExt: SyncookiesSent/m);
});

test('readTcpTables returns tcp and tcp6', async () => {
  const tables = await readTcpTables(FIXTURE_ROOT);
  assert.equal(tables.length, 2);
  assert.match(tables[0] ?? '', /0100007F:1B58/);
  assert.match(tables[1] ?? '', /01000000:1B59/);
});

test('without IPv6 (no tcp6, no sockstat6) the readers still work; other missing files fail', async () => {
  const root = mkdtempSync(join(tmpdir(), 'twstorm-procfs-'));
  try {
    mkdirSync(join(root, 'net'));
    for (const f of ['tcp', 'sockstat', 'snmp', 'netstat']) copyFileSync(join(FIXTURE_ROOT, 'net', f), join(root, 'net', f));
    assert.equal((await readTcpTables(root)).length, 1);
    assert.equal((await readProcNet(root)).sockstat6, '');
    rmSync(join(root, 'net', 'snmp'));
    await assert.rejects(readProcNet(root), /ENOENT/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the default root reads this process\'s /proc/net', async () => {
  const texts = await readProcNet();
  assert.match(texts.sockstat, /^TCP: inuse \d+/m);
  assert.ok((await readTcpTables()).length >= 1);
});
