// CONTRIBUTING's layout rules held against src/ itself, so one that is broken fails here rather
// than being found by the next cleanup: no two modules import each other (directly or round a
// ring), and a file past ~400 lines says at its top why it is one file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).sort();
const text = new Map(files.map((f) => [f, readFileSync(path.join(SRC, f), 'utf8')]));

/**
 * The modules `file` loads when it is loaded: static imports and re-exports of values. Type-only
 * ones are erased by tsc and esbuild, and `import()` loads on demand, after both modules have
 * been evaluated, so neither can make an evaluation-order cycle.
 */
function runtimeImports(file: string, source: string): string[] {
  const out: string[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'(\.{1,2}\/[^']+)'|^import\s+'(\.{1,2}\/[^']+)'/gm;
  for (const m of source.matchAll(statement)) {
    if (m[2]) continue;
    // `import { type A, type B }`: tsc (no verbatimModuleSyntax here) drops an import whose every name is a type.
    const names = /^\{([^}]*)\}$/.exec((m[3] ?? '').trim())?.[1]?.split(',').map((n) => n.trim()).filter((n) => n !== '');
    if (names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type '))) continue;
    const target = m[4] ?? m[5]!;
    out.push(path.normalize(path.join(path.dirname(file), target.replace(/\.js$/, '.ts'))));
  }
  return out;
}

/** Every ring of modules (a strongly connected component of two or more, or one importing itself). */
function importRings(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const rings: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const ring: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      ring.push(w);
    } while (w !== v);
    if (ring.length > 1 || (graph.get(v) ?? []).includes(v)) rings.push(ring.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return rings;
}

describe('src/ layout (CONTRIBUTING.md)', () => {
  it('the ring finder finds a ring, and not an import of a type or a lazy import()', () => {
    const graph = new Map([
      ['a.ts', runtimeImports('a.ts', "import { b } from './b.js';\nimport type { C } from './c.js';")],
      ['b.ts', runtimeImports('b.ts', "export { a } from './a.js';")],
      ['c.ts', runtimeImports('c.ts', "import { type A } from './a.js';\nimport { type B, b } from './b.js';\nconst d = await import('./d.js');")],
      ['d.ts', runtimeImports('d.ts', "import './c.js';")],
    ]);
    // c imports only a's type ({ type A }), which tsc drops; b's value with a type keeps b's load.
    assert.deepEqual(graph.get('c.ts'), ['b.ts']);
    assert.deepEqual(importRings(graph), [['a.ts', 'b.ts']]);
  });

  it('no module imports itself back, directly or round a ring', () => {
    const graph = new Map(files.map((f) => [f, runtimeImports(f, text.get(f)!)]));
    // Each file's imports resolve to files that exist: a parse that missed them would find no ring.
    for (const [file, imports] of graph) for (const target of imports) assert.ok(text.has(target), `${file} imports ${target}, which is not in src/`);
    assert.ok([...graph.values()].flat().length > files.length, 'the imports were read');
    assert.deepEqual(importRings(graph), []);
  });

  it('a file past ~400 lines says at its top why it is one file', () => {
    const long = files.filter((f) => text.get(f)!.split('\n').length > 410);
    assert.ok(long.length > 0, 'the engine loops are long on purpose, and say so');
    for (const f of long) {
      // The comment lines before the first import or declaration.
      const header = text.get(f)!.split('\n').slice(0, text.get(f)!.split('\n').findIndex((l) => !/^\s*(\/\/|\/\*|\*|$)/.test(l))).join(' ');
      assert.match(header, /\bone file\b/i, `${f} (${text.get(f)!.split('\n').length} lines) does not say at its top why it is one file`);
    }
  });
});
