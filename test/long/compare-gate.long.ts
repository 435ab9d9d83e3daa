// The compare gate measured on real runs (not part of `npm test`: it takes ~15 minutes; run
// it with `npm run build && node --test dist/test/long/compare-gate.long.js`, .ci/run does).
//
// 21 repeat sets (5 runs each) of one small HTTP scenario and 20 sets of the same scenario with
// a real change (the server answers 5 ms later), interleaved in time, while a neighbour keeps
// running another twstorm load beside them. Then, with the gate's defaults (the ones the
// shipped CI example uses):
//  - 20 compares of identical configurations (set i against set i+1): 0 regressions allowed;
//  - 20 compares of a set against a changed set: all 20 must report a regression.
// The figures are written to $TWSTORM_GATE_REPORT (or printed) so docs can quote them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareResults, pairResultSets, type CompareReport } from '../../src/compare/index.js';

// TWSTORM_BIN: measure a frozen copy while the tree is rebuilt.
const BIN = process.env['TWSTORM_BIN'] ?? fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const SETS = Number(process.env['TWSTORM_GATE_SETS'] ?? 20);
const REPEAT = 5;
/** Whole test bounded: a stuck run must not hold CI for ever. */
const DEADLINE_MS = Number(process.env['TWSTORM_GATE_DEADLINE_MS'] ?? 45 * 60_000);

const SCENARIO = `# gate-http: small enough to repeat often, big enough to have percentiles.
name: gate-http
protocol: http
concurrency: 8
duration: 20s
http: { requests: 600, client: keepalive, policy: close-after, closeAfter: 1, body: 64 }
tail: 200ms
census: 500ms
`;

/** Every child still running when this process ends is interrupted (it then cleans up its namespace). */
const children = new Set<ChildProcess>();
const track = (c: ChildProcess): ChildProcess => {
  children.add(c);
  c.once('close', () => children.delete(c));
  return c;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.kill('SIGINT');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGINT');
});

function run(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = track(spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Another load on the same cores for the whole measurement: the shared-runner condition. */
function neighbour(dir: string): { stop: () => Promise<void> } {
  let stopping = false;
  let current: ChildProcess | null = null;
  const loop = (async () => {
    while (!stopping) {
      current = track(spawn(process.execPath, [BIN, 'run', 'client-closes-first', '--set', 'connections=3000', '--out', dir], { stdio: 'ignore' }));
      await new Promise((r) => current!.once('close', r));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      current?.kill('SIGINT');
      await loop;
    },
  };
}

test('compare gate: 0 false regressions in 20 identical compares, 20 of 20 real changes caught', { timeout: DEADLINE_MS }, async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-gate-'));
  const started = Date.now();
  const side = neighbour(path.join(tmp, 'neighbour'));
  try {
    const file = path.join(tmp, 'gate-http.yaml');
    await writeFile(file, SCENARIO);
    const same: string[] = [];
    const changed: string[] = [];
    const runSet = async (dir: string, delay: string): Promise<void> => {
      await mkdir(dir, { recursive: true });
      const r = await run(['run', file, '--repeat', String(REPEAT), '--out', dir, '--set', `http.serviceDelay=${delay}`]);
      assert.equal(r.code, 0, r.stderr);
    };
    for (let i = 0; i <= SETS; i += 1) {
      assert.ok(Date.now() - started < DEADLINE_MS, 'out of time');
      same.push(path.join(tmp, `same-${i}`));
      await runSet(same[i]!, '0ms');
      if (i < SETS) {
        changed.push(path.join(tmp, `changed-${i}`));
        await runSet(changed[i]!, '5ms');
      }
    }
    const gate = async (a: string, b: string): Promise<CompareReport> =>
      compareResults(a, b, await pairResultSets(a, b), { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    const falseAlarms: string[] = [];
    for (let i = 0; i < SETS; i += 1) {
      const report = await gate(same[i]!, same[i + 1]!);
      assert.equal(report.scenarios[0]!.noiseEstimate, true);
      for (const m of report.scenarios[0]!.metrics) if (m.status === 'regression') falseAlarms.push(`compare ${i}: ${m.metric} ${m.baseline} → ${m.current} (${m.reason})`);
    }
    let caught = 0;
    const caughtBy = new Map<string, number>();
    for (let i = 0; i < SETS; i += 1) {
      const report = await gate(same[i]!, changed[i]!);
      const found = report.scenarios[0]!.metrics.filter((m) => m.status === 'regression');
      if (found.length > 0) caught += 1;
      for (const m of found) caughtBy.set(m.metric, (caughtBy.get(m.metric) ?? 0) + 1);
    }
    const figures = {
      sets: SETS,
      repeat: REPEAT,
      minutes: Math.round((Date.now() - started) / 6000) / 10,
      identicalCompares: SETS,
      falseRegressions: falseAlarms.length,
      falseAlarms,
      changedCompares: SETS,
      caught,
      caughtBy: Object.fromEntries(caughtBy),
    };
    const text = JSON.stringify(figures, null, 1);
    if (process.env['TWSTORM_GATE_REPORT']) await writeFile(process.env['TWSTORM_GATE_REPORT'], `${text}\n`);
    process.stdout.write(`${text}\n`);
    assert.deepEqual(falseAlarms, [], 'regressions reported between identical configurations');
    assert.equal(caught, SETS, 'a 5 ms service delay was not caught in every compare');
  } finally {
    await side.stop();
    await rm(tmp, { recursive: true, force: true });
  }
});
