// compare on directories: a shard is a part of a run. Beside a merge that holds it, it is left
// out; alone, or beside the merge of another split only, it is refused rather than compared as
// if it were the whole run (or dropped for an older merge).
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
      const refused = (e: Error): boolean =>
        e instanceof CompareInputError && /shard-0\.json is shard 1\/2 of a split \(run --shard\), and no merge in \S+cur holds it: merge its shards \(twstorm merge <shards> -o \S+cur\/\) and compare again$/.test(e.message);
      await assert.rejects(pairResultSets(base, cur), refused);
      // A merge's contributors name the shards it holds (their start and shard index).
      const contributor = (index: number, split = whole) => {
        const summary = run['summary'] as { connections: { attempted: number; established: number; failed: number }; timeWait: Record<string, number>; ports: { distinct: number; range: unknown }; errors: Record<string, number> };
        return {
          file: `shard-${index}.json`, host: 'h', startedAt: new Date(Date.parse(run.startedAt) + 1000 + index).toISOString(), endedAt: run['endedAt'],
          shard: { index, count: 2, whole: split }, connections: summary.connections, requests: null,
          timeWait: { peak: summary.timeWait['peak'], peakClient: summary.timeWait['peakClient'], peakServer: summary.timeWait['peakServer'] },
          ports: { distinct: summary.ports.distinct, range: summary.ports.range }, errors: summary.errors,
        };
      };
      const mergeOf = (contributors: unknown[]) => ({ ...run, startedAt: new Date(Date.parse(run.startedAt) + 999).toISOString(), merged: { contributors, warnings: [] } });
      // A merge of another (older) split does not hold these shards: they are not silently dropped.
      const older = { ...whole, connections: 100 };
      await writeFile(path.join(cur, 'merged.json'), JSON.stringify(mergeOf([0, 1].map((i) => ({ ...contributor(i, older), startedAt: new Date(Date.parse(run.startedAt) - 60_000 + i).toISOString() })))));
      await assert.rejects(pairResultSets(base, cur), refused);
      await writeFile(path.join(cur, 'merged.json'), JSON.stringify(mergeOf([contributor(0), contributor(1)])));
      const sets = await pairResultSets(base, cur);
      assert.deepEqual(sets.pairs.map((p) => p.current.map((c) => path.basename(c.file))), [['merged.json']]);
      // A --partial merge of the same split starts at the same moment: the fuller merge is compared,
      // whatever the file names (an audit: "p.json" won the tie over "merged.json").
      const half = mergeOf([contributor(0)]) as unknown as Record<string, unknown> & { summary: { connections: Record<string, number> } };
      half.summary = { ...half.summary, connections: { ...half.summary.connections, attempted: half.summary.connections['attempted']! / 2 } };
      await writeFile(path.join(cur, 'p.json'), JSON.stringify(half));
      const fuller = await pairResultSets(base, cur);
      assert.deepEqual(fuller.pairs.map((p) => p.current.map((c) => path.basename(c.file))), [['merged.json']]);
      // A partial without the first shard starts later than the complete merge: still the fuller one.
      const second = { ...half, startedAt: new Date(Date.parse(run.startedAt) + 1001).toISOString(), merged: { contributors: [contributor(1)], warnings: [] } };
      await writeFile(path.join(cur, 'p.json'), JSON.stringify(second));
      const later = await pairResultSets(base, cur);
      assert.deepEqual(later.pairs.map((p) => p.current.map((c) => path.basename(c.file))), [['merged.json']]);
      await rm(path.join(cur, 'p.json'));
      // Two files, one a shard: refused too, never compared as the whole run (an audit: exit 0).
      await assert.rejects(
        pairResultSets(path.join(base, 'run.json'), path.join(cur, 'shard-1.json')),
        (e: Error) => e instanceof CompareInputError && /shard-1\.json is shard 2\/2 of a split \(run --shard\): merge its shards \(twstorm merge <shards> -o merged\.json\) and compare the merge$/.test(e.message),
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
