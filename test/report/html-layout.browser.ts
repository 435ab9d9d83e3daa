// The rough edges a first reader of the comparison report hit (issue 11), each pinned where it
// shows: in the page as Chromium lays it out and draws it, or in the chart data it draws from.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { latencyCharts } from '../../src/report/html/latency.js';
import { MAX_OVERLAID_LINES, SOCKSTAT_LABEL, timelineCharts } from '../../src/report/html/timeline.js';
import { inspectReport } from './browser.js';
import { addErrors, makeResult } from './make-result.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));
const fixture = async (name: string): Promise<RunResult> =>
  JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;
const MATRIX = ['close-matrix-client-fin', 'close-matrix-client-rst', 'close-matrix-server-fin', 'close-matrix-server-rst'];

/** Where the comparison table's parts end, against the column that holds it. */
const TABLE_PROBE = `(() => {
  const wrap = document.querySelector('#verdict .table-wrap');
  const right = wrap.getBoundingClientRect().right;
  return {
    scrollWidth: wrap.scrollWidth,
    clientWidth: wrap.clientWidth,
    headers: [...wrap.querySelectorAll('thead th')].map((th) => th.textContent),
    changes: [...wrap.querySelectorAll('tr.one-change td')].map((td) => ({ text: td.innerText, overflows: td.getBoundingClientRect().right > right + 0.5 })),
  };
})()`;

/**
 * Red (the marker colour, #a40e26) pixels of the states chart: in the band above the plot and
 * inside it, and how many pixel columns the red inside the plot spans (the dashed line alone is
 * a couple of device pixels wide; a label drawn over the plot spans a hundred).
 */
const MARKER_PROBE = `(() => {
  const fig = document.querySelector('[data-chart="states"]');
  const canvas = fig.querySelector('canvas');
  const over = fig.querySelector('.u-over').getBoundingClientRect();
  const c = canvas.getBoundingClientRect();
  const k = canvas.width / c.width;
  const top = Math.round((over.top - c.top) * k);
  const bottom = Math.round((over.bottom - c.top) * k);
  const ctx = canvas.getContext('2d');
  const scan = (y0, y1) => {
    const d = ctx.getImageData(0, y0, canvas.width, y1 - y0).data;
    let n = 0;
    const cols = new Set();
    for (let i = 0; i < d.length; i += 4) {
      // Opaque and near #a40e26: antialiased edges of the orange line can pass a looser test.
      if (d[i + 3] > 200 && Math.abs(d[i] - 164) < 30 && d[i + 1] < 45 && Math.abs(d[i + 2] - 38) < 30) { n++; cols.add((i / 4) % canvas.width); }
    }
    return { n, cols: cols.size };
  };
  return { above: top > 0 ? scan(0, top) : { n: 0, cols: 0 }, inside: scan(top, bottom) };
})()`;

const LEGEND_PROBE = `[...document.querySelectorAll('figure.chart')].map((f) => ({ id: f.dataset.chart, entries: f.querySelectorAll('.u-legend .u-series').length }))`;

