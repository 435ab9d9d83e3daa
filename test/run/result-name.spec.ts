// Result names in --out are unique (src/run/result-name.ts): two runs started in the same second
// with the same --out both printed one name, and one result was lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { companions, hasResult, releaseResultPath, reserveFilePath, reserveResultPath } from '../../src/run/result-name.js';

const scheme = (n: number): string => `own-ok-20261204T165342Z${n > 1 ? `-${n}` : ''}`;

async function inDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-result-name-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('runs named in the same second get the name users see, then "-2", "-3" after the time', () =>
  inDir(async (dir) => {
    // At once, as two processes would: O_EXCL lets one create each name.
    const names = await Promise.all([1, 2, 3].map(() => reserveResultPath(dir, scheme)));
    assert.deepEqual(names.map((n) => path.basename(n)).sort(), ['own-ok-20261204T165342Z-2.json', 'own-ok-20261204T165342Z-3.json', 'own-ok-20261204T165342Z.json']);
    for (const n of names) assert.equal(path.isAbsolute(n), true);
  }));

test('a name whose HTML or server log is there (its JSON removed) is not taken: they would be overwritten', () =>
  inDir(async (dir) => {
    const first = path.join(dir, `${scheme(1)}.json`);
    assert.deepEqual(companions(first).map((c) => path.basename(c)), ['own-ok-20261204T165342Z.html', 'own-ok-20261204T165342Z.server.log']);
    await writeFile(companions(first)[1]!, 'an earlier server\n');
    assert.equal(path.basename(await reserveResultPath(dir, scheme)), 'own-ok-20261204T165342Z-2.json');
    // The first name's trial reservation is gone again; the log is left as it was.
    assert.deepEqual((await readdir(dir)).sort(), ['own-ok-20261204T165342Z-2.json', 'own-ok-20261204T165342Z.server.log']);
  }));

test('a reservation no result replaced is removed; a result stays', () =>
  inDir(async (dir) => {
    const a = await reserveResultPath(dir, scheme);
    assert.equal(await hasResult(a), false, 'the empty reservation is no result');
    await releaseResultPath(a);
    assert.deepEqual(await readdir(dir), []);
    const b = await reserveResultPath(dir, scheme);
    await writeFile(b, '{"schema":1}');
    assert.equal(await hasResult(b), true);
    await releaseResultPath(b);
    assert.deepEqual(await readdir(dir), [path.basename(b)]);
  }));

test("two sets' comparison reports named in the same second take the name, then \"-2\": never one over the other", () =>
  inDir(async (dir) => {
    const names = await Promise.all([1, 2].map(() => reserveFilePath(dir, scheme, '.html')));
    assert.deepEqual(names.map((n) => path.basename(n)).sort(), ['own-ok-20261204T165342Z-2.html', 'own-ok-20261204T165342Z.html']);
    // A report written over its reservation (writeFileAtomic renames over it) stays; an unused one goes.
    await writeFile(names[0]!, '<html>');
    await releaseResultPath(names[0]!);
    await releaseResultPath(names[1]!);
    assert.deepEqual((await readdir(dir)).sort(), [path.basename(names[0]!)]);
  }));
