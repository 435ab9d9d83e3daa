// An open loop's rates chart draws the schedule the scenario asked for (rate and stages) beside
// what the load made: before, the chart held only the achieved rate, so a ramp that fell behind,
// or one whose ports ran out, looked like a ramp that was asked to stop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/result/model.js';
import { timelineCharts } from '../../src/report/html/timeline.js';
import { makeHttpResult, makeResult } from './make-result.js';

/** A rate of 100/s ramping to 300/s over 1 s, then held until 3 s; its load began 550 ms into the run. */
function ramp(edit: (r: RunResult) => void = () => undefined): RunResult {
  return makeResult((r) => {
    Object.assign(r.scenario, { rate: 100, stages: [{ duration: 1000, target: 300 }], duration: 3000, connections: 10_000 });
    r.stoppedBy = 'duration';
    r.load = { startMs: 550, endMs: 3600 };
    const t = Array.from({ length: 40 }, (_, i) => i * 100);
    r.series.driver = { intervalMs: 100, t, columns: { established: t.map(() => 10), completed: t.map(() => 10) } };
    edit(r);
  });
}

const offeredLine = (r: RunResult) => {
  const rates = timelineCharts([r]).find((c) => c.id === 'rates')!;
  const line = rates.series.find((s) => s.label.startsWith('offered'));
  return { rates, line };
};

describe('rates chart: the offered schedule of an open loop', () => {
  it('draws the ramp per driver interval: nothing before the load, the stages, the held rate, nothing after duration', () => {
    const r = ramp();
    const { rates, line } = offeredLine(r);
    assert.ok(line, rates.series.map((s) => s.label).join(', '));
    assert.equal(line.label, 'offered connections/s');
    const at = (s: number): number => line.values[rates.x.findIndex((x) => Math.abs(x - s) < 1e-9)]!;
    // x is the bucket's middle, in seconds since the load began (550 ms into the run).
    assert.equal(at(-0.5), 0, 'before the load');
    // The bucket 500-600 ms holds the load's first 50 ms: 100·0.05 + 100·0.05² starts, per 0.1 s.
    assert.ok(Math.abs(at(0) - 52.5) < 1e-6, `first bucket ${at(0)}`);
    // 150-250 ms into the load: the mean of a rate rising 200/s each second, 100 + 200·0.2.
    assert.ok(Math.abs(at(0.2) - 140) < 1e-6, `${at(0.2)}`);
    assert.ok(Math.abs(at(2) - 300) < 1e-6, 'the last target held');
    assert.equal(at(3.2), 0, 'nothing after duration');
    // Every start the schedule made due: 100 + 100 over the ramp, 300·2 after it.
    const total = line.values.reduce<number>((sum, v) => sum + (v ?? 0) / 10, 0);
    assert.ok(Math.abs(total - 800) < 1e-6, `${total} starts`);
    assert.ok(rates.notes.some((n) => /^Offered:/.test(n)), rates.notes.join(' | '));
  });

  it('stops at the count, adds every client host, and names requests under HTTP', () => {
    const capped = offeredLine(ramp((r) => (r.scenario.connections = 100))).line!;
    assert.ok(Math.abs(capped.values.reduce<number>((sum, v) => sum + (v ?? 0) / 10, 0) - 100) < 1e-6, 'no more than the count');
    const lab = offeredLine(ramp((r) => ((r.scenario.environment as { topology?: string; clients?: number }).topology = 'routed', (r.scenario.environment as { clients?: number }).clients = 3))).line!;
    assert.ok(Math.abs(lab.values.reduce<number>((sum, v) => sum + (v ?? 0) / 10, 0) - 2400) < 1e-6, 'three hosts');
    // HTTP: the rate is requests (capped at http.requests, not connections).
    const http = makeHttpResult((r) => {
      Object.assign(r.scenario, { rate: 100, duration: 3000 });
      r.stoppedBy = 'duration';
      r.load = { startMs: 0, endMs: 3000 };
    });
    const requests = offeredLine(http).line!;
    assert.equal(requests.label, 'offered requests/s');
    assert.equal(requests.values[0], 100);
  });

  it('a closed loop has no offered line', () => {
    assert.equal(offeredLine(makeResult()).line, undefined);
  });

  it('a merge of some shards of a split has no offered line: its scenario is the whole\'s, its load a part', () => {
    const merged = (present: number) =>
      ramp((r) => {
        (r as RunResult & { merged: unknown }).merged = { contributors: Array.from({ length: present }, (_, index) => ({ shard: { index, count: 3 } })), warnings: [] };
      });
    assert.equal(offeredLine(merged(2)).line, undefined);
    assert.notEqual(offeredLine(merged(3)).line, undefined, 'the whole split is the whole schedule');
  });
});
