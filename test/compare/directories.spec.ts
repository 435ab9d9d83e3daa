// compare on directories reads every result once: a run in two files is refused (a set's rank
// test would count it twice), a damaged result is an error (never skipped as "other JSON"), and
// a file of several runs (`run --json` of a repeat) gives each of them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pairResultSets } from '../../src/compare/sets.js';
import { CompareInputError } from '../../src/compare/load.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url));

async function withDirs(body: (base: string, cur: string, run: Record<string, unknown>) => Promise<void>): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-compare-dirs-'));
  try {
    const base = path.join(tmp, 'base');
    const cur = path.join(tmp, 'cur');
    await mkdir(base);
    await mkdir(cur);
    const run = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(base, 'run.json'), JSON.stringify(run));
    await body(base, cur, run);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const later = (run: Record<string, unknown>, ms: number): Record<string, unknown> => ({ ...run, startedAt: new Date(Date.parse(String(run['startedAt'])) + ms).toISOString() });

describe('compare: what a directory holds (compare/sets.ts)', () => {
  it('the same run in two files is refused: a rank test over the set would count it twice', async () => {
    await withDirs(async (base, cur, run) => {
      // An audit: copies of each file took a p of 0.100 to 0.048 and "3 vs 6 runs".
      await writeFile(path.join(cur, 'a.json'), JSON.stringify(later(run, 1000)));
      await writeFile(path.join(cur, 'copy-a.json'), JSON.stringify(later(run, 1000)));
      await assert.rejects(pairResultSets(base, cur), (e: Error) => e instanceof CompareInputError && /a\.json and \S+copy-a\.json hold the same run|copy-a\.json and \S+a\.json hold the same run/.test(e.message));
    });
  });

  it('a result cut short is an error naming the file, not skipped as some other JSON', async () => {
    await withDirs(async (base, cur, run) => {
      await writeFile(path.join(cur, 'a.json'), JSON.stringify(later(run, 1000)));
      await writeFile(path.join(cur, 'b.json'), (JSON.stringify(later(run, 2000))).slice(0, 5_000));
      // Other JSON (a scenario, a compare report) is still skipped.
      await writeFile(path.join(cur, 'notes.json'), '{"hello": 1}');
      await assert.rejects(pairResultSets(base, cur), (e: Error) => e instanceof CompareInputError && /b\.json: not JSON \(.*\): a damaged result \(cut short\?\); pass a result JSON/.test(e.message));
    });
  });

  it("a run's empty reservation (a run still going, or killed) is skipped: the set is the finished runs", async () => {
    await withDirs(async (base, cur, run) => {
      await writeFile(path.join(cur, 'a.json'), JSON.stringify(later(run, 1000)));
      await writeFile(path.join(cur, 'b.json'), '');
      const sets = await pairResultSets(base, cur);
      assert.deepEqual(sets.pairs.map((p) => p.current.map((c) => path.basename(c.file))), [['a.json']]);
    });
  });

  it('a file of several runs (run --json of a repeat) gives each run', async () => {
    await withDirs(async (base, cur, run) => {
      const repeat = (index: number) => ({ ...later(run, 1000 * index), repeat: { set: 'S', index, count: 2 } });
      await writeFile(path.join(cur, 'all.json'), JSON.stringify([repeat(1), repeat(2)]));
      const sets = await pairResultSets(base, cur);
      assert.deepEqual(sets.pairs.map((p) => p.current.map((c) => path.basename(c.file))), [['all.json[0]', 'all.json[1]']]);
    });
  });
});
