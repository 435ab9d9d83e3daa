// `twstorm plan` from the command line: defaults from this machine, stated assumptions, JSON.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const twstorm = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );

describe('twstorm plan (CLI)', () => {
  it('--json with a given range: the known answer, and which inputs were assumed', async () => {
    const { code, stdout } = await twstorm(['plan', '--port-range', '32768 60999', '--tw-reuse', '0', '--max-tw-buckets', '262144', '--rate', '1000', '--json']);
    assert.equal(code, 0);
    const out = JSON.parse(stdout) as { inputs: { sources: number }; sources: Record<string, string>; plan: { perDestinationPerSec: number; exhaustionSec: number } };
    assert.ok(Math.abs(out.plan.perDestinationPerSec - 470.53) < 0.01);
    assert.ok(Math.abs(out.plan.exhaustionSec - 28.232) < 1e-9);
    assert.equal(out.sources['portRange'], 'given');
    assert.equal(out.sources['sources'], 'assumed: 1');
    assert.match(out.sources['timeWaitSec']!, /TCP_TIMEWAIT_LEN/);
  });

  it('text output names the formula and the fixes', async () => {
    const { code, stdout } = await twstorm(['plan', '--port-range', '32768 60999', '--tw-reuse', '0', '--rate', '1000', '--sources', '2']);
    assert.equal(code, 0);
    assert.match(stdout, /sustainable new conn\/s\s+941 per destination, 941 in total\s+\(= 2 × 28,232 ports ÷ 60\.0 s × 1 destination\)/);
    assert.match(stdout, /DOES NOT FIT/);
    assert.match(stdout, /use 3 source addresses instead of 2/);
  });

  it('bad input is a usage error (exit 2) saying what was expected', async () => {
    const { code, stderr } = await twstorm(['plan', '--port-range', 'lots']);
    assert.equal(code, 2);
    assert.match(stderr, /--port-range: expected "LOW HIGH"/);
    // Each of these used to answer another question with exit 0 (a helper's audit).
    const cases: Array<[string[], RegExp]> = [
      [['--rate'], /^twstorm: --rate: expected a number after it, got none/],
      [['--rate='], /^twstorm: --rate: expected a number after it, got none/],
      [['--rate', '10', '--max-tw-buckets', '-1'], /^twstorm: --max-tw-buckets: expected a whole number of at least 0, got -1/],
      [['--rate', '10', '--tw-sock-bytes', '-100'], /^twstorm: --tw-sock-bytes: expected a whole number of at least 1, got -100/],
      [['--rate', '10', '--sources', '1.5'], /^twstorm: --sources: expected a whole number of at least 1, got 1\.5/],
      [['--keep-alive', '50%'], /^twstorm: --keep-alive is a share of the offered rate: give --rate too/],
      [['--from', ''], /^twstorm: --from: expected a result JSON file after it, got none/],
    ];
    const runs = await Promise.all(cases.map(([args]) => twstorm(['plan', ...args])));
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
    }
  });

  it('an input that would be ignored is refused: model flags with --from, --conntrack-time-wait without --nat-pool', async () => {
    const [from, ct] = await Promise.all([
      twstorm(['plan', '--from', 'r.json', '--rate', '5', '--sources=4']),
      twstorm(['plan', '--rate', '100', '--conntrack-time-wait', '60']),
    ]);
    assert.equal(from.code, 2);
    assert.match(from.stderr, /^twstorm: --from takes every input from the result, so --sources, --rate would be ignored: drop them, or leave out --from to model them/);
    assert.equal(ct.code, 2);
    assert.match(ct.stderr, /^twstorm: --conntrack-time-wait is the NAT model's: give --nat-pool too/);
  });
});
