// A few hundred generated bad scenario files — wrong types, huge numbers, deep nesting, alias
// bombs and cycles, binary junk, huge key counts, unknown fields, bad durations, hosts, sysctls —
// each must be refused the way a user needs: exit 2 (a ScenarioError), one line per problem,
// no stack trace, no TypeError, nothing run. Every file goes through the loader in-process
// with the same checks `twstorm run` passes; a sample also goes through the real CLI, whose
// stderr must be exactly those lines. A seeded generator keeps failures reproducible.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadScenarioFile, ScenarioError } from '../../src/scenario/index.js';
import { validateThresholds } from '../../src/thresholds/index.js';
import { missingSysctlProblems } from '../../src/environment/sysctl.js';
import { terminalSafe } from '../../src/util/say.js';
import { twstorm as startCli } from '../helpers/cli.js';

const SEED = Number(process.env['TWSTORM_FUZZ_SEED'] ?? 20261201);
const FILES = 400;
const CLI_SAMPLE = 12;

/** mulberry32: a tiny seeded PRNG, so a failing case can be regenerated from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (n: number): number => Math.floor(random() * n);

const BASE = {
  name: 'fuzz',
  connections: 100,
  duration: '5s',
  concurrency: 4,
  close: { first: 'client', client: 'fin' },
  environment: { sysctls: { 'net.ipv4.tcp_tw_reuse': 0 } },
};

/** Leaf paths and values that are wrong there, whatever the rest of the file says. */
const WRONG: Array<[string[], unknown[]]> = [
  [['name'], [42, '', '../etc/passwd', 'n'.repeat(500), null, ['a'], { a: 1 }, 'a b']],
  [['connections'], [0, -1, 1.5, 2 ** 53 - 1, 2 ** 31 * 1000, 1e308, '10k', true, null, [], {}]],
  [['concurrency'], [0, 2 ** 31, -5, 'many', 1e21]],
  [['rate'], [0, -1, 1e-300, 1e12, 'fast', true, []]],
  [['maxInFlight'], [0, 2 ** 40, 'x']],
  [['duration'], ['3 parsecs', '-1s', '25h', '1e400s', '', '∞', 1e20, '99999999h', true, [], 'PT5S', '5 s s']],
  [['tail'], ['11m', -1, 'soon']],
  [['sample'], ['1ms', '2m', 0]],
  [['connectTimeout'], [0, '1d', 'never']],
  [['payload', 'request'], [2 ** 53 - 1, 2 ** 31, -1, 1.5, '64', 1e308]],
  [['payload', 'response'], [2 ** 32, -0.5, 'big']],
  [['http', 'body'], [2 ** 40, -1]],
  [['http', 'requests'], [0, 1e15]],
  [['http', 'serviceDelay'], [{ min: '5ms', max: '1ms' }, { min: 'x' }, '11m', -3]],
  [['close', 'first'], ['nobody', 1, null]],
  [['close', 'lingerSeconds'], [0, 3601, 1e9]],
  [['server', 'host'], ['localhost', '0.0.0.0', '::', '10.0.0.1', '8.8.8.8', 'example.com', '127.1', '', 5]],
  [['server', 'port'], [65536, -1, 'http']],
  [['server', 'backlog'], [0, 2 ** 31]],
  [['client', 'sourceAddresses'], [['10.0.0.1'], 'x', Array.from({ length: 1025 }, (_, i) => `127.0.${i >> 8}.${i & 255}`)]],
  [['environment', 'isolation'], ['vm', 0]],
  [['environment', 'sysctls'], [
    { 'net.ipv4.tcp_fin_timout': 30 },
    { 'net.netfilter.nf_hooks_lwtunnel': 1 },
    { 'kernel.pid_max': 1 },
    { 'net.core.netdev_max_backlog': 1 },
    { 'net.ipv4.tcp_tw_reuse': true },
    'junk',
  ]],
  [['stages'], [
    [{ duration: '1m', target: 10 }],
    [{ duration: '1s', target: -1 }],
    [{ duration: '1s', target: 1e12 }],
    [{ target: 5 }],
    [{ duration: '1s', target: 1.5, extra: 1 }],
    'ramp',
    Array.from({ length: 101 }, () => ({ duration: 1, target: 1 })),
  ]],
  [['matrix'], [{ 'close.frist': ['client'] }, { name: ['a'] }, { connections: [] }, { 'bad key!': [1] }, { connections: 'x' }]],
  [['thresholds'], [{ 'summary.timeWait.peek': '< 5' }, { 'summary.errors.EADDRNOTAVAIL': '= 0' }, { summary: 5 }, 'x']],
];
const UNKNOWN = [['conections'], ['close', 'frist'], ['server', 'hots'], ['payload', 'size'], ['http', 'pool'], ['environment', 'sysctl']];

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** A scenario with 1–4 wrong or unknown fields, written as YAML or JSON. */
function structured(): string {
  const scenario = structuredClone(BASE) as Record<string, unknown>;
  const mutations = 1 + int(4);
  for (let i = 0; i < mutations; i++) {
    if (random() < 0.2) setAt(scenario, pick(UNKNOWN), pick([1, 'x', null, {}]));
    else {
      const [path, values] = pick(WRONG);
      setAt(scenario, path, pick(values));
    }
  }
  return random() < 0.5 ? stringify(scenario) : JSON.stringify(scenario);
}

