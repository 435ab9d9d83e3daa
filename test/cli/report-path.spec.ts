// report --out: a file, or a directory to put the default name in, parents made as needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultReportPath, refuseDuplicates, reportPathFor } from '../../src/cli/report.js';
import { ResultFileError } from '../../src/result/index.js';
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
