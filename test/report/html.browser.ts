// The HTML report as a user opens it: rendered from committed fixture results and from a real
// small run (through `twstorm run` and `twstorm report`), then loaded in headless chromium.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { ms, seconds } from '../../src/util/format.js';
import { verdict } from '../../src/report/verdict.js';
import { comparisonTable } from '../../src/report/html/compare.js';
import { HTTP_NO_CLOSE_LATENCY, percentileRows } from '../../src/report/html/latency.js';
import { NO_SCRIPT } from '../../src/report/html/page.js';
import { timelineCharts } from '../../src/report/html/timeline.js';
import { inspectReport, type PageReport } from './browser.js';
import { twstorm as startCli } from '../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));

async function fixture(name: string): Promise<RunResult> {
  return JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;
}

const twstorm = (args: string[]) => startCli(args, { timeoutMs: 60_000 }).exit;

/** What every report must satisfy in the browser. */
function assertRendersCleanly(page: PageReport): void {
  assert.deepEqual(page.consoleErrors, [], 'console errors');
  assert.deepEqual(page.requests, [], 'network requests');
  assert.ok(page.charts.length > 0, 'at least one chart');
  assert.equal(page.built, page.charts.length, 'every chart placeholder got a uPlot chart');
  for (const chart of page.charts) {
    assert.ok(chart.canvases >= 1, `chart ${chart.id} has a canvas`);
    // Axes alone ink a few thousand pixels; lines add more. An undrawn canvas has none.
    assert.ok(chart.inked > 2000, `chart ${chart.id} is drawn (${chart.inked} inked pixels)`);
  }
  // A blank 1280-wide page compresses to a few KB; a drawn one is far larger.
  assert.ok(page.screenshotBytes > 100_000, `screenshot is not blank (${page.screenshotBytes} bytes)`);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-html-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renderHtmlReport (static checks)', () => {
  it('renders every fixture as one self-contained file well under 1 MB', async () => {
    for (const name of (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))) {
      const html = await renderHtmlReport([await fixture(name)]);
      assert.ok(html.length < 1_000_000, `${name}: ${html.length} bytes`);
      assert.doesNotMatch(html, /<link\b|<img\b[^>]*\bsrc=["']?https?:|<script\b[^>]*\bsrc=/i, `${name}: no external resource`);
      assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
      assert.match(html, /<script>[\s\S]*uPlot/);
    }
  });

  it('escapes scenario text: a hostile description cannot inject markup or end a script', async () => {
    const r = await fixture('client-closes-first');
    r.scenario.description = '</script><img src=x onerror=alert(1)>';
    r.scenario.name = '<b>x</b>';
    const html = await renderHtmlReport([r]);
    assert.doesNotMatch(html, /<img src=x/);
    assert.doesNotMatch(html, /<b>x<\/b>/);
    assert.match(html, /&lt;\/script&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('HTTP: requests/s beside connections/s, no close phase, request columns in a comparison', async () => {
    const http = await fixture('http-client-reset');
    const rates = timelineCharts([http]).find((c) => c.id === 'rates')!;
    assert.deepEqual(rates.series.map((s) => s.label), ['requests ok/s', 'new connections/s', 'connections closed/s']);
    // The driver counts requestsOk per 100 ms bucket; the chart shows them per second.
    const ok = http.series.driver.columns['requestsOk']!;
    assert.deepEqual(rates.series[0]!.values, ok.map((n) => n * 10));
    assert.match(rates.title, /^Requests and new connections/);
    assert.deepEqual(percentileRows([http]).map((row) => row.phase), ['connect', 'first byte', 'total']);
    const tcp = await fixture('client-closes-first');
    assert.equal(timelineCharts([tcp]).find((c) => c.id === 'rates')!.series.some((s) => /request/.test(s.label)), false);

    const table = comparisonTable([tcp, http]);
    assert.deepEqual(table.headers.slice(4, 9), ['conn/s', 'requests/s', 'requests per connection', 'request p99 (ms)', 'requests failed']);
    const requests = http.summary.requests!;
    assert.deepEqual(table.rows[1]!.cells.slice(4, 8).map((c) => c.text), [
      requests.ratePerSec.toLocaleString('en-US', { maximumFractionDigits: 0 }),
      String(requests.perConnection),
      ms(http.summary.latencyMs.total.p99),
      `0 of ${requests.total}`,
    ]);
    assert.deepEqual(table.rows[0]!.cells.slice(4, 8).map((c) => c.text), ['–', '–', '–', '–']);
    // A TCP-only comparison keeps its columns.
    assert.equal(comparisonTable([tcp, tcp]).headers.includes('requests/s'), false);
  });

  it('refuses an empty list with a message that says what to pass', async () => {
    await assert.rejects(renderHtmlReport([]), /no result to render/);
  });
});

describe('the report in chromium', () => {
  it('single run (port exhaustion): charts drawn, no request, verdict matches the figures', async () => {
    const r = await fixture('port-exhaustion');
    const page = await inspectReport(await renderHtmlReport([r]), { screenshot: true });
    assertRendersCleanly(page);
    assert.deepEqual(
      page.charts.map((c) => c.id),
      ['states', 'rates', 'errors', 'ports', 'kernel', 'latency', 'latency-life', 'connect-time', 'connect-held'],
    );
    const s = r.summary;
    // Each connection's life (start to closed) has a chart of its own and a row in the table.
    assert.ok(page.charts.find((c) => c.id === 'latency-life')!.inked > 0, 'the life curve is drawn');
    assert.ok(page.text.includes('Connection life by percentile'));
    assert.match(page.text, new RegExp(`^life\t${s.latencyMs.life!.count.toLocaleString('en-US')}\t`, 'm'));
    // exhaustedAtMs is on the run clock: the verdict says how far into the load it was.
    assert.ok(page.text.includes(`Ran out ${seconds(s.ports.exhaustedAtMs! - r.load.startMs)} into the load`), 'exhaustion moment in the verdict');
    assert.ok(page.text.includes(`${s.errors['EADDRNOTAVAIL']} connects failed with EADDRNOTAVAIL`));
    assert.ok(page.text.includes(`Peak ${s.timeWait.peak} on the client`));
    assert.ok(page.text.includes('Widen net.ipv4.ip_local_port_range'));
    assert.ok(page.text.includes(verdict(r).headline));
    // Each chart's place says why it is empty when no script runs; drawn, that sentence is gone.
    const placeholders = (await renderHtmlReport([r])).match(/<div class="plot"[^>]*><p class="note">This chart is drawn by the page&#39;s script/g) ?? [];
    assert.equal(placeholders.length, page.charts.length);
    assert.ok(!page.text.includes(NO_SCRIPT), 'the no-script sentence is cleared once the charts are drawn');
  });

  it('a legend entry is a button a keyboard reaches: Enter hides its line and says so, again shows it', async () => {
    // uPlot toggles a line on a click of its label only: the legend was mouse-only.
    const probe = `(() => {
      const th = document.querySelector('[data-chart="states"] .u-legend tr.u-series:nth-child(2) > th');
      const row = th.parentElement;
      const press = () => th.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      const before = { tabIndex: th.tabIndex, role: th.getAttribute('role'), pressed: th.getAttribute('aria-pressed'), off: row.classList.contains('u-off') };
      press();
      const hidden = { pressed: th.getAttribute('aria-pressed'), off: row.classList.contains('u-off') };
      press();
      const shown = { pressed: th.getAttribute('aria-pressed'), off: row.classList.contains('u-off') };
      const xLabel = document.querySelector('[data-chart="states"] .u-legend tr.u-series:first-child > th');
      return { before, hidden, shown, xFocusable: xLabel.hasAttribute('tabindex') };
    })()`;
    const page = await inspectReport(await renderHtmlReport([await fixture('port-exhaustion')]), { probe });
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.probe, {
      before: { tabIndex: 0, role: 'button', pressed: 'true', off: false },
      hidden: { pressed: 'false', off: true },
      shown: { pressed: 'true', off: false },
      // The x value's row toggles nothing, and is no button.
      xFocusable: false,
    });
  });

  it('single run with port reuse (tcp_tw_reuse=1): the reuse histogram is drawn', async () => {
    const page = await inspectReport(await renderHtmlReport([await fixture('tw-reuse')]), { screenshot: true });
    assertRendersCleanly(page);
    assert.ok(page.charts.some((c) => c.id === 'reuse'));
  });

  it('single HTTP run (client reset): requests charted, requests in the verdict, close latency explained not drawn', async () => {
    const r = await fixture('http-client-reset');
    const page = await inspectReport(await renderHtmlReport([r]), { screenshot: true });
    assertRendersCleanly(page);
    assert.deepEqual(page.charts.map((c) => c.id), ['states', 'rates', 'ports', 'kernel', 'latency', 'connect-time', 'connect-held']);
    const q = r.summary.requests!;
    assert.ok(page.text.includes('Requests and new connections per second'));
    assert.ok(page.text.includes('requests ok/s'), 'requests in the chart legend');
    assert.ok(page.text.includes(`${q.total} attempted, ${q.ok} ok, 0 failed`), 'summary.requests in the verdict');
    assert.ok(page.text.includes('every request opened its own connection'));
    assert.ok(page.text.includes('The scenario has HTTP client "reset" and server policy "wait-client"'));
    assert.ok(page.text.includes(HTTP_NO_CLOSE_LATENCY), 'why there is no close latency');
    assert.doesNotMatch(page.text, /^close\t/m, 'no close row in the percentile table');
    assert.doesNotMatch(page.text, /^life\t/m, 'undici records no connection life');
    assert.ok(page.text.includes(verdict(r).headline));
  });

  it('comparison of four matrix variants: table with best/worst, overlaid charts, at laptop width', async () => {
    const names = ['close-matrix-client-fin', 'close-matrix-client-rst', 'close-matrix-server-fin', 'close-matrix-server-rst'];
    const results = await Promise.all(names.map(fixture));
    const page = await inspectReport(await renderHtmlReport(results), { width: 1024, screenshot: true });
    assertRendersCleanly(page);
    assert.ok(page.charts.some((c) => c.id === 'latency-connect'));
    assert.match(page.text, /Verdict: 4 runs compared/);
    assert.match(page.text, /▲ best/);
    assert.match(page.text, /▼ worst/);
    for (const r of results) assert.ok(page.text.includes(r.variant!.label));
  });
});

describe('a real small run, rendered by twstorm report', () => {
  it('run → result.json → report → chromium; the verdict quotes the run\'s own figures', async () => {
    const run = await twstorm(['run', 'client-closes-first', '--out', dir, '--set', 'connections=200', '--set', 'tail=300ms', '--set', 'census=200ms']);
    assert.equal(run.code, 0, run.stderr);
    // The summary ends with its files, one blank line before them, none doubled (issue 11).
    assert.doesNotMatch(run.stdout, /\n\n\n/);
    assert.match(run.stdout, /\n\nresult: .*\.json\nHTML report: .*\.html\n$/);
    assert.match(run.stdout, /^stopped +because all 200 connections were attempted$/m);
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'))!;
    const result = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as RunResult;
    const out = path.join(dir, 'real.html');
    const report = await twstorm(['report', path.join(dir, file), '-o', out]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /report: .*real\.html \(one run/);
    // An -o it cannot write (a file where its directory would go) is one line with the reason, exit 1.
    const blocked = path.join(out, 'report.html');
    const refused = await twstorm(['report', path.join(dir, file), '-o', blocked]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stderr, `twstorm: cannot write ${blocked}: EEXIST (a file is in the way); choose another place with --out\n`);
    const page = await inspectReport(await readFile(out, 'utf8'), { screenshot: true });
    assertRendersCleanly(page);
    const tw = result.summary.timeWait;
    assert.ok(page.text.includes(`${tw.peak.toLocaleString('en-US')} sockets sat in TIME_WAIT`), 'headline peak');
    assert.ok(page.text.includes(verdict(result).change.change), 'the one change');
  });

  it('twstorm report refuses a file that is not a result, exit code 2, nothing written', async () => {
    const bad = path.join(dir, 'not-a-result.json');
    await writeFile(bad, '{"schema":"something/else"}');
    const out = path.join(dir, 'never.html');
    const { code, stderr } = await twstorm(['report', bad, '-o', out]);
    assert.equal(code, 2);
    assert.match(stderr, /"schema" is "something\/else", expected "twstorm\/result@1"/);
    await assert.rejects(readFile(out));
    const missing = await twstorm(['report', path.join(dir, 'missing.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read it \(ENOENT\)/);
  });
});
