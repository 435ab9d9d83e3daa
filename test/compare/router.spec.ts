// compare judges a routed lab's router: conntrack's trouble counters and the emulated full
// table's dropped SYNs, as counts with the kernel counters' rules (compare/metrics.ts), and a
// note says when the router itself was set up otherwise (compare/noise.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults, type CompareReport } from '../../src/compare/index.js';
import { checkSelectors } from '../../src/compare/metrics.js';
import { environmentNotes } from '../../src/compare/noise.js';
import { labOf } from '../../src/result/lab.js';
import type { RunResult } from '../../src/result/model.js';
import { asLab, makeResult } from '../report/make-result.js';

/** A lab of 2 client hosts whose router counted `insertFailed` failed inserts (and as many drops), and dropped `droppedSyns` at an emulated limit. */
const lab = (insertFailed: number, droppedSyns: number | null = null, edit: (r: RunResult) => void = () => undefined): RunResult =>
  makeResult((r) => {
    r.scenario.name = 'lab';
    asLab(r, 2);
    const conntrack = labOf(r)!.router.conntrack;
    conntrack.counters = { insert: 0, insert_failed: insertFailed, drop: insertFailed, early_drop: 0 };
    if (droppedSyns !== null) conntrack.limit = { max: 50, droppedSyns };
    edit(r);
  });

function compare(baseline: RunResult[], current: RunResult[], metrics: string[] = []): CompareReport {
  const side = (name: string, runs: RunResult[]) => runs.map((result, i) => ({ file: `${name}-${i}.json`, result }));
  const pairing = { pairs: [{ name: 'lab', baseline: side('b', baseline), current: side('c', current) }], missing: [], added: [] };
  return compareResults('base', 'cur', pairing, { tolerancePct: 10, latencyFloorMs: 0.1, metrics });
}
const status = (report: CompareReport, metric: string) => report.scenarios[0]!.metrics.find((m) => m.metric === metric);

describe('compare: a routed lab\'s router', () => {
  it('identical labs pass, the router figures judged and the same', () => {
    const report = compare([lab(120)], [lab(120)]);
    assert.equal(report.failed, false);
    for (const m of ['insert_failed', 'drop', 'early_drop']) assert.equal(status(report, `lab.router.conntrack.counters.${m}`)?.status, 'unchanged', m);
    assert.equal(status(report, 'lab.router.conntrack.limit.droppedSyns')?.status, 'unchanged');
  });

  it('a router that starts refusing flows fails the gate, even when the hosts saw no error', () => {
    // A SYN the router drops and a retransmit gets through later leaves no error on the client.
    const report = compare([lab(0)], [lab(120)]);
    const failed = status(report, 'lab.router.conntrack.counters.insert_failed')!;
    assert.equal(failed.status, 'regression');
    assert.equal(failed.reason, 'every current run above every baseline run');
    assert.equal(report.failed, true);
    assert.equal(status(compare([lab(0, 0)], [lab(0, 40)]), 'lab.router.conntrack.limit.droppedSyns')?.status, 'regression');
    assert.equal(status(compare([lab(120)], [lab(0)]), 'lab.router.conntrack.counters.insert_failed')?.status, 'improvement');
  });

  it("with repeats, the count's noise rules: within the baseline's spread is no finding", () => {
    // conntrack-table-full's dropped SYNs are what the SYN retries' timing decides: they wander.
    const wandering = compare([lab(0, 100), lab(0, 130), lab(0, 160)], [lab(0, 140), lab(0, 170), lab(0, 175)]);
    assert.equal(status(wandering, 'lab.router.conntrack.limit.droppedSyns')?.status, 'unchanged');
    assert.equal(wandering.failed, false);
  });

  it('not judged where no lab is compared; --metric names them', () => {
    const plain = compare([makeResult()], [makeResult()]);
    assert.equal(plain.scenarios[0]!.metrics.some((m) => m.metric.startsWith('lab.')), false);
    assert.deepEqual(checkSelectors(['lab.router', 'lab.router.conntrack.counters.insert_failed']), []);
    const chosen = compare([lab(0)], [lab(120)], ['lab.router.conntrack.counters']);
    assert.deepEqual(chosen.scenarios[0]!.metrics.map((m) => m.metric), ['lab.router.conntrack.counters.insert_failed', 'lab.router.conntrack.counters.drop', 'lab.router.conntrack.counters.early_drop']);
  });

  it('a counter the router did not give is not measured, not 0', () => {
    const unread = lab(0, null, (r) => (labOf(r)!.router.conntrack.counters = {}));
    assert.equal(status(compare([unread], [lab(120)]), 'lab.router.conntrack.counters.insert_failed')?.status, 'n/a');
  });

  it('a note names a router, host or fault set up otherwise: another network, not another build', () => {
    const pool = (ports: string) => (r: RunResult) => {
      (r.scenario.environment as unknown as { router: unknown }).router = { sysctls: {}, nat: { addresses: 1, ports, randomFully: false }, conntrack: null };
    };
    const notes = environmentNotes(lab(0, null, pool('40000-40299')), lab(120, null, pool('40000-40099')));
    assert.equal(notes.filter((n) => n.startsWith('scenario environment.router differs: ')).length, 1, notes.join('\n'));
    assert.match(notes.join('\n'), /40000-40299.*→.*40000-40099/);
    const drop = (count: number) => (r: RunResult) => {
      (r.scenario as unknown as { faults: unknown[] }).faults = [{ action: 'drop', segment: 'final-ack', count }];
    };
    assert.equal(environmentNotes(makeResult(drop(200)), makeResult(drop(100))).filter((n) => n.startsWith('scenario faults differs: ')).length, 1);
    assert.deepEqual(environmentNotes(lab(0, null, pool('40000-40099')), lab(0, null, pool('40000-40099'))), []);
  });
});
