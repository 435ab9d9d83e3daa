// The gate on real runs of bundled scenarios: what the kernel counts exactly is judged as
// counts. server-restart without SO_REUSEADDR against with it must show the EADDRINUSE bind
// failures and the failed restart as regressions, whatever the latency noise. And
// `run --repeat` writes one set the compare reads as one side.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CompareReport } from '../../src/compare/index.js';
import type { StoredResult } from '../../src/result/provenance.js';
import { twstorm as startCli } from '../helpers/cli.js';


const twstorm = (args: string[]) => startCli(args, { env: { ...process.env, GITHUB_STEP_SUMMARY: '' }, timeoutMs: 180_000 }).exit;

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-compare-real-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('compare on real runs', () => {
  it('server-restart: reuseAddr false against true shows the EADDRINUSE bind failures and the failed restart', async () => {
    const out = path.join(tmp, 'restart');
    const run = await twstorm(['run', 'server-restart', '--set', 'connections=300', '--set', 'server.restart.timeout=1s', '--out', out, '--no-thresholds']);
    assert.equal(run.code, 0, run.stderr);
    const files = (await readdir(out)).filter((n) => n.endsWith('.json'));
    const withFlag = path.join(out, files.find((n) => n.includes('reuseAddr-true') || n.includes('true'))!);
    const without = path.join(out, files.find((n) => n !== path.basename(withFlag))!);
    const r = await twstorm(['compare', withFlag, without, '--json']);
    assert.equal(r.code, 4, r.stderr);
    const report = JSON.parse(r.stdout) as CompareReport;
    const status = (metric: string) => report.scenarios[0]!.metrics.find((m) => m.metric === metric)?.status;
    assert.equal(status('summary.restart.ok'), 'regression');
    assert.equal(status('summary.serverErrors.EADDRINUSE'), 'regression');
    const binds = report.scenarios[0]!.metrics.find((m) => m.metric === 'summary.serverErrors.EADDRINUSE')!;
    assert.equal(binds.baseline, 0);
    assert.ok(binds.current! >= 5, `only ${binds.current} failed binds`);
    // The other way round it is a fix, not a regression.
    const back = JSON.parse((await twstorm(['compare', without, withFlag, '--json'])).stdout) as CompareReport;
    assert.equal(back.scenarios[0]!.metrics.find((m) => m.metric === 'summary.restart.ok')!.status, 'improvement');
  });

  it('run --repeat 3 writes one set: marked, named, with the spread printed, compared as a set', async () => {
    const dir = path.join(tmp, 'repeat');
    const run = await twstorm(['run', 'client-closes-first', '--repeat', '3', '--set', 'connections=300', '--set', 'tail=200ms', '--out', dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /client-closes-first: spread over 3 repeats/);
    assert.match(run.stdout, /TIME_WAIT peak, client\s+300\s+300 – 300/);
    const files = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    assert.equal(files.length, 3);
    const results = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as StoredResult));
    assert.deepEqual(results.map((r) => r.repeat!.index).sort(), [1, 2, 3]);
    assert.equal(new Set(results.map((r) => r.repeat!.set)).size, 1);
    assert.ok(files.every((f, i) => f.endsWith(`-r${i + 1}of3.json`)), files.join(' '));
    const set = (await readdir(dir)).find((n) => n.endsWith('.html') && !/-r\dof3\.html$/.test(n))!;
    assert.match(await readFile(path.join(dir, set), 'utf8'), /spread over 3 repeats/);
    const cmp = JSON.parse((await twstorm(['compare', dir, dir, '--json'])).stdout) as CompareReport;
    assert.equal(cmp.scenarios[0]!.baselineFiles.length, 3);
    assert.equal(cmp.scenarios[0]!.noiseEstimate, true);
    assert.equal(cmp.regressions, 0);
  });
});
