// The package as a user installs it: `npm pack` the tree, install the tarball into an empty
// directory (dependencies from the local npm cache, the registry only for what the cache
// lacks), then use it the two ways the README shows — the CLI through npx, and the typed API
// through `import ... from 'twstorm'` (run, and type-checked against the emitted .d.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sh(command: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0, stdout, stderr });
    });
  });
}

let tmp: string;
let app: string;

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-pack-'));
  app = path.join(tmp, 'app');
  // dist/ is already built (npm test builds first): skip prepack's second build.
  const pack = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], ROOT);
  assert.equal(pack.code, 0, pack.stderr);
  const tarball = (await readdir(tmp)).find((n) => n.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote no tarball');
  await sh('mkdir', ['-p', app], tmp);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const install = await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, tarball)], app);
  assert.equal(install.code, 0, install.stderr);
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the packed package, installed in an empty directory', () => {
  it('ships what it needs and nothing of the repository around it', async () => {
    const pkg = path.join(app, 'node_modules', 'twstorm');
    const top = (await readdir(pkg)).sort();
    assert.deepEqual(top.filter((n) => !['README.md', 'LICENSE'].includes(n)), ['Dockerfile', 'bin', 'dist', 'examples', 'package.json', 'scenarios', 'schema']);
    assert.deepEqual((await readdir(path.join(pkg, 'dist'))).sort(), ['bundle', 'src'], 'tests and benches stay out of the package');
    // Every bundled scenario points editors at the schema shipped beside it.
    for (const name of (await readdir(path.join(pkg, 'scenarios'))).filter((n) => n.endsWith('.yaml'))) {
      const text = await readFile(path.join(pkg, 'scenarios', name), 'utf8');
      const ref = /# yaml-language-server: \$schema=(\S+)/.exec(text);
      assert.ok(ref, `${name} has no $schema reference`);
      const schema = JSON.parse(await readFile(path.resolve(pkg, 'scenarios', ref[1]!), 'utf8')) as { title?: string };
      assert.equal(schema.title, 'twstorm scenario', `${name}: ${ref[1]} is not the scenario schema`);
    }
  });

  it('npx twstorm run client-closes-first --set connections=200 runs and writes its result', async () => {
    const out = path.join(app, 'out');
    const r = await sh('npx', ['--no-install', 'twstorm', 'run', 'client-closes-first', '--set', 'connections=200', '--out', out, '--json'], app);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { summary: { connections: { completed: number } }; tool: { version: string } };
    assert.equal(result.summary.connections.completed, 200);
    assert.ok((await readdir(out)).some((n) => n.endsWith('.html')), 'no HTML report next to the result');
  });

  it("import { runScenario } from 'twstorm' runs, and the API type-checks against the shipped .d.ts", async () => {
    await writeFile(
      path.join(app, 'use.mjs'),
      `import { runScenario, compareResults, mergeResults, renderHtml, plan, loadScenario } from 'twstorm';
const s = await loadScenario('client-closes-first', ['connections=50']);
const [r] = await runScenario('client-closes-first', { set: ['connections=50'], outDir: 'api-out' });
const report = await compareResults(r, r);
const html = await renderHtml(r);
console.log(JSON.stringify({ connections: s.connections, completed: r.summary.connections.completed, regressions: report.regressions, html: html.startsWith('<!doctype html>'), fns: [typeof mergeResults, typeof plan] }));
`,
    );
    const r = await sh(process.execPath, ['use.mjs'], app);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { connections: 50, completed: 50, regressions: 0, html: true, fns: ['function', 'function'] });

    await writeFile(
      path.join(app, 'use.ts'),
      `import { runScenario, compareResults, type RunResult, type CompareReport, type Scenario } from 'twstorm';
export async function gate(): Promise<boolean> {
  const base: RunResult[] = await runScenario('client-closes-first', { repeat: 5 });
  const cur = await runScenario('client-closes-first', { repeat: 5 });
  const report: CompareReport = await compareResults(base, cur, { confidence: 0.99 });
  const name: Scenario['name'] = base[0]!.scenario.name;
  return report.failed && name.length > 0;
}
// @ts-expect-error: runScenario takes options, not a number
runScenario('client-closes-first', 5);
`,
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const check = await sh(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023', '--skipLibCheck', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', 'use.ts'], app);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });
});
