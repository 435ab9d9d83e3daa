// The page's headings, captions and links say what is there: a chart split into one panel per
// run (small multiples) has one heading whose caption and notes are true of every panel, whichever
// run comes first; the ports chart names the range its line is drawn at; the navigation links
// every section.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { timelineCharts } from '../../src/report/html/timeline.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { makeResult } from './make-result.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));
const fixture = async (name: string): Promise<RunResult> => JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;

describe('small multiples: the group heading speaks for every panel', () => {
  it('TCP runs first, then an HTTP run: the rates heading, caption and notes are the HTTP-aware ones', async () => {
    // Seen in a report of client-closes-first, server-closes-first and http-connection-close: under
    // "Requests and new connections per second" the caption was the TCP one ("request/response
    // exchanges completed") and the keep-alive note of the HTTP panel was gone.
    const charts = timelineCharts(await Promise.all(['client-closes-first', 'http-client-reset', 'port-exhaustion'].map(fixture)));
    const rates = charts.filter((c) => c.group?.id === 'rates');
    assert.equal(rates.length, 3, 'one panel per run');
    const group = rates[0]!.group!;
    assert.equal(group.title, 'Requests and new connections per second');
    assert.match(group.description, /^HTTP requests answered/);
    assert.ok(group.notes.some((n) => /With keep-alive the requests line/.test(n)), group.notes.join(' | '));
    // States: every panel draws sockstat, and the caption says so (the overlaid one would not).
    const states = charts.find((c) => c.group?.id === 'states');
    if (states) assert.match(states.group!.description, /sockstat/);
  });
});

describe('small multiples: headings', () => {
  it('each panel is a heading under its group (h4 under h3), and no heading level is skipped', async () => {
    // Seen in the close-matrix comparison: the panels' run names were h3 like the group's title,
    // so a screen reader's heading list read each run as a chart of its own.
    const page = await renderHtmlReport(await Promise.all(['close-matrix-client-fin', 'close-matrix-client-rst', 'close-matrix-server-fin', 'close-matrix-server-rst'].map(fixture)));
    const group = /<div class="multiples" data-group="rates">\n<h3>[^<]*<\/h3>[\s\S]*?<figure class="chart" data-chart="rates-1">\n<figcaption><(h\d)>/.exec(page);
    assert.ok(group, 'the rates chart is split into panels');
    assert.equal(group[1], 'h4');
    const levels = [...page.matchAll(/<h([1-6])[ >]/g)].map((m) => Number(m[1]));
    levels.forEach((level, i) => assert.ok(i === 0 || level <= levels[i - 1]! + 1, `h${levels[i - 1]} then h${level}`));
  });
});

describe('the ports chart names the range it draws', () => {
  it('client.portRange: the caption names it, not ip_local_port_range', async () => {
    // Seen in the report of client-closes-first --set client.portRange=40000-40100: the line was
    // drawn at 101 ports and the caption said "against the size of ip_local_port_range".
    const r = await fixture('client-closes-first');
    const plain = timelineCharts([r]).find((c) => c.id === 'ports')!;
    assert.match(plain.description, /against the size of ip_local_port_range\.$/);
    r.scenario.client = { ...r.scenario.client, portRange: '40000-40100' };
    const narrowed = timelineCharts([r]).find((c) => c.id === 'ports')!;
    assert.match(narrowed.description, /against the size of client\.portRange\.$/);
  });
});

describe('the section links', () => {
  it('a repeat set: the navigation links its "Repeats and contributors" section', async () => {
    // Seen in the report of run --repeat 3: the section (the spread over the repeats) was on the
    // page, between Verdict and Over time, and not in the navigation.
    const runs = [1, 2, 3].map((index) => makeResult((x) => Object.assign(x, { repeat: { index, count: 3, set: 's1' } })));
    const page = await renderHtmlReport(runs);
    assert.match(page, /<section id="provenance"/);
    assert.match(/<nav[^>]*>(.*?)<\/nav>/.exec(page)![1]!, /<a href="#provenance">Repeats and contributors<\/a>/);
    assert.doesNotMatch(/<nav[^>]*>(.*?)<\/nav>/.exec(await renderHtmlReport([makeResult()]))![1]!, /provenance/);
  });
});

describe('kernel counters chart: its note speaks of lines it draws', () => {
  it('the TW/s note only under a chart with a TW/s line', async () => {
    // Seen in a run whose every SYN was answered with an RST: no TW/s line, and the note under
    // the chart explained what TW/s counts.
    const kernel = (r: RunResult) => timelineCharts([r]).find((c) => c.id === 'kernel')!;
    const storm = kernel(await fixture('client-closes-first'));
    assert.ok(storm.series.some((s) => s.label === 'TW/s'));
    assert.ok(storm.notes.some((n) => n.startsWith('TW/s counts')), storm.notes.join(' | '));
    const none = kernel(makeResult((r) => (r.summary.kernel['TcpExtTW'] = 0)));
    assert.ok(!none.series.some((s) => s.label.startsWith('TW/s')));
    assert.deepEqual(none.notes.filter((n) => n.includes('TW/s')), []);
  });
});
