// README's "Result format" table against a real result (a fixture regenerated from a run): every
// field a result holds is named there, and where it sits. An audit found `histograms.life`,
// `load.costUnit`, `server.stats` and `series.driver.columns` in every result and not in the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../../', import.meta.url);
const readme = readFileSync(fileURLToPath(new URL('README.md', ROOT)), 'utf8');
const result = JSON.parse(readFileSync(fileURLToPath(new URL('test/fixtures/results/client-closes-first.json', ROOT)), 'utf8')) as Record<string, Record<string, unknown>>;

/** The table's rows by their first cell's names: "| `a`, `b` | …" → a and b → the row's text. */
function rows(): Map<string, string> {
  const table = readme.slice(readme.indexOf('\n## Result format\n')).split('\n\n')[2] ?? '';
  const out = new Map<string, string>();
  for (const line of table.split('\n')) {
    const first = /^\| ([^|]+) \|/.exec(line)?.[1] ?? '';
    for (const m of first.matchAll(/`([\w.]+)`/g)) out.set(m[1]!, line);
  }
  return out;
}

test("README's result table names every field of a real result, and what is inside the nested ones", () => {
  const table = rows();
  assert.ok(table.size > 10, `${table.size} rows read`);
  // A field with rows for its parts ("series.driver", "series.kernel") counts as named.
  const row = (key: string): string => table.get(key) ?? [...table].find(([k]) => k.startsWith(`${key}.`))?.[1] ?? '';
  // "schema" is said above the table.
  for (const key of Object.keys(result).filter((k) => k !== 'schema')) assert.notEqual(row(key), '', `no row for ${key}`);
  const inside: Array<[string, string[]]> = [
    ['histograms', Object.keys(result['histograms']!)],
    ['load', Object.keys(result['load']!)],
    ['series.driver', Object.keys((result['series'] as Record<string, Record<string, unknown>>)['driver']!)],
    ['server', [...Object.keys(result['server']!), ...Object.keys(result['server']!['stats'] as object)]],
  ];
  for (const [key, fields] of inside) {
    const text = table.get(key)!;
    for (const field of fields) assert.match(text, new RegExp(`\\b${field}\\b`), `${key}.${field} is not in README's ${key} row`);
  }
});
