// `twstorm states` boots without yargs (src/cli/states-entry.ts): its own parser must read every
// command line it accepts exactly as yargs does, hand everything else to the full CLI, and load
// neither yargs nor another command's modules on the way.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import yargs from 'yargs';
import { parseStatesArgvLean, statesCommand, type StatesArgs } from '../../src/cli/states.js';
import { killAllStarted, twstorm } from '../helpers/cli.js';

after(() => killAllStarted());

/** What yargs hands the handler for `states …args`, or null when it refuses the line. */
async function viaYargs(args: string[]): Promise<Partial<StatesArgs> | null> {
  let seen: Partial<StatesArgs> | null = null;
  let failed = false;
  await yargs(['states', ...args])
    .command({ ...statesCommand, handler: (argv) => void (seen = argv) })
    .strict()
    .help(false)
    .version(false)
    .fail(() => void (failed = true))
    .parseAsync();
  if (failed || seen === null) return null;
  const argv = seen as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ['by', 'state', 'top', 'watch', 'count', 'json', 'netns']) if (argv[key] !== undefined) out[key] = argv[key];
  return out as Partial<StatesArgs>;
}

describe('the lean states parser', () => {
  const accepted = [
    [],
    ['--json'],
    ['--by', 'remote', '--top', '3'],
    ['--by=process', '--state', 'established'],
    ['--top=05', '--state', 'all', '--json'],
    ['--watch', '500ms', '--count', '2'],
    ['--watch='],
    ['--state='],
    ['--netns', '4242', '--json'],
    ['--top', '0'],
  ];
  for (const args of accepted) {
    it(`reads ${JSON.stringify(args)} as yargs does`, async () => {
      const lean = parseStatesArgvLean(args);
      assert.notEqual(lean, null, 'the lean parser should take this line');
      assert.deepEqual(lean, await viaYargs(args));
    });
  }

  // Lines the full CLI must read: help, typos, bad choices, non-integers, repeats, positionals,
  // forms parseArgs and yargs read differently.
  const handedOver = [
    ['--help'],
    ['-h'],
    ['--tpo', '3'],
    ['--by', 'nope'],
    ['--top', '1.5'],
    ['--top', 'x'],
    ['--top', '-1'],
    ['--count', '2e3'],
    ['--json', '--json'],
    ['--json=false'],
    ['--no-json'],
    ['extra'],
    ['--watch'],
    ['--', '--json'],
  ];
  for (const args of handedOver) {
    it(`hands ${JSON.stringify(args)} to yargs`, () => {
      assert.equal(parseStatesArgvLean(args), null);
    });
  }
});

describe('twstorm states through the lean entry', { concurrency: true }, () => {
  /** The modules a CLI run resolved, logged by a module resolve hook in the process itself. */
  async function resolvedBy(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; modules: string[] }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-lean-'));
    try {
      const log = path.join(dir, 'resolved.log');
      const hook = path.join(dir, 'hook.mjs');
      const register = path.join(dir, 'register.mjs');
      await writeFile(hook, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) {\n  const r = await next(s, c);\n  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');\n  return r;\n}\n`);
      await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
      const { code, stdout, stderr } = await twstorm(args, { env: { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(register).href}` } }).exit;
      return { code, stdout, stderr, modules: (await readFile(log, 'utf8')).trim().split('\n') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('counts the sockets without loading yargs or any other command', async () => {
    const r = await resolvedBy(['states', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).schema, 'twstorm/states@1');
    assert.ok(r.modules.some((m) => m.endsWith('/dist/bundle/states-entry.js')), 'the hook saw the lean entry');
    assert.deepEqual(r.modules.filter((m) => /\/node_modules\/yargs\/|\/dist\/bundle\/(main|yargs|run|serve|report|compare|merge|plan|doctor|list|inside)(-[A-Z0-9]{8})?\.js$/.test(m)), []);
  });

  it('a line it cannot read goes to the full CLI: one usage line, exit 2, nothing on stdout', async () => {
    const r = await resolvedBy(['states', '--topp', '3']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'twstorm: unknown option: --topp (did you mean --top?) (see "twstorm states --help")\n');
    // yargs is bundled (scripts/bundle.mjs): the full CLI loads it as a chunk of its own.
    assert.ok(r.modules.some((m) => m.endsWith('/dist/bundle/main.js')), 'the full CLI read it');
    assert.ok(r.modules.some((m) => /\/dist\/bundle\/yargs-[A-Z0-9]{8}\.js$/.test(m)), 'yargs read it');
    // Only the command named: the rest of the CLI stays unloaded.
    assert.deepEqual(r.modules.filter((m) => /\/dist\/bundle\/(run|serve|report|compare|merge|plan|doctor|list|inside)(-[A-Z0-9]{8})?\.js$/.test(m)), []);
  });
});
