// `--out` is checked before any traffic: every refusal is one line, exit 1, and the run's
// "load started" never appears. A disk that fills during the run keeps the result JSON, leaves
// no `.partial` file, and says where the JSON is. Read-only and full file systems are tmpfs
// mounts inside a private mount namespace the test makes (`unshare -m`): the host's mount
// table never sees them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BIN, killAllStarted, twstorm, type Exit } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-out-'));
});
after(async () => {
  killAllStarted();
  await rm(dir, { recursive: true, force: true });
});

/** One line, exit 1, nothing ran. */
function refusedBeforeLoad(exit: Exit, reason: RegExp): void {
  assert.equal(exit.code, 1, exit.stderr);
  const lines = exit.stderr.trim().split('\n');
  assert.equal(lines.length, 1, exit.stderr);
  assert.match(lines[0]!, reason);
  assert.doesNotMatch(exit.stderr, /load started/);
}

/**
 * `twstorm run …` inside a private mount namespace with a tmpfs of `size` on `mountpoint`, after
 * `setup` (a shell snippet) ran there. Prints what is left in the mount after the run.
 */
function inTmpfs(mountpoint: string, mountOptions: string, setup: string, args: string[]): Promise<Exit> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const script = `mount -t tmpfs -o ${mountOptions} twstorm-test '${mountpoint}' && ${setup} ${quoted}; code=$?; echo "left: $(cd '${mountpoint}' && find . -type f | sort | tr '\\n' ' ')"; exit $code`;
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const SMALL = ['--set', 'connections=300', '--set', 'tail=100ms'];

// Each test has its own directory and mount: they run side by side.
describe('--out is checked before the load', { concurrency: true }, () => {
  it('/proc/x (where Node 20\'s recursive mkdir loops forever) is one line, exit 1', async () => {
    refusedBeforeLoad(await twstorm(['run', 'client-closes-first', '--out', '/proc/twstorm-x'], { timeoutMs: 30_000 }).exit, /--out \/proc\/twstorm-x: cannot create \/proc\/twstorm-x: ENOENT/);
  });

  it('a file in the way', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'x');
    refusedBeforeLoad(await twstorm(['run', 'client-closes-first', '--out', path.join(file, 'sub')]).exit, /a-file is a file, not a directory \(a file is in the way\)/);
    refusedBeforeLoad(await twstorm(['run', 'client-closes-first', '--out', file]).exit, /a file is in the way/);
  });

  it('a 5,000-character scenario name is refused before anything is created (the schema caps names)', async () => {
    const file = path.join(dir, 'long.yaml');
    await writeFile(file, `name: ${'a'.repeat(5000)}\nconnections: 10\n`);
    const out = path.join(dir, 'long-out');
    const exit = await twstorm(['run', file, '--out', out]).exit;
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /name: expected a name of at most \d+ characters/);
    assert.doesNotMatch(exit.stderr, /load started/);
    await assert.rejects(readdir(out), { code: 'ENOENT' });
  });

  it('a name too long for the file system in --out (ENAMETOOLONG)', async () => {
    const out = path.join(dir, 'x'.repeat(300));
    refusedBeforeLoad(await twstorm(['run', 'client-closes-first', '--out', out]).exit, /cannot (look at|create) .*x{300}: ENAMETOOLONG \(a file name is longer than the file system allows/);
  });

  it('a read-only file system (EROFS)', async () => {
    const mnt = path.join(dir, 'ro');
    await mkdir(mnt);
    const exit = await inTmpfs(mnt, 'ro,size=64k', '', ['run', 'client-closes-first', '--out', path.join(mnt, 'out')]);
    refusedBeforeLoad(exit, /cannot create .*\/ro\/out: EROFS \(read-only file system\)/);
  });

  it('a full file system (ENOSPC)', async () => {
    const mnt = path.join(dir, 'full');
    await mkdir(mnt);
    const exit = await inTmpfs(mnt, 'size=64k', `mkdir '${mnt}/out' && (dd if=/dev/zero of='${mnt}/fill' bs=4k 2>/dev/null; true) &&`, [
      'run', 'client-closes-first', '--out', path.join(mnt, 'out'),
    ]);
    refusedBeforeLoad(exit, /cannot write there: ENOSPC \(no space left on the device\)/);
    assert.match(exit.stdout, /^left: \.\/fill $/m, 'no probe or .partial file is left');
  });

  it('a disk that fills during the run keeps the result JSON, removes the .partial, and says where the JSON is', async () => {
    const mnt = path.join(dir, 'fills');
    await mkdir(mnt);
    // 80 KiB: the 64 KiB probe passes, the result JSON (~10 KiB) fits, the HTML (~80 KiB) does not.
    const exit = await inTmpfs(mnt, 'size=80k', '', ['run', 'client-closes-first', '--out', path.join(mnt, 'out'), ...SMALL]);
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /load started/);
    const json = /^left: \.\/out\/(client-closes-first-\d{8}T\d{6}Z\.json) $/m.exec(exit.stdout)?.[1];
    assert.ok(json, `only the result JSON is left: ${exit.stdout}`);
    assert.match(exit.stderr, new RegExp(`the HTML report could not be written \\(.*ENOSPC.*\\); the result JSON is kept: .*/out/${json.replace(/\./g, '\\.')}`));
  });
});
