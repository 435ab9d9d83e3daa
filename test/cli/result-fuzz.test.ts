// Bad result files against every command that reads results (`report`, `compare`, `plan --from`):
// a few hundred generated from a real result — truncated, a field of the wrong type, a field
// missing, a number out of range, foreign JSON — each must end in exit 2 with exactly one line
// on stderr naming the file, and never a crash. The command handlers run in this process
// (process.exit is caught) so hundreds of files take seconds; a sample also goes through the
// real CLI binary, whose exit codes are the contract.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportCommand } from '../../src/cli/report.js';
import { compareCommand } from '../../src/cli/compare.js';
import { planCommand } from '../../src/cli/plan.js';
import { resultSchema } from '../../src/result/schema.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/results/port-exhaustion.json', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));

/** A small deterministic PRNG (mulberry32): the same files every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in the document (objects and arrays too), arrays sampled at their first element. */
function paths(doc: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length > 0) out.push(prefix);
  if (Array.isArray(doc)) {
    if (doc.length > 0) paths(doc[0]!, [...prefix, 0], out);
  } else if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) paths(v, [...prefix, k], out);
  }
  return out;
}

function setAt(doc: Json, at: (string | number)[], value: Json | undefined): Json {
  const copy = structuredClone(doc);
  let node = copy as Record<string | number, Json>;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  const last = at[at.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

function valueAt(doc: Json, at: (string | number)[]): Json | undefined {
  let node: Json | undefined = doc;
  for (const key of at) node = node === null || typeof node !== 'object' ? undefined : (node as Record<string | number, Json>)[key];
  return node;
}

interface BadFile {
  kind: string;
  text: string;
}

/** The bad files: each kind a bounded number, every structured one checked to be invalid. */
function badFiles(): BadFile[] {
  const text = readFileSync(FIXTURE, 'utf8');
  const doc = JSON.parse(text) as Json;
  const rand = prng(20261201);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const all = paths(doc);
  const out: BadFile[] = [];
  const invalid = (d: Json): boolean => !resultSchema.safeParse(d).success;
  const addMutations = (kind: string, count: number, mutate: (at: (string | number)[]) => Json | undefined | 'skip'): void => {
    let made = 0;
    for (let tries = 0; made < count && tries < count * 50; tries++) {
      const at = pick(all);
      const value = mutate(at);
      if (value === 'skip') continue;
      const bad = setAt(doc, at, value);
      if (!invalid(bad)) continue; // a field the schema leaves free (a description): not a bad file
      out.push({ kind: `${kind} ${at.join('.')}`, text: JSON.stringify(bad) });
      made++;
    }
  };

  // Truncated: a run killed while writing, a copy cut short.
  for (let i = 0; i < 60; i++) out.push({ kind: 'truncated', text: text.slice(0, Math.floor(rand() * (text.length - 1))) });
  // The wrong type where the model has a number, string, boolean, object or array.
  addMutations('wrong type', 100, (at) => {
    const v = valueAt(doc, at);
    const others: Json[] = ['12', 12, true, null, [], {}, [1, 'x'], { x: 1 }];
    const wrong = others.filter((o) => typeof o !== typeof v || Array.isArray(o) !== Array.isArray(v) || (o === null) !== (v === null));
    return pick(wrong);
  });
  // A field missing.
  addMutations('missing', 60, () => undefined);
  // Numbers no run writes: huge, negative, not finite (1e999 parses as Infinity).
  const numeric = all.filter((at) => typeof valueAt(doc, at) === 'number');
  for (let i = 0; i < 50; i++) {
    const at = pick(numeric);
    const huge = pick(['1e999', '-1e999', '1e300', '-5', String(2 ** 60), '-1e-300']);
    // The 0 just set, not the leading 0 of another field's 0.25 under the same name earlier on.
    const bad = JSON.stringify(setAt(doc, at, 0)).replace(new RegExp(`("${String(at[at.length - 1])}":)0(?=[,}\\]])`), `$1${huge}`);
    if (invalid(JSON.parse(bad) as Json)) out.push({ kind: `number ${huge} at ${at.join('.')}`, text: bad });
  }
  // Foreign JSON and other files.
  const scenario = (doc as Record<string, Json>)['scenario']!;
  for (const foreign of [
    '{}', '[]', '"a string"', '42', 'null', 'true', '',
    '{"schema": "twstorm/result@2"}',
    '{"schema": "twstorm/states@1", "states": {}}',
    JSON.stringify({ name: 'not-a-result', version: '1.0.0', dependencies: {} }),
    JSON.stringify(scenario),
    JSON.stringify([doc, { schema: 'twstorm/result@1' }]),
    JSON.stringify([doc, 7]),
    '{"schema": "twstorm/result@1", "summary": "x"}',
    '{"__proto__": {"schema": "twstorm/result@1"}}',
    'garbage\u0000\u001b[31m',
    '\ufeff{"schema": 1}',
    '{"schema": "twstorm/result@1", "scenario": {"name": "<script>alert(1)</script>"}}',
  ]) {
    out.push({ kind: `foreign ${foreign.slice(0, 30)}`, text: foreign });
  }
  return out;
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

interface Outcome {
  code: number;
  stderr: string;
}

/**
 * Runs a command handler in this process: process.exit and stderr are caught. stdout is left
 * alone: the test runner reports on it, and a refused file prints nothing there.
 */
async function runHandler(handler: (argv: never) => Promise<void>, argv: Record<string, unknown>): Promise<Outcome> {
  const saved = { exit: process.exit, err: process.stderr.write, code: process.exitCode };
  let stderr = '';
  process.exitCode = undefined;
  process.exit = ((code?: number) => {
    throw new Exit(code ?? 0);
  }) as typeof process.exit;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    await handler({ _: [], $0: 'twstorm', ...argv } as never);
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    if (!(err instanceof Exit)) {
      process.stderr.write = saved.err;
      throw new Error(`crashed: ${err instanceof Error ? err.stack : String(err)}`);
    }
    code = err.code;
  } finally {
    process.exit = saved.exit;
    process.stderr.write = saved.err;
    process.exitCode = saved.code;
  }
  return { code, stderr };
}

describe('bad result files: report, compare and plan --from exit 2 with one line, never crash', () => {
  let dir: string;
  let files: Array<{ kind: string; file: string }>;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'twstorm-fuzz-'));
    files = badFiles().map((bad, i) => {
      const file = path.join(dir, `bad-${i}.json`);
      writeFileSync(file, bad.text);
      return { kind: bad.kind, file };
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const assertRefused = (o: Outcome, file: string, kind: string): void => {
    const lines = o.stderr.split('\n').filter((l) => l !== '');
    assert.equal(o.code, 2, `${kind}: exit ${o.code}, stderr ${o.stderr}`);
    assert.equal(lines.length, 1, `${kind}: ${lines.length} lines on stderr: ${o.stderr}`);
    assert.ok(lines[0]!.includes(path.basename(file)), `${kind}: the line names the file: ${lines[0]}`);
    assert.doesNotMatch(lines[0]!, /TypeError|internal error|\bat .*\.js:\d+/, kind);
  };

  it('generates a few hundred distinct bad files of every kind', () => {
    assert.ok(files.length >= 250, `${files.length} files`);
    for (const kind of ['truncated', 'wrong type', 'missing', 'number', 'foreign']) {
      assert.ok(files.filter((f) => f.kind.startsWith(kind)).length >= 15, kind);
    }
  });

  it('report', async () => {
    for (const { kind, file } of files) {
      assertRefused(await runHandler(reportCommand.handler, { results: [file], output: path.join(dir, 'out.html') }), file, kind);
    }
  });

  it('compare (the bad file as baseline, then as current)', async () => {
    for (const [i, { kind, file }] of files.entries()) {
      const [baseline, current] = i % 2 === 0 ? [file, FIXTURE] : [FIXTURE, file];
      const o = await runHandler(compareCommand.handler, {
        baseline,
        current,
        tolerance: '10%',
        metric: [],
        latencyFloor: 0.1,
        confidence: 0.99,
        singleRunTolerance: '30%',
        markdown: false,
        json: false,
      });
      assertRefused(o, file, kind);
    }
  });

  it('plan --from', async () => {
    for (const { kind, file } of files) {
      assertRefused(await runHandler(planCommand.handler, { from: file, json: false }), file, kind);
    }
  });

  it('the real CLI, on a truncated file and a wrong-typed one (each start costs about a second)', () => {
    const sample = [files.find((f) => f.kind.startsWith('truncated'))!, files.find((f) => f.kind.startsWith('wrong type'))!];
    for (const { kind, file } of sample) {
      for (const args of [['report', file, '-o', path.join(dir, 'out.html')], ['compare', file, FIXTURE], ['plan', '--from', file]]) {
        const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
        const o = { code: run.status ?? -1, stderr: run.stderr };
        assertRefused(o, file, `${args[0]} ${kind}`);
      }
    }
  });
});
