// --out: prepareOutDir says which levels it made, and a run that wrote nothing removes them
// again, while they are empty (an interrupt before the first run left an empty --out behind).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareOutDir, removeEmptyCreated } from '../../src/run/out-dir.js';

describe('--out directories (run/out-dir.ts)', () => {
  it('an unused --out that the run created is removed, parents first made included; one that existed stays', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-outdir-'));
    try {
      const out = path.join(tmp, 'a', 'b');
      const { dir, created } = await prepareOutDir(out, ['x.html.partial']);
      assert.equal(dir, out);
      assert.deepEqual(created, [path.join(tmp, 'a'), out]);
      await removeEmptyCreated(created);
      assert.equal(existsSync(path.join(tmp, 'a')), false);
      assert.equal(existsSync(tmp), true, 'what existed before is never removed');

      const again = await prepareOutDir(tmp, []);
      assert.deepEqual(again.created, []);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('a created --out that holds a file stays, and so do its parents', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-outdir-'));
    try {
      const { created } = await prepareOutDir(path.join(tmp, 'a', 'b'), []);
      await writeFile(path.join(tmp, 'a', 'b', 'result.json'), '{}');
      await removeEmptyCreated(created);
      assert.equal(existsSync(path.join(tmp, 'a', 'b', 'result.json')), true);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('--out probes of runs started together', () => {
  it('two runs probing the same names at once both pass, and leave nothing behind', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-outdir-'));
    try {
      const names = ['x-20261204T165342Z.html.partial'];
      // One probe already there, as another process's would be at that moment.
      await writeFile(path.join(tmp, `${names[0]}-${(process.pid % 46_656).toString(36).padStart(3, '0')}`), 'theirs');
      await Promise.all([prepareOutDir(tmp, names), prepareOutDir(tmp, names)]);
      assert.deepEqual(await readdir(tmp), [`${names[0]}-${(process.pid % 46_656).toString(36).padStart(3, '0')}`], 'only the file that was there before');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
