// Every bundled scenario has its row in both overview tables (README "Bundled scenarios" and
// scenarios/README.md), as CONTRIBUTING.md asks: close-matrix once had none in the second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../../', import.meta.url);
const names = readdirSync(fileURLToPath(new URL('scenarios/', ROOT)))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

/** The scenario names a table's rows start with: "| `name`" (scenarios/README.md writes "(`-ipv6`)" for a variant's file). */
function rows(file: string, section: string | null): Set<string> {
  const out = new Set<string>();
  let text = readFileSync(fileURLToPath(new URL(file, ROOT)), 'utf8');
  // Only the named section's table: the README has other tables with a name in their first column.
  if (section !== null) text = text.slice(text.indexOf(`\n## ${section}\n`)).split(/\n## /)[1] ?? '';
  for (const line of text.split('\n')) {
    const m = /^\| `([a-z0-9-]+)`(?: \(`(-[a-z0-9-]+)`\))? \|/.exec(line);
    if (m) {
      out.add(m[1]!);
      if (m[2]) out.add(`${m[1]}${m[2]}`);
    }
  }
  return out;
}

test('every bundled scenario has a row in README.md and in scenarios/README.md, and no row names a missing one', () => {
  assert.ok(names.length > 30, `${names.length} scenarios`);
  for (const [file, section] of [['README.md', 'Bundled scenarios'], ['scenarios/README.md', null]] as const) {
    const listed = rows(file, section);
    assert.deepEqual(names.filter((n) => !listed.has(n)), [], `${file}: scenarios without a row`);
    assert.deepEqual([...listed].filter((n) => !names.includes(n)), [], `${file}: rows without a scenario`);
  }
});
