// The time charts' x axis is the verdict's: seconds since the load began. Every moment the page
// writes ("ran out 0.10 s into the load", "reached 0.14 s into the load") is read off the charts
// at the same number, and runs compared side by side are drawn from their own load starts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { timelineCharts } from '../../src/report/html/timeline.js';
import { connectFillCharts } from '../../src/report/html/connect-fill.js';
import { exhaustedAfterMs, timeWaitPeakAfterMs } from '../../src/result/figures.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));
const fixture = async (name: string): Promise<RunResult> => JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;

describe('time charts: seconds since the load began', () => {
  it('the "ports ran out" marker stands where the verdict says, not at the run-clock moment', async () => {
    // Seen in port-exhaustion's report: "Ran out 0.10 s into the load" in the verdict, the
    // marker at 0.72 s on an axis counted from the run's origin (its load began 0.62 s in).
    const r = await fixture('port-exhaustion');
    assert.ok(r.load.startMs > 0, 'the fixture\'s load starts after the run\'s origin');
    for (const chart of timelineCharts([r])) {
      assert.match(chart.xLabel, /since the load started/, chart.id);
      const marker = chart.markers.find((m) => m.label === 'ports ran out');
      assert.ok(marker, `${chart.id} marks the exhaustion`);
      assert.equal(marker.x, Math.round(exhaustedAfterMs(r)!) / 1000, chart.id);
    }
  });

  it('the TIME_WAIT census peaks at the moment the verdict gives, and the load starts at 0', async () => {
    const r = await fixture('client-closes-first');
    const states = timelineCharts([r]).find((c) => c.id === 'states')!;
    const tw = states.series.find((s) => s.label === 'client TIME_WAIT')!;
    const peakAt = states.x[tw.values.indexOf(r.summary.timeWait.peakClient)]!;
    // The census peak is at or just after the sampled peak (peakAtMs is read at the sample rate).
    const said = timeWaitPeakAfterMs(r)! / 1000;
    assert.ok(peakAt >= said - 0.001 && peakAt <= said + (2 * r.scenario.census) / 1000, `census peak at ${peakAt} s, verdict ${said} s`);
    // The first driver bucket that established anything holds the load's start.
    const rates = timelineCharts([r]).find((c) => c.id === 'rates')!;
    const firstBusy = rates.series[0]!.values.findIndex((v) => (v ?? 0) > 0);
    const half = r.series.driver.intervalMs / 2000;
    assert.ok(Math.abs(rates.x[firstBusy]!) <= half + 0.001, `first busy bucket centred at ${rates.x[firstBusy]} s`);
  });

  it('runs compared are drawn from their own load starts: the same load lines up whatever set-up took', async () => {
    const a = await fixture('client-closes-first');
    const b = structuredClone(a);
    b.scenario.name = 'client-closes-first-later';
    const shift = 1234.5;
    // The same run, its load begun 1.2345 s later on its run clock.
    b.load = { ...b.load, startMs: b.load.startMs + shift, endMs: b.load.endMs + shift };
    b.summary.timeWait.peakAtMs = b.summary.timeWait.peakAtMs! + shift;
    for (const s of [b.series.census, b.series.kernel]) s.t = s.t.map((t) => t + shift);
    b.series.driver.t = b.series.driver.t.map((t) => t + shift);
    const rates = timelineCharts([a, b]).find((c) => c.id === 'rates')!;
    const drawnAt = (label: string): number[] => {
      const line = rates.series.find((s) => s.label === label)!;
      return rates.x.filter((_, i) => line.values[i] != null);
    };
    assert.deepEqual(drawnAt('new connections/s · client-closes-first-later'), drawnAt('new connections/s · client-closes-first'));
    // The states panels, each a chart of one run, share the same axis too.
    const panels = timelineCharts([a, b]).filter((c) => c.group?.id === 'states');
    assert.deepEqual(panels[1]!.x, panels[0]!.x);
  });

  it('connect() latency over time: the cliff marker is on the same axis', async () => {
    const r = await fixture('port-exhaustion');
    const time = connectFillCharts([r]).time[0];
    if (time === undefined) return;
    assert.match(time.xLabel, /since the load started/);
    const cliff = r.summary.connectFill?.cliff;
    if (cliff?.atMs != null) assert.equal(time.markers[0]!.x, Math.round(cliff.atMs - r.load.startMs) / 1000);
    const over = r.connectFill!;
    assert.ok(time.x.every((x) => x >= -r.load.startMs / 1000 - 0.001) && time.x.length > 0, `${over.intervalMs} ms cells`);
  });
});