describe('comparison report layout', () => {
  for (const width of [1024, 1280]) {
    it(`at ${width} px the table fits its column and every run's one change is in view`, async () => {
      const results = await Promise.all(MATRIX.map(fixture));
      const page = await inspectReport(await renderHtmlReport(results), { width, probe: TABLE_PROBE });
      const t = page.probe as { scrollWidth: number; clientWidth: number; headers: string[]; changes: Array<{ text: string; overflows: boolean }> };
      assert.ok(t.scrollWidth <= t.clientWidth, `table ${t.scrollWidth} px in a ${t.clientWidth} px column`);
      assert.ok(!t.headers.includes('one change'), 'no sentence-wide column');
      assert.equal(t.changes.length, results.length);
      for (const c of t.changes) {
        assert.match(c.text, /^ONE CHANGE\s*\S/);
        assert.equal(c.overflows, false, c.text);
      }
    });
  }

  it('at 1280 px a TCP + HTTP comparison (four more columns) fits too', async () => {
    const results = await Promise.all(['http-client-reset', 'client-closes-first', 'port-exhaustion'].map(fixture));
    const page = await inspectReport(await renderHtmlReport(results), { width: 1280, probe: TABLE_PROBE });
    const t = page.probe as { scrollWidth: number; clientWidth: number; headers: string[]; changes: Array<{ overflows: boolean }> };
    assert.ok(t.headers.includes('requests per connection'));
    assert.ok(t.scrollWidth <= t.clientWidth, `table ${t.scrollWidth} px in a ${t.clientWidth} px column`);
    assert.ok(t.changes.every((c) => !c.overflows));
  });

  it('no chart overlays more than six lines: past that, one panel per run with one y scale', async () => {
    const results = await Promise.all(MATRIX.map(fixture));
    const charts = timelineCharts(results);
    for (const c of charts) assert.ok(c.series.length <= MAX_OVERLAID_LINES, `${c.id}: ${c.series.length} lines`);
    const rates = charts.filter((c) => c.group?.id === 'rates');
    assert.equal(rates.length, 4, 'rates: 4 runs × 2 lines → a panel per run');
    assert.equal(new Set(rates.map((c) => c.yMax)).size, 1, 'one y maximum for all panels');
    assert.deepEqual(rates.map((c) => c.title), results.map((r) => r.variant!.label));
    // The same line is drawn the same way in every panel.
    const style = (label: string) => new Set(rates.map((c) => JSON.stringify(c.series.find((s) => s.label === label)!.style)));
    assert.equal(style('new connections/s').size, 1);

    const page = await inspectReport(await renderHtmlReport(results), { probe: LEGEND_PROBE });
    for (const chart of page.probe as Array<{ id: string; entries: number }>) {
      assert.ok(chart.entries <= MAX_OVERLAID_LINES + 1, `${chart.id}: ${chart.entries} legend entries (x included)`);
    }
    assert.match(page.text, /One panel per run \(8 lines would not read on one chart\)/);
  });

  it('the TCP-states caption promises the sockstat line only where it is drawn', async () => {
    // The comparison's states may be one overlaid chart or a panel per run (states-1…), as many
    // lines as the runs' census has states make it: every one is held to its caption.
    const statesOf = (charts: ReturnType<typeof timelineCharts>) => charts.filter((c) => c.id === 'states' || c.id.startsWith('states-'));
    const single = statesOf(timelineCharts([await fixture('port-exhaustion')]));
    const compared = statesOf(timelineCharts(await Promise.all(MATRIX.map(fixture))));
    assert.equal(single.length, 1);
    assert.ok(compared.length >= 1);
    for (const chart of [...single, ...compared]) {
      const drawn = chart.series.some((s) => s.label === SOCKSTAT_LABEL);
      // A panel's caption is its group's heading (the panels repeat none of it).
      const description = chart.group?.description ?? chart.description;
      const notes = chart.group?.notes ?? chart.notes;
      const promised = /sockstat/.test(description) || notes.some((n) => /sockstat tw \(no markers\)|"sockstat tw/.test(n));
      assert.equal(promised, drawn, `${chart.id}: ${chart.series.length} lines, caption: ${description} ${notes.join(' ')}`);
    }
    // Overlaid, the runs' census lines are compared and no sockstat line is drawn.
    const overlaid = compared.find((c) => c.id === 'states');
    if (overlaid) assert.equal(overlaid.series.some((s) => s.label === SOCKSTAT_LABEL), false);
  });

  it('first byte and total, one line on the chart, are drawn once and the page says why', async () => {
    // Equal at every percentile: the same histogram for both (a quiet machine gives that for a
    // 64-byte echo; a busy one a few µs apart, which is the ≈ case below).
    const r = await fixture('client-closes-first');
    r.histograms.total = r.histograms.firstByte;
    r.summary.latencyMs.total = r.summary.latencyMs.firstByte;
    const one = await latencyCharts([r]);
    assert.deepEqual(one.charts[0]!.series.map((s) => s.label), ['connect', 'first byte = total', 'close']);
    // A connection's life is charted beside them, not on their axis (a close delay would flatten
    // them); its curve ends at the histogram's max.
    assert.equal(one.charts[1]!.id, 'latency-life');
    assert.deepEqual(one.charts[1]!.series.map((s) => s.label), ['life']);
    const lifeValues = one.charts[1]!.series[0]!.values.filter((v): v is number => v !== null);
    const lifeMax = r.summary.latencyMs.life!.max!;
    assert.ok(Math.abs(lifeValues.at(-1)! - lifeMax) <= lifeMax * 0.01, `${lifeValues.at(-1)} vs max ${lifeMax}`);
    // A result from before latencyMs.life: no life chart, no empty curve.
    const older = structuredClone(r);
    delete older.histograms.life;
    delete older.summary.latencyMs.life;
    assert.deepEqual((await latencyCharts([older])).charts.map((c) => c.id), ['latency']);
    assert.match(one.notes[0]!, /^First byte and total are equal at every percentile/);
    // Within 1% at every percentile is one line too, labelled as approximate (the fixtures are
    // real runs: their gap is read, not pinned).
    const matrix = await latencyCharts(await Promise.all(MATRIX.map(fixture)));
    assert.deepEqual(matrix.charts.map((c) => c.id), ['latency-connect', 'latency-firstByte', 'latency-close', 'latency-life']);
    assert.match(matrix.charts[3]!.title, /^Connection life by percentile/);
    assert.equal(matrix.charts[3]!.series.length, MATRIX.length);
    // Equal, or within 1 %: one line either way, and the note says which.
    assert.match(matrix.charts[1]!.title, /^first byte [=≈] total/);
    if (/≈/.test(matrix.charts[1]!.title)) {
      const gap = /differ by at most ([\d.]+) ms \(([\d.]+)%\)/.exec(matrix.notes[0]!);
      assert.ok(gap, matrix.notes[0]);
      assert.ok(Number(gap[2]) <= 1, `within 1%: ${gap[0]}`);
    } else {
      assert.match(matrix.notes[0]!, /^First byte and total are equal at every percentile/);
    }
    // HTTP: the body comes after the headers; the curves differ, both are drawn.
    const http = await latencyCharts([await fixture('http-client-reset')]);
    assert.deepEqual(http.charts[0]!.series.map((s) => s.label), ['connect', 'first byte', 'total']);
    assert.deepEqual(http.notes, []);
    const page = await inspectReport(await renderHtmlReport([r]));
    assert.ok(page.text.includes(one.notes[0]!));
  });

  it('marker labels sit above the plot, not over its lines', async () => {
    const page = await inspectReport(await renderHtmlReport([await fixture('port-exhaustion')]), { probe: MARKER_PROBE });
    const red = page.probe as { above: { n: number; cols: number }; inside: { n: number; cols: number } };
    assert.ok(red.above.n > 100, `label text above the plot (${red.above.n} px)`);
    assert.ok(red.inside.n > 100, 'the dashed line is drawn');
    assert.ok(red.inside.cols <= 8, `inside the plot only the line's few pixel columns are red (${red.inside.cols})`);
  });

  it('results of different scenarios: the report says so; variants of one scenario do not', async () => {
    const mixed = await inspectReport(await renderHtmlReport(await Promise.all(['port-exhaustion', 'tw-reuse'].map(fixture))));
    assert.match(mixed.text, /DIFFERENT SCENARIOS\s*These runs come from 2 different scenarios \(port-exhaustion, tw-reuse\)/);
    const html = await renderHtmlReport(await Promise.all(MATRIX.map(fixture)));
    assert.doesNotMatch(html, /DIFFERENT SCENARIOS/);
  });
});

/** How the page's own rules reach uPlot's legend, a <table> of its own. */
const LEGEND_STYLE_PROBE = `(() => {
  const legend = document.querySelector('.u-legend');
  const cells = [...legend.querySelectorAll('th, td')].map((c) => getComputedStyle(c));
  return { bordered: cells.filter((s) => s.borderTopStyle !== 'none' || s.borderLeftStyle !== 'none').length, fontSize: getComputedStyle(legend).fontSize };
})()`;

describe('report layout on a phone and on paper', () => {
  it("uPlot's legend is a legend, not a data table (no cell borders), in the page's small type", async () => {
    // Seen in every report: each legend entry drawn as a row of bordered cells ("run time (s): | – |").
    const page = await inspectReport(await renderHtmlReport([await fixture('client-closes-first')]), { probe: LEGEND_STYLE_PROBE });
    const legend = page.probe as { bordered: number; fontSize: string };
    assert.equal(legend.bordered, 0, 'legend cells with a border');
    assert.equal(legend.fontSize, '12.8px');
  });
});

/** Sentences inside tables that scroll sideways: how far each runs past its wrap's visible edge. */
const IN_VIEW_PROBE = `[...document.querySelectorAll('.table-wrap')].flatMap((wrap) => {
  const edge = wrap.getBoundingClientRect();
  return [...wrap.querySelectorAll('caption, tr.one-change td')].map((el) => {
    const r = (el.querySelector('.in-view') || el).getBoundingClientRect();
    return { text: el.textContent.slice(0, 40), scrolls: wrap.scrollWidth > wrap.clientWidth, past: Math.round(Math.max(r.right - edge.right, edge.left - r.left)) };
  });
})`;

describe('sentences in tables that scroll sideways', () => {
  it('at 375 px every caption and ONE CHANGE reads without scrolling', async () => {
    // Seen at 375 px: "Key figures per run. ▲ best and ▼ worst of each…" and "ONE CHANGE Nothing…"
    // cut at the wrap's edge; and at 1280 px in a comparison of TCP and HTTP runs of long names.
    const page = await inspectReport(await renderHtmlReport(await Promise.all(MATRIX.map(fixture))), { width: 375, probe: IN_VIEW_PROBE });
    const sentences = page.probe as Array<{ text: string; scrolls: boolean; past: number }>;
    assert.ok(sentences.filter((s) => s.scrolls).length >= MATRIX.length + 2, 'the comparison and percentile tables scroll at 375 px');
    for (const s of sentences) assert.ok(s.past <= 1, `${s.text}… runs ${s.past} px past the visible edge`);
  });
});

/** Definition lists (verdict, environment) wider than their box, and the page wider than the window. */
const LONG_WORDS_PROBE = `({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  lists: [...document.querySelectorAll('dl')].map((dl) => dl.scrollWidth - dl.clientWidth).filter((d) => d > 0),
})`;

describe('long words in the verdict and the environment', () => {
  it('at 375 px an errno name or a path with no hyphen wraps inside its list', async () => {
    // Seen at 375 px in a failed run's report: "PEER_CLOSED_EARLY" beside "Who closed first"
    // made the verdict's list 313 px in a 299 px box, and the server log's path the environment's.
    const r = makeResult((x) => {
      x.server.own = { command: 'python3 -m http.server 7000', logPath: '/home/operator/loadtests/results/nginx_connection_close_20261204T192940Z.server.log', exit: { code: 124, signal: null, killed: false } };
    });
    addErrors(r, 'PEER_CLOSED_EARLY', 'read', 78);
    const page = await inspectReport(await renderHtmlReport([r]), { width: 375, probe: LONG_WORDS_PROBE });
    assert.deepEqual(page.probe, { page: 0, lists: [] });
  });
});

const WRAPS_PROBE = `[...document.querySelectorAll('.table-wrap')].map((w) => ({ table: w.querySelector('table').className, over: w.scrollWidth - w.clientWidth }))`;

describe('printed', () => {
  it('on A4 every table fits the page: no column is left beyond the paper', async () => {
    // Seen printing a comparison of TCP and HTTP runs: the table scrolls on screen, and on paper
    // its columns past the page's edge (conn/s onwards) were simply not printed.
    const results = await Promise.all(['http-client-reset', 'client-closes-first', 'port-exhaustion'].map(fixture));
    results[1]!.scenario.name = 'client-closes-first-with-a-long-scenario-name';
    const page = await inspectReport(await renderHtmlReport(results), { width: 718, print: true, probe: WRAPS_PROBE });
    const wraps = page.probe as Array<{ table: string; over: number }>;
    assert.ok(wraps.some((w) => w.table === 'comparison'));
    assert.deepEqual(wraps.filter((w) => w.over > 0), []);
  });
});
