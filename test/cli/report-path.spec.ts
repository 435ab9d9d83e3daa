// report --out: a file, or a directory to put the default name in, parents made as needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import os from 'node:os';
import path from 'node:path';
import { defaultReportPath, reportPathFor } from '../../src/cli/report.js';
import { refuseDuplicates } from '../../src/result/read.js';
import { ResultFileError, readResultDirectory } from '../../src/result/index.js';
import { makeResult } from '../report/make-result.js';

describe('report --out (cli/report.ts)', () => {
  it('no --out: beside the first result, a comparison named by its count', async () => {
    assert.equal(await reportPathFor(undefined, ['r/a.json']), 'r/a.html');
    assert.equal(defaultReportPath(['r/a.json', 'r/b.json']), path.join('r', 'comparison-2-runs.html'));
  });

  it('a directory, existing or ending in "/", gets the default name; a missing parent is made', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-report-out-'));
    try {
      await mkdir(path.join(tmp, 'there'));
      assert.equal(await reportPathFor(path.join(tmp, 'there'), ['x/run.json']), path.join(tmp, 'there', 'run.html'));
      assert.equal(await reportPathFor(`${path.join(tmp, 'new')}/`, ['x/a.json', 'x/b.json']), path.join(tmp, 'new', 'comparison-2-runs.html'));
      assert.equal(existsSync(path.join(tmp, 'new')), true);
      const deep = path.join(tmp, 'a', 'b', 'r.html');
      assert.equal(await reportPathFor(deep, ['x/run.json']), deep);
      assert.equal(existsSync(path.join(tmp, 'a', 'b')), true);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('report refuses a run shown twice (cli/report.ts)', () => {
  const run = (startedAt: string) => makeResult((r) => (r.startedAt = startedAt));
  it('a file named twice, or one run in two files, is a ResultFileError (exit 2); distinct runs pass', () => {
    const a = run('2026-01-01T00:00:00.000Z');
    const b = run('2026-01-01T00:01:00.000Z');
    assert.doesNotThrow(() => refuseDuplicates([{ file: 'a.json', runs: [a] }, { file: 'b.json', runs: [b] }]));
    assert.throws(
      () => refuseDuplicates([{ file: 'r/a.json', runs: [a] }, { file: './r/a.json', runs: [a] }]),
      (e: Error) => e instanceof ResultFileError && e.message === './r/a.json is given twice (as r/a.json too): its runs would be shown and ranked twice; name each result once',
    );
    assert.throws(() => refuseDuplicates([{ file: 'a.json', runs: [a] }, { file: 'a.json', runs: [a] }]), /^ResultFileError: a\.json is given twice: its runs/);
    assert.throws(
      () => refuseDuplicates([{ file: 'a.json', runs: [a] }, { file: 'copy.json', runs: [structuredClone(a)] }]),
      (e: Error) => e instanceof ResultFileError && e.message === 'copy.json and a.json hold the same run (hand-made, started 2026-01-01T00:00:00.000Z): it would be shown and ranked twice; name one of them',
    );
    // A merge starts when its first part did: shown beside that part, it is another result.
    const merged = makeResult((r) => {
      r.startedAt = a.startedAt;
      r.summary.connections.attempted = 2 * a.summary.connections.attempted;
    });
    assert.doesNotThrow(() => refuseDuplicates([{ file: 'a.json', runs: [a] }, { file: 'merged.json', runs: [merged] }]));
  });
});

describe('report takes a directory (cli/report.ts through result/read.ts)', () => {
  it('every result file in it, by name; other JSON skipped; a directory with none is refused', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-report-dir-'));
    try {
      // Real results (the schema checks every field): two committed fixtures.
      const fixture = (name: string) => readFile(fileURLToPath(new URL(`../../../test/fixtures/results/${name}.json`, import.meta.url)), 'utf8');
      const [a, b] = [JSON.parse(await fixture('client-closes-first')) as RunResult, JSON.parse(await fixture('server-closes-first')) as RunResult];
      await writeFile(path.join(tmp, 'b.json'), JSON.stringify(b));
      await writeFile(path.join(tmp, 'a.json'), JSON.stringify(a));
      await writeFile(path.join(tmp, 'scenario.json'), JSON.stringify({ name: 'not a result' }));
      const files = await readResultDirectory(tmp);
      assert.deepEqual(files.map((f) => path.basename(f.file)), ['a.json', 'b.json']);
      assert.deepEqual(files.map((f) => f.runs[0]!.startedAt), [a.startedAt, b.startedAt]);
      // The comparison goes where a list of those files would put it: inside the directory.
      assert.equal(defaultReportPath(files.map((f) => f.file)), path.join(tmp, 'comparison-2-runs.html'));
      const empty = path.join(tmp, 'empty');
      await mkdir(empty);
      assert.deepEqual(await readResultDirectory(empty), []);
      await assert.rejects(readResultDirectory(path.join(tmp, 'missing')), (e: Error) => e instanceof ResultFileError && /missing: cannot read it \(ENOENT\)/.test(e.message));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
