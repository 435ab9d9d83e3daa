// No script from a result file runs in a report. Every string of real fixture results (and the
// keys of their maps: errno codes, sysctl names, series columns, TCP states) is replaced by a
// payload, as far as the result reader still accepts the file, and the single and comparison
// reports are opened in headless Chromium: nothing may call the trap, no markup may appear, the
// payload must be shown as text, and the charts must still draw. Then the CSP is tested on its
// own: markup injected past the escaping is refused by the browser.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunResult } from '../../src/result/model.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { inspectReport, type PageReport } from './browser.js';
import { payload, poison } from './poison.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-xss-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixture(name: string): Promise<RunResult> {
  return JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;
}

/** Nothing ran, nothing became markup, the page reported no violation, and every chart drew. */
function assertInert(page: PageReport, fields: Map<string, string>): void {
  assert.deepEqual(
    page.executed.map((e) => `${e} (${fields.get(e.split(':')[0]!) ?? '?'})`),
    [],
    'a payload ran',
  );
  assert.deepEqual(page.injected, [], 'payload markup reached the DOM');
  assert.equal(page.scripts, 3, 'only twstorm\'s three <script> elements');
  assert.deepEqual(page.cspViolations, [], 'CSP violations (something tried to run)');
  assert.deepEqual(page.consoleErrors, [], 'console errors');
  assert.deepEqual(page.requests, [], 'network requests');
  assert.ok(page.charts.length > 0);
  assert.equal(page.built, page.charts.length, 'every chart placeholder got a uPlot chart');
  for (const chart of page.charts) assert.ok(chart.inked > 2000, `chart ${chart.id} is drawn (${chart.inked} inked pixels)`);
}

/** The payload is shown as text where a field is printed (escaped, not dropped). */
const SHOWN = /<\/script><script>__xss\('[a-z]+\d+:script'\)<\/script><img src=x onerror="__xss/;

describe('XSS: payloads in every string field of a result', () => {
  it('the poisoning reaches the free-text fields the report prints', async () => {
    const { fields, refused } = await poison(await fixture('port-exhaustion'), 'p');
    const poisoned = [...fields.values()].filter((f) => !refused.includes(f));
    for (const field of ['scenario.name', 'scenario.description', 'environment.kernel', 'environment.how', 'server.host']) {
      assert.ok(poisoned.includes(field), `${field} carries a payload`);
    }
    assert.ok(poisoned.some((f) => f.startsWith('summary.errors{')), 'an errno key carries a payload');
    assert.ok(poisoned.some((f) => f.startsWith('series.driver.columns{errors.')), 'an errors series key carries a payload');
    assert.ok(refused.includes('schema'), 'the reader refuses a foreign schema tag');
  });

  it('single report: nothing runs, the payload is shown as text, the charts draw', async () => {
    const { result, fields } = await poison(await fixture('port-exhaustion'), 'p');
    const html = await renderHtmlReport([result]);
    const page = await inspectReport(html);
    assertInert(page, fields);
    assert.match(page.text, SHOWN);
    // The errno key is a chart series label: it travelled as JSON inside a <script> element.
    assert.match(html, /EADDRNOTAVAIL\\u003c\/script\\u003e/);
  });

  it('comparison report of three poisoned runs (TCP matrix variant, HTTP, port exhaustion): nothing runs', async () => {
    const poisoned = await Promise.all(
      [
        ['close-matrix-client-rst', 'm'],
        ['http-client-reset', 'h'],
        ['port-exhaustion', 'p'],
      ].map(async ([name, prefix]) => poison(await fixture(name!), prefix!)),
    );
    const fields = new Map(poisoned.flatMap((p) => [...p.fields]));
    const page = await inspectReport(await renderHtmlReport(poisoned.map((p) => p.result)), { width: 1024 });
    assertInert(page, fields);
    assert.match(page.text, SHOWN);
    assert.match(page.text, /DIFFERENT SCENARIOS/, 'the poisoned names differ, and the page says so');
  });

  it('twstorm report on poisoned result files (the reader, the renderer and the file it writes): nothing runs', async () => {
    const files = await Promise.all(
      [
        ['close-matrix-client-fin', 'a'],
        ['port-exhaustion', 'b'],
      ].map(async ([name, prefix]) => {
        const file = path.join(dir, `${name}.json`);
        await writeFile(file, JSON.stringify((await poison(await fixture(name!), prefix!)).result));
        return file;
      }),
    );
    const out = path.join(dir, 'poisoned.html');
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'report', ...files, '-o', out]);
    assert.match(stdout, /2 runs compared/);
    const page = await inspectReport(await readFile(out, 'utf8'));
    assertInert(page, new Map());
    assert.match(page.text, SHOWN);
  });

  it('a server.port that is markup instead of a number is escaped too', async () => {
    const r = await fixture('client-closes-first');
    (r.server as { port: unknown }).port = payload('port');
    (r as { startedAt: unknown }).startedAt = payload('started');
    (r as { stoppedBy: unknown }).stoppedBy = payload('stopped');
    const page = await inspectReport(await renderHtmlReport([r]));
    assertInert(page, new Map([['port', 'server.port'], ['started', 'startedAt'], ['stopped', 'stoppedBy']]));
    assert.ok(page.text.includes(`127.0.0.1:</script><script>__xss('port:script')`));
  });
});

describe('XSS: the Content-Security-Policy on its own', () => {
  // Markup placed in the page as if an escape had been missed.
  const RAW = `<img src=x onerror="__xss('raw:img')"><script>__xss('raw:script')</script><a href="javascript:__xss('raw:href')">x</a>`;

  it('refuses script injected past the escaping: nothing runs, the browser reports the violations', async () => {
    const html = (await renderHtmlReport([await fixture('client-closes-first')])).replace('<main>', `<main>${RAW}`);
    const page = await inspectReport(html);
    assert.deepEqual(page.executed, []);
    assert.ok(page.cspViolations.some((v) => v.startsWith('script-src')), `violations: ${page.cspViolations.join('; ')}`);
    // twstorm's own script still ran and drew every chart.
    assert.equal(page.built, page.charts.length);
    for (const chart of page.charts) assert.ok(chart.inked > 2000, chart.id);
  });

  it('the trap works: without the CSP the same injection runs (so the tests above can fail)', async () => {
    const html = (await renderHtmlReport([await fixture('client-closes-first')]))
      .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
      .replace('<main>', `<main>${RAW}`);
    const page = await inspectReport(html);
    assert.ok(page.executed.includes('raw:script'), `executed: ${page.executed.join(', ')}`);
    assert.ok(page.executed.includes('raw:img'));
    assert.ok(page.injected.includes('img'));
  });

  it('allows no unsafe-inline, no unsafe-eval: only the hashes of twstorm\'s own inline script and style', async () => {
    const html = await renderHtmlReport([await fixture('client-closes-first')]);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
    assert.doesNotMatch(csp, /unsafe-/);
    assert.match(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+' 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[^']+' 'sha256-[^']+'; base-uri 'none'; form-action 'none'$/);
    // The policy comes before anything taken from the result, so it governs all of it.
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<title>'));
  });
});
