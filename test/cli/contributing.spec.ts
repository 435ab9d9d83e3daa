// CONTRIBUTING's "Add a CLI command" against the code it describes: a new command registered in
// one list of main.ts and not the other either never loads or gets no "did you mean".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = (file: string): string => fileURLToPath(new URL(`../../../${file}`, import.meta.url));

describe('CONTRIBUTING.md, "Add a CLI command"', () => {
  it('names every list main.ts registers a command in, and each is there', async () => {
    const [contributing, main] = await Promise.all([readFile(root('CONTRIBUTING.md'), 'utf8'), readFile(root('src/cli/main.ts'), 'utf8')]);
    const section = contributing.split('## Add a CLI command')[1]!.split('\n## ')[0]!;
    for (const list of ['LOADERS', 'COMMAND_NAMES']) {
      assert.match(main, new RegExp(`^const ${list}\\b`, 'm'), `main.ts has no ${list}`);
      assert.ok(section.includes(`\`${list}\``), `CONTRIBUTING does not name ${list}`);
    }
    for (const [, name] of section.matchAll(/`(src\/cli\/[\w-]+\.ts)`/g)) await readFile(root(name!), 'utf8');
  });
});
