// The text outputs carry no markup and no terminal control from a result file: `compare`'s
// Markdown (a CI job summary) and JUnit XML, the compare table and the run summary in the
// terminal. The results are fixtures poisoned in every field the reader accepts (poison.ts),
// and the escape functions are checked on their own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compareResults,
  pairResults,
  renderCompareJunit,
  renderCompareMarkdown,
  renderCompareTerminal,
  type CompareReport,
} from '../../src/compare/index.js';
import type { RunResult } from '../../src/result/model.js';
import { escapeHtml, escapeMarkdown, escapeXml, stripControl } from '../../src/util/escape.js';
import { renderComparisonBlock, renderRunBlock, renderTerminalSummary } from '../../src/report/terminal.js';
import { renderTerminalComparison } from '../../src/report/terminal-compare.js';
import { parseXml } from '../compare/xml-check.js';
import { payload, poison } from './poison.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));
const fixture = async (name: string): Promise<RunResult> =>
  JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;

/** Any control character but the newline that separates lines. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

// In a describe: the hooks then belong to this file's tests alone, also when test/specs.ts
// runs every spec file in one process.
describe('outputs escape user text', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-outputs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A baseline and a current directory holding the same poisoned run, the current one worse. */
  async function poisonedComparison(): Promise<CompareReport> {
    const { result } = await poison(await fixture('port-exhaustion'), 'c');
    const worse = structuredClone(result);
    worse.summary.connections.ratePerSec /= 2;
    for (const key of Object.keys(worse.summary.errors)) worse.summary.errors[key]! *= 3;
    const base = path.join(dir, 'base');
    const cur = path.join(dir, 'cur');
    await mkdir(base, { recursive: true });
    await mkdir(cur, { recursive: true });
    await writeFile(path.join(base, 'a.json'), JSON.stringify(result));
    await writeFile(path.join(cur, 'a.json'), JSON.stringify(worse));
    const report = compareResults(base, cur, await pairResults(base, cur), { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    // Names that come from the command line and the environment notes are poisoned too.
    report.baseline = payload('base');
    report.current = payload('cur');
    report.missing = [payload('missing')];
    report.added = [payload('added')];
    report.scenarios[0]!.noise.push(payload('noise'));
    return report;
  }

  describe('escape functions', () => {
    it('escapeHtml and escapeXml leave no markup; escapeXml drops what XML 1.0 forbids', () => {
      assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
      assert.equal(escapeXml('a\u0001b\u001b[31m\uD800<c>'), 'ab[31m&lt;c&gt;');
    });

    it('stripControl removes ANSI sequences, carriage returns, C0/C1 controls and bidi overrides', () => {
      assert.equal(stripControl('\u001b[2J\u001b[1;31mred\u001b[0m'), 'red');
      assert.equal(stripControl('title\u001b]0;owned\u0007 after'), 'title after');
      assert.equal(stripControl('fake\rreal'), 'fake real');
      assert.equal(stripControl('a\nb\tc'), 'a b c');
      assert.equal(stripControl('x\u0007\u0000\u009b31my\u202eevil'), 'xyevil');
      assert.equal(stripControl('EADDRNOTAVAIL ✓ 5 000'), 'EADDRNOTAVAIL ✓ 5 000');
    });

    it('escapeMarkdown: no HTML, no link, no code span, no extra table cell, one line', () => {
      const md = escapeMarkdown('<img src=x onerror=alert(1)> [click](javascript:alert(1)) `code` a|b *em* _u_ ~s~\nnext\\');
      assert.equal(
        md,
        '&lt;img src=x onerror=alert(1)&gt; \\[click\\](javascript:alert(1)) \\`code\\` a\\|b \\*em\\* \\_u\\_ \\~s\\~ next\\\\',
      );
    });
  });

  describe('compare outputs of poisoned results', () => {
    it('Markdown: no raw HTML, every table row keeps its seven cells, no code span or link opens', async () => {
      const md = renderCompareMarkdown(await poisonedComparison());
      assert.doesNotMatch(md, /[<>]/, 'no raw < or > anywhere');
      assert.doesNotMatch(md, CONTROL);
      assert.doesNotMatch(md, /(?<!\\)[`[\]]/, 'every backtick and bracket is escaped');
      const rows = md.split('\n').filter((l) => l.startsWith('|'));
      assert.ok(rows.length >= 4, md);
      for (const row of rows) assert.equal(row.match(/(?<!\\)\|/g)!.length, 8, `seven cells: ${row}`);
      assert.ok(md.includes('&lt;/script&gt;&lt;script&gt;\\_\\_xss'), 'the payload is shown as text');
    });

    it('JUnit: well-formed XML whose attributes read back as the text without its control characters', async () => {
      const report = await poisonedComparison();
      const root = parseXml(renderCompareJunit(report));
      const suite = root.children.find((c) => c.name === 'testsuite')!;
      assert.equal(suite.attributes['name'], stripXmlForbidden(report.scenarios[0]!.scenario));
      assert.ok(suite.attributes['name']!.includes('<img src=x onerror='));
    });

    it('terminal table: no escape sequence or carriage return reaches the terminal', async () => {
      const text = renderCompareTerminal(await poisonedComparison());
      assert.doesNotMatch(text, CONTROL);
      assert.ok(text.includes('[31m') === false, 'the whole ANSI sequence is gone, not just ESC');
    });
  });

  /** What XML keeps of a string: everything but the characters XML 1.0 forbids. */
  const stripXmlForbidden = (s: string): string => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');

  describe('the run summary in the terminal', () => {
    it('prints no control character from a poisoned result, single run and matrix', async () => {
      const { result } = await poison(await fixture('port-exhaustion'), 't');
      const summary = renderTerminalSummary(result, '/tmp/r.json', '/tmp/r.html');
      assert.doesNotMatch(summary, CONTROL);
      assert.ok(summary.includes("</script><script>__xss('t"), 'the scenario name is printed, controls removed');
      const matrix = renderTerminalComparison([result, result]);
      assert.doesNotMatch(matrix, CONTROL);
    });

    it('one blank line between blocks, each run with its result and HTML report, "stopped because …" in words', async () => {
      const variants = await Promise.all(['close-matrix-client-fin', 'close-matrix-server-fin'].map(fixture));
      // As `twstorm run` writes them: each run's block as it ends, then the comparison.
      const single = renderRunBlock(variants[0]!, 'reports/a.json', 'reports/a.html', false);
      assert.doesNotMatch(single, /\n\n\n/, 'never two blank lines in a row');
      assert.match(single, /\n\nresult: reports\/a\.json\nHTML report: reports\/a\.html\n$/);
      assert.match(single, /^stopped {7}because all 300 connections were attempted$/m);
      assert.doesNotMatch(single, /stopped by/);

      const out =
        variants.map((result, i) => renderRunBlock(result, `reports/v${i}.json`, `reports/v${i}.html`, true)).join('') +
        renderComparisonBlock(variants, 'reports/matrix.html', 'all 2 runs');
      assert.doesNotMatch(out, /\n\n\n/);
      assert.match(out, /HTML report: reports\/v0\.html\n\ntwstorm /, 'variant 1 ends with its report, one blank line');
      assert.match(out, /HTML report: reports\/v1\.html\n\nvariant /, 'variant 2 ends with its report, then the table');
      assert.match(renderComparisonBlock(variants, 'reports/m.html', 'the 1 of 2 runs made before the interrupt'), /\n\nHTML report comparing the 1 of 2 runs made before the interrupt: reports\/m\.html\n$/);
      assert.doesNotMatch(renderComparisonBlock(variants, null, 'all 2 runs'), /HTML report/, 'no report line when none was written');
      assert.match(out, /\n\nHTML report comparing all 2 runs: reports\/matrix\.html\n$/);
    });

    it('an interrupted run says so in words', async () => {
      const r = await fixture('client-closes-first');
      r.stoppedBy = 'interrupted';
      r.interrupted = true;
      assert.match(renderTerminalSummary(r), /^stopped {7}because it was interrupted \(SIGINT, SIGTERM or SIGHUP\); the figures cover only the part that ran$/m);
    });
  });
});
