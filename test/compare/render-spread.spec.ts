// The compare renderers show what the judge saw: each side's median with its min–max over the
// repeats, and why a figure was or was not called a regression (the rank test's p-value, the range
// rule for counts), and say plainly when a side is a single run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults, renderCompareJunit, renderCompareMarkdown, renderCompareTerminal, type CompareReport } from '../../src/compare/index.js';
import { parseXml } from './xml-check.js';
import { makeResult } from '../report/make-result.js';

const side = (name: string, rates: number[]) =>
  rates.map((rate, i) => ({
    file: `${name}-${i}.json`,
    result: makeResult((r) => {
      r.scenario.name = 'spread';
      r.summary.connections.ratePerSec = rate;
      r.summary.latencyMs.connect = { ...r.summary.latencyMs.connect, p99: 1 };
    }),
  }));

function compare(baseline: number[], current: number[]): CompareReport {
  const pairing = { pairs: [{ name: 'spread', baseline: side('b', baseline), current: side('c', current) }], missing: [], added: [] };
  return compareResults('base', 'cur', pairing, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
}

// 5 vs 5 repeats, throughput down ~30 %: clear of the noise (exact one-sided p = 1/252 ≈ 0.004).
const repeated = (): CompareReport => compare([2000, 1900, 2100, 1950, 2050], [1400, 1350, 1450, 1300, 1500]);

describe('compare renderers show the spread and the reason', () => {
  it('terminal: median (min–max) per side, the p-value, the runs per side', () => {
    const text = renderCompareTerminal(repeated());
    assert.match(text, /^spread {2}\(5 vs 5 runs; 1 regression\)$/m);
    const row = text.split('\n').find((l) => l.includes('connections.ratePerSec'))!;
    assert.match(row, /2,000 \(1,900–2,100\)\s+1,400 \(1,300–1,500\)\s+-30\.0%\s+REGRESSION\s+every current run more than 10% below every baseline run \(p = 0\.004\)/);
    // A count the repeats agree on shows one figure, and what it was held to.
    assert.match(text, /timeWait\.peak\s+1,000\s+1,000\s+0\.0%\s+the same$/m);
  });

  it('terminal: within the noise is said with its p-value', () => {
    const text = renderCompareTerminal(compare([2000, 1500, 2100, 1400, 2050], [1900, 1350, 2000, 1300, 1500]));
    assert.match(text, /connections\.ratePerSec\s+2,000 \(1,400–2,100\)\s+1,500 \(1,300–2,000\)\s+-25\.0%\s+within the noise \(p = 0\.\d+ > 0\.010\)/);
  });

  it('a timing figure that did not happen in any run of a 3-vs-3 set is not called a single run', () => {
    // ports.exhaustedAtMs is null in every run (the ports never ran out): no values, but 3 runs a side.
    const pairing = { pairs: [{ name: 'spread', baseline: side('b', [2000, 1900, 2100]), current: side('c', [2000, 1950, 2050]) }], missing: [], added: [] };
    const report = compareResults('base', 'cur', pairing, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: ['summary.ports.exhaustedAtMs'] });
    const row = renderCompareTerminal(report).split('\n').find((l) => l.includes('ports.exhaustedAtMs'))!;
    assert.ok(row, renderCompareTerminal(report));
    assert.doesNotMatch(row, /no noise estimate|single-run/);
  });

  it('a single run on a side: "no noise estimate; single-run tolerance 30% applies", in every renderer', () => {
    const report = compare([2000], [1900, 1950, 1850]);
    const plain = /no noise estimate; single-run tolerance 30% applies/;
    const text = renderCompareTerminal(report);
    assert.match(text.split('\n').find((l) => l.includes('connections.ratePerSec'))!, plain);
    assert.match(text.split('\n').find((l) => l.includes('latencyMs.connect.p99'))!, plain);
    // Counts are judged as counts, not against the single-run tolerance.
    assert.doesNotMatch(text.split('\n').find((l) => l.includes('connections.failed'))!, plain);
    assert.match(renderCompareMarkdown(report), /\| spread \| \d+ other figures \| \| \| \| not flagged \| 1 vs 3 run\(s\): no noise estimate, single-run tolerance 30% applies/);
    const junit = parseXml(renderCompareJunit(report));
    const cases = junit.children[0]!.children.filter((c) => c.name === 'testcase');
    const rate = cases.find((c) => c.attributes['name'] === 'connections.ratePerSec')!;
    const out = rate.children.find((c) => c.name === 'system-out')!;
    assert.match(out.text, /baseline 2,000 \(1 run\(s\)\), current 1,900 \(1,850–1,950\) \(3 run\(s\)\), higher is better; no noise estimate; single-run tolerance 30% applies/);
  });

  it('Markdown and JUnit carry the spread and the p-value of a regression', () => {
    const report = repeated();
    const md = renderCompareMarkdown(report);
    assert.match(md, /\| spread \| connections\.ratePerSec \| 2,000 \(1,900–2,100\) \| 1,400 \(1,300–1,500\) \| -30\.0% \| ❌ regression \| every current run more than 10% below every baseline run \(p = 0\.004\) \|/);
    const junit = parseXml(renderCompareJunit(report));
    const rate = junit.children[0]!.children.find((c) => c.attributes['name'] === 'connections.ratePerSec')!;
    const failure = rate.children.find((c) => c.name === 'failure')!;
    assert.match(failure.text, /baseline 2,000 \(1,900–2,100\) \(5 run\(s\)\), current 1,400 \(1,300–1,500\) \(5 run\(s\)\).*p = 0\.004/);
  });
});