/** Hostile text: the parser's and the loader's limits. */
const HOSTILE: Array<() => string | Buffer> = [
  // Billion laughs, 3–9 levels.
  () => {
    const levels = 3 + int(7);
    let text = 'name: t\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < levels; i++) text += `l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]\n`;
    return text;
  },
  // Cycles through aliases.
  () => pick(['name: t\npayload: &p\n  request: 1\n  self: *p\n', 'name: t\nmatrix: &m {x: [*m]}\n', 'a: &a [*a]\nname: t\n']),
  // Deep nesting, flow and block.
  () => `name: t\nx: ${'['.repeat(17 + int(2000))}${']'.repeat(17 + int(2000))}\n`,
  () => `name: t\nx: ${'{a: '.repeat(17 + int(500))}1${'}'.repeat(17 + int(500))}\n`,
  () => `name: t\n${Array.from({ length: 17 + int(200) }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} 1\n`,
  // Huge key counts, top level or nested; past the file size.
  () => `name: t\n${Array.from({ length: 1001 + int(1000) }, (_, i) => `k${i}: ${i}`).join('\n')}\n`,
  () => `name: t\nthresholds:\n${Array.from({ length: 1001 + int(1000) }, (_, i) => `  summary.errors.E${i}: "== 0"`).join('\n')}\n`,
  () => `name: t\ndescription: "${'x'.repeat(1024 * 1024 + int(1000))}"\n`,
  // Binary junk, with or without NUL bytes; printable junk.
  () => Buffer.from(Array.from({ length: 1 + int(2000) }, () => int(256))),
  () => Buffer.from(Array.from({ length: 1 + int(2000) }, () => 1 + int(255))),
  () => Array.from({ length: 1 + int(500) }, () => pick([...'{}[]:,-?&*!|>\'"%@`#\n \t', 'a', '1'])).join(''),
  // Duplicate, prototype and complex keys; wrong top level; empty.
  () => 'name: a\nconnections: 1\nconnections: 2\n',
  () => `name: a\n${pick(['__proto__', 'constructor', 'prototype'])}: {x: 1}\n`,
  () => 'name: a\nenvironment: {sysctls: {__proto__: 1}}\n',
  () => 'name: a\n? [a, b]\n: 1\n',
  () => pick(['', '# only a comment\n', '- a\n- b\n', '42\n', '"name"\n', 'null\n', '---\n---\n']),
  // Tags the schema does not know.
  () => pick(['name: !!binary aGVsbG8=\n', 'name: t\nduration: !!timestamp 2001-12-14\n', 'name: t\nmatrix: !!set {a}\n', 'name: !custom x\n']),
];

function generate(): Array<string | Buffer> {
  return Array.from({ length: FILES }, (_, i) => (i % 3 === 2 ? pick(HOSTILE)() : structured()));
}

const CHECKS = [(raw: Record<string, unknown>, source: string) => validateThresholds(raw['thresholds'], source), missingSysctlProblems];

function assertCleanLines(lines: readonly string[], what: string): void {
  assert.ok(lines.length > 0, `${what}: no problem reported`);
  for (const line of lines) {
    assert.doesNotMatch(line, /[\n\r\0]/, `${what}: a problem spans several lines`);
    assert.doesNotMatch(line, /TypeError|RangeError|ReferenceError|internal error|\n\s+at /, `${what}: ${line}`);
    assert.ok(line.length < 12_000, `${what}: a problem line of ${line.length} characters`);
  }
}

// Validation takes well under a second; 30 s means a hang (a bad file that started a run).
const runCli = (file: string) => startCli(['run', file, '--out', join(tmpdir(), 'twstorm-fuzz-never-written')], { timeoutMs: 30_000 }).exit;

describe(`fuzzed scenario files (seed ${SEED})`, () => {
  let dir = '';
  const files: Array<{ path: string; problems: string[] }> = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twstorm-fuzz-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${FILES} bad files are each refused with one line per problem, in-process`, async (t) => {
    const texts = generate();
    const started = performance.now();
    for (const [i, text] of texts.entries()) {
      const path = join(dir, `f${i}.${typeof text === 'string' && text.startsWith('{') ? 'json' : 'yaml'}`);
      await writeFile(path, text);
      let error: unknown;
      try {
        await loadScenarioFile(path, [], { checks: CHECKS });
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof ScenarioError, `file ${i} (seed ${SEED}): expected a ScenarioError, got ${error instanceof Error ? error.stack : String(error)}\n${text.toString().slice(0, 300)}`);
      assertCleanLines(error.problems, `file ${i}`);
      files.push({ path, problems: error.problems });
    }
    const ms = performance.now() - started;
    // Reported, not asserted (no timing assertions on a shared machine); the test runner's own
    // timeout is the bound against a hang.
    t.diagnostic(`${FILES} files refused in-process in ${Math.round(ms)} ms`);
  });

  it(`a sample of ${CLI_SAMPLE} goes through "twstorm run": exit 2, exactly those lines, nothing run`, async (t) => {
    assert.equal(files.length, FILES, 'the in-process pass ran first');
    const sample = Array.from({ length: CLI_SAMPLE }, (_, i) => files[Math.floor((i * FILES) / CLI_SAMPLE)]!);
    const started = performance.now();
    // Three at a time: the machine is shared.
    for (let i = 0; i < sample.length; i += 3) {
      const runs = await Promise.all(sample.slice(i, i + 3).map(async (f) => ({ f, out: await runCli(f.path) })));
      for (const { f, out } of runs) {
        assert.equal(out.code, 2, `${f.path}: exit ${out.code}\n${out.stderr}`);
        assert.equal(out.stdout, '', 'nothing on stdout: no run, no summary');
        const lines = out.stderr.trimEnd().split('\n');
        // The CLI writes every message through the terminal-safe writer (a quoted DEL is dropped).
        assert.deepEqual(lines, f.problems.map((p) => `twstorm: ${terminalSafe(p)}`), `${f.path}: one line per problem`);
        assertCleanLines(lines, f.path);
      }
    }
    t.diagnostic(`${CLI_SAMPLE} CLI runs in ${Math.round(performance.now() - started)} ms`);
  });
});
