// compare on directories: a shard is a part of a run. Beside the merge of its split it is left
// out; alone, it is refused rather than compared as if it were the whole run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pairResultSets } from '../../src/compare/sets.js';
import { CompareInputError } from '../../src/compare/load.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url));

describe('compare: shards in a directory (compare/sets.ts)', () => {
  it('alone they are refused with how to merge them; beside their merge the merge is compared', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-compare-shards-'));
    try {
      const run = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown> & { startedAt: string };
      const base = path.join(tmp, 'base');
      const cur = path.join(tmp, 'cur');
      await mkdir(base);
      await mkdir(cur);
      await writeFile(path.join(base, 'run.json'), JSON.stringify(run));
      const whole = { connections: 200, requests: null, rate: null, portRange: '32768 60999' };
      for (const index of [0, 1]) {
        const shard = { ...run, startedAt: new Date(Date.parse(run.startedAt) + 1000 + index).toISOString(), shard: { index, count: 2, whole } };
        await writeFile(path.join(cur, `shard-${index}.json`), JSON.stringify(shard));
      }
      await assert.rejects(
        pairResultSets(base, cur),
        (e: Error) => e instanceof CompareInputError && /shard-0\.json is shard 1\/2 of a split \(run --shard\), and \S+cur holds no merge of it: merge the shards \(twstorm merge <shards> -o \S+cur\/\) and compare again$/.test(e.message),
      );
      const merged = { ...run, startedAt: new Date(Date.parse(run.startedAt) + 1000).toISOString(), merged: { contributors: [], warnings: [] } };
      await writeFile(path.join(cur, 'merged.json'), JSON.stringify(merged));
      const sets = await pairResultSets(base, cur);
      assert.deepEqual(sets.pairs.map((p) => p.current.map((c) => path.basename(c.file))), [['merged.json']]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
