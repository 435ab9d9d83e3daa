// report --out: a file, or a directory to put the default name in, parents made as needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultReportPath, reportPathFor } from '../../src/cli/report.js';

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
