// merge -o DIR/: every merge keeps its own file, as every run does (cli/merge.ts, mergedPathFor).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mergedPathFor } from '../../src/cli/merge.js';
import { makeResult } from '../report/make-result.js';

describe('merge --out (cli/merge.ts)', () => {
  it('two merges into one directory in the same second keep both files; a file path is used as given', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-merge-out-'));
    try {
      const merged = makeResult();
      const now = new Date('2026-12-04T19:39:37.250Z');
      // The merges of run 1 and run 2 of a --repeat split, one after the other in a CI step.
      const dir = `${path.join(tmp, 'new')}/`;
      const first = await mergedPathFor(dir, merged, 2, now);
      await writeFile(first, '{"run":1}');
      const second = await mergedPathFor(dir, merged, 2, now);
      assert.equal(path.basename(first), 'hand-made-merged-2-20261204T193937Z.json');
      assert.equal(path.basename(second), 'hand-made-merged-2-20261204T193937Z-2.json');
      assert.equal(existsSync(first) && existsSync(second), true);
      const file = path.join(tmp, 'a', 'b', 'm.json');
      assert.equal(await mergedPathFor(file, merged, 2, now), file);
      assert.equal(existsSync(path.dirname(file)), true);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
