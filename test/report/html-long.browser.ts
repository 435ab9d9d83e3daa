// Very long runs: series of 200,000 points (a 5.5-hour run at the default 100 ms sample, or a
// hand-made file) must render. `Math.max(...series)` overflowed the stack at about 130,000; the
// charts are drawn from a min/max-preserving subset, so a one-sample spike is still drawn.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleForDrawing, DRAW_BUCKETS, extent, styleAt, type ChartSpec } from '../../src/report/html/chart-spec.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { timelineCharts } from '../../src/report/html/timeline.js';
import { inspectReport } from './browser.js';
import { addErrors, makeResult } from './make-result.js';

const N = 200_000;
const SPIKE_AT = 123_457;
const DIP_AT = 54_321;

/** A steady 2,000 conn/s with one spike and one dip a single sample wide. */
function longResult() {
  return makeResult((r) => {
    const t = Array.from({ length: N }, (_, i) => i * 100);
    const steady = (spike: number, dip: number) => t.map((_, i) => (i === SPIKE_AT ? spike : i === DIP_AT ? dip : 200 + (i % 7)));
    r.series.driver = {
      intervalMs: 100,
      t,
      columns: { established: steady(900, 3), completed: steady(850, 2), failed: steady(40, 0), 'errors.EADDRNOTAVAIL': steady(40, 0) },
    };
    r.summary.connections.failed = 1000;
    addErrors(r, 'EADDRNOTAVAIL', 'connect', 1000);
    const seconds = Array.from({ length: N }, (_, i) => i * 1000);
    r.series.kernel = { t: seconds, tw: steady(50_000, 10), inuse: seconds.map(() => 1), counters: { TcpOutRsts: seconds.map((_, i) => i) } };
    r.series.census = { t: seconds, client: { TIME_WAIT: steady(40_000, 5) }, server: { LISTEN: seconds.map(() => 1) } };
  });
}

describe('charts of very long series', () => {
  it('downsampleForDrawing keeps every bucket\'s extremes and at most a few points per bucket', () => {
    const x = Array.from({ length: N }, (_, i) => i / 10);
    const a = x.map((_, i) => (i === SPIKE_AT ? 1e6 : i === DIP_AT ? -5 : Math.sin(i / 1000)));
    const b = x.map((_, i) => (i % 1000 === 0 ? null : i % 3));
    const spec: ChartSpec = {
      id: 't', title: 't', description: '', notes: [], kind: 'time', xLabel: 's', yLabel: 'n', x, markers: [],
      series: [
        { label: 'a', values: a, style: styleAt(0), points: true },
        { label: 'b', values: b, style: styleAt(1), points: false },
      ],
    };
    const small = downsampleForDrawing(spec);
    assert.ok(small.x.length <= DRAW_BUCKETS * (2 * spec.series.length + 2), `${small.x.length} points`);
    assert.ok(small.x.length < N / 10);
    const kept = small.series[0]!.values;
    assert.ok(kept.includes(1e6), 'the spike is kept');
    assert.ok(kept.includes(-5), 'the dip is kept');
    assert.equal(small.x[small.x.indexOf(SPIKE_AT / 10)], SPIKE_AT / 10, 'at its own x');
    assert.deepEqual(extent(small.series[1]!.values), extent(b));
    for (let i = 1; i < small.x.length; i++) assert.ok(small.x[i]! > small.x[i - 1]!, 'x stays strictly increasing');
    assert.match(small.notes.at(-1)!, /^Drawn from [\d,]+ of 200,000 points/);
    // A short chart is left alone.
    const short = { ...spec, x: x.slice(0, 100), series: spec.series.map((s) => ({ ...s, values: s.values.slice(0, 100) })) };
    assert.equal(downsampleForDrawing(short), short);
  });

  it('a 200,000-point result renders (no stack overflow), small, with the spike in the drawn data', async () => {
    const r = longResult();
    assert.doesNotThrow(() => timelineCharts([r]));
    const html = await renderHtmlReport([r]);
    assert.ok(html.length < 3_000_000, `${html.length} bytes`);
    const data = JSON.parse(/<script type="application\/json" id="twstorm-data">(.*?)<\/script>/s.exec(html)![1]!) as { charts: ChartSpec[] };
    const rates = data.charts.find((c) => c.id === 'rates')!;
    const established = rates.series.find((s) => s.label === 'new connections/s')!;
    assert.equal(extent(established.values).max, 9000, 'the spike (900 per 100 ms) is drawn');
    assert.equal(extent(established.values).min, 30, 'and the dip');
    const states = data.charts.find((c) => c.id === 'states')!;
    assert.equal(extent(states.series.find((s) => s.label === 'client TIME_WAIT')!.values).max, 40_000);

    const page = await inspectReport(html);
    assert.deepEqual(page.consoleErrors, []);
    assert.equal(page.built, page.charts.length);
    for (const chart of page.charts) assert.ok(chart.inked > 2000, `chart ${chart.id} drawn (${chart.inked})`);
  });
});
