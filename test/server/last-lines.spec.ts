// The server's last words in a one-line error: whole lines from the log's last 8 KiB, each cut to
// 200 characters; a line that began before the window is left out beside whole ones, and quoted
// by its end when it is all there is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lastLines } from '../../src/server/log-tail.js';

describe('lastLines (server/user-command.ts)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-last-lines-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const log = async (text: string): Promise<string> => {
    const file = path.join(dir, `log-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, text);
    return file;
  };

  it('a window that begins exactly on a line keeps that whole line (a review: it was dropped)', async () => {
    // 8 lines of 1,023 characters and their newlines: the last 8,192 bytes are exactly those lines.
    const lines = Array.from({ length: 8 }, (_, i) => `${i}`.padEnd(1023, 'x'));
    const file = await log(`${'z'.repeat(100)}\n${lines.join('\n')}\n`);
    const quoted = (await lastLines(file, 8)).split(' | ');
    assert.equal(quoted.length, 8);
    assert.equal(quoted[0]!.slice(0, 1), '0');
  });

  it('a single line longer than the window is quoted by its end, not as "nothing printed"', async () => {
    const file = await log(`${'a'.repeat(10_000)}END\n`);
    const quoted = await lastLines(file);
    assert.equal(quoted, `…${'a'.repeat(197)}END`);
  });

  it('beside whole lines, a line cut by the window is left out', async () => {
    const file = await log(`${'b'.repeat(9000)}\nlast words\n`);
    assert.equal(await lastLines(file), 'last words');
  });
});
