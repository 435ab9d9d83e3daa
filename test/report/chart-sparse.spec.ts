// Census points are drawn as lines only where they are dense and as markers where sparse
// (issue 12 item 3): a line between two looks far apart would be a guess at what happened
// between them — the 0.4 s storm drawn as a one-second ramp.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alignTables, chartFrom, downsampleForDrawing, sparseDrawing } from '../../src/report/html/chart-spec.js';
import { censusMaxGapSeconds, timelineCharts } from '../../src/report/html/timeline.js';
import { asLab, makeResult } from './make-result.js';
import { labCharts } from '../../src/report/html/lab.js';
import { renderTerminalSummary } from '../../src/report/terminal.js';
import { sideCensus, type LabFacts } from '../../src/result/lab.js';
import { addSeries } from '../../src/result/add.js';
import type { RunResult } from '../../src/result/model.js';

const base = { id: 't', title: 't', description: 't', notes: [], kind: 'time' as const, xLabel: 's', yLabel: 'n', markers: [] };

describe('sparse series: joined only across short gaps (chart-spec.ts sparseDrawing)', () => {
  it('a dense stretch is a line; a gap wider than maxGap is a break, and the points beside it are markers', () => {
    const { breaks, marks } = sparseDrawing([0, 0.1, 0.2, 1.2, 2.2, 2.3], [0, 5, 9, 9, 9, 9], 0.15);
    assert.deepEqual(breaks, [[0.2, 1.2], [1.2, 2.2]]);
    // 0, 1 and 5 sit inside dense stretches (an end counts its open side as its other side).
    assert.deepEqual(marks, [2, 3, 4]);
  });

  it('nulls (moments when another series was sampled) are skipped, not gaps', () => {
    const { breaks, marks } = sparseDrawing([0, 0.05, 0.1, 0.15, 1.1], [1, null, 2, null, 3], 0.15);
    assert.deepEqual(breaks, [[0.1, 1.1]]);
    assert.deepEqual(marks, [2, 4]);
  });

  it('a lone point is a marker; every point of a sparse series is a marker', () => {
    assert.deepEqual(sparseDrawing([0, 1], [null, 7], 0.5), { breaks: [], marks: [1] });
    assert.deepEqual(sparseDrawing([0, 1, 2], [1, 2, 3], 0.5).marks, [0, 1, 2]);
  });

  it('chartFrom aligns first, so maxGap is measured between the series\' own points', () => {
    const spec = chartFrom(base, [
      { x: [0, 0.1, 0.2, 0.3, 0.4, 0.5], label: 'dense', values: [0, 1, 2, 3, 4, 5] },
      { x: [0, 0.5], label: 'census', values: [0, 10], maxGap: 0.15 },
    ]);
    const census = spec.series[1]!;
    assert.deepEqual(census.breaks, [[0, 0.5]]);
    assert.deepEqual(census.marks, [0, 5]);
    assert.equal(spec.series[0]!.breaks, undefined, 'a series without maxGap is joined everywhere');
  });

  it('downsampling keeps the breaks and moves the markers to the kept points', () => {
    const n = 10_000;
    const x = Array.from({ length: n }, (_, i) => i / 10);
    const spec = chartFrom(base, [
      { x, label: 'fast', values: x.map((v) => v % 7) },
      { x: [0, 999.9], label: 'census', values: [1, 2], maxGap: 5 },
    ]);
    const small = downsampleForDrawing(spec, 100);
    const census = small.series[1]!;
    assert.deepEqual(census.breaks, [[0, 999.9]]);
    assert.deepEqual(census.marks!.map((i) => small.x[i]), [0, 999.9]);
    assert.deepEqual(census.marks!.map((i) => census.values[i]), [1, 2]);
  });
});

describe('the states chart of a short storm (timeline.ts)', () => {
  // A 0.4 s storm: the census follows it at the 100 ms sample rate, then looks again 1 s later.
  const storm = makeResult((r) => {
    r.scenario.sample = 100;
    r.series.kernel = { t: [0, 100, 200, 300, 400, 500, 1400], tw: [0, 250, 500, 750, 1000, 1000, 1000], inuse: [1, 1, 1, 1, 1, 1, 1], counters: {} };
    r.series.census = { t: [0, 100, 200, 300, 400, 1400], client: { TIME_WAIT: [0, 250, 500, 750, 1000, 1000] }, server: { LISTEN: [1, 1, 1, 1, 1, 1] } };
  });

  it('joins the rise, leaves the second-long gap after it undrawn and marks both of its ends', () => {
    assert.equal(censusMaxGapSeconds(storm), 0.15);
    const states = timelineCharts([storm]).find((c) => c.id === 'states')!;
    const tw = states.series.find((s) => s.label === 'client TIME_WAIT')!;
    assert.deepEqual(tw.breaks, [[0.4, 1.4]]);
    assert.deepEqual(tw.marks!.map((i) => states.x[i]), [0.4, 1.4]);
    // sockstat, read every sample interval, stays a plain line.
    assert.equal(states.series.find((s) => /sockstat/.test(s.label))!.breaks, undefined);
    const ports = timelineCharts([storm]).find((c) => c.id === 'ports')!;
    assert.deepEqual(ports.series[0]!.breaks, [[0.4, 1.4]]);
  });

  it('a routed lab\'s ports chart sets the held ports of every client host against all their ranges', () => {
    const lab = makeResult((r) => {
      r.summary.ports.range = { low: 40000, high: 41999, size: 2000 };
      asLab(r, 2);
    });
    const range = timelineCharts([lab]).find((c) => c.id === 'ports')!.series.find((s) => /port range/.test(s.label))!;
    assert.equal(range.label, 'port ranges (2 × 2000)');
    assert.ok(range.values.includes(4000) && range.values.every((v) => v === null || v === 4000), JSON.stringify(range.values));
    // The terminal says the same: one range per client host.
    assert.match(renderTerminalSummary(lab), /; range 40000–41999 \(2,000\) in each of 2 client hosts/);
  });

  it('on a long run a 1 s census is a few pixels apart: joined', () => {
    const long = makeResult((r) => {
      const t = Array.from({ length: 66 }, (_, i) => i * 1000);
      r.series.kernel = { t, tw: t.map(() => 5), inuse: t.map(() => 1), counters: {} };
      r.series.census = { t, client: { TIME_WAIT: t.map(() => 5) }, server: {} };
    });
    assert.equal(censusMaxGapSeconds(long), 1.3);
    const tw = timelineCharts([long]).find((c) => c.id === 'states')!.series.find((s) => s.label === 'client TIME_WAIT')!;
    assert.deepEqual(tw.breaks, []);
    assert.deepEqual(tw.marks, []);
  });
});

describe('alignTables: tables sampled at different moments on one x axis (chart-spec.ts)', () => {
  it('the union of the x values, ascending, each column null where its table has no sample', () => {
    const aligned = alignTables([
      { x: [0, 0.1, 0.2, 0.3], columns: [[1, 2, 3, 4], [5, 6, null, 8]] },
      { x: [0.05, 0.2, 0.35], columns: [[10, 20, 30]] },
      { x: [], columns: [[]] },
    ]);
    assert.deepEqual(aligned.x, [0, 0.05, 0.1, 0.2, 0.3, 0.35]);
    assert.deepEqual(aligned.columns, [
      [1, null, 2, 3, 4, null],
      [5, null, 6, null, 8, null],
      [null, 10, null, 20, null, 30],
      [null, null, null, null, null, null],
    ]);
  });

  it('a table out of order (a hand-made file) lands the same; a repeated x keeps its later sample', () => {
    const ordered = alignTables([{ x: [1, 2, 3], columns: [[1, 2, 3]] }, { x: [0, 2, 4], columns: [[7, 8, 9]] }]);
    const shuffled = alignTables([{ x: [3, 1, 2], columns: [[3, 1, 2]] }, { x: [4, 0, 2], columns: [[9, 7, 8]] }]);
    assert.deepEqual(shuffled, ordered);
    assert.deepEqual(alignTables([{ x: [0, 1, 1, 2], columns: [[1, 2, 3, 4]] }]), { x: [0, 1, 2], columns: [[1, 3, 4]] });
    assert.deepEqual(alignTables([{ x: [2, 1, 1, 0], columns: [[4, 3, 2, 1]] }]), { x: [0, 1, 2], columns: [[1, 2, 4]] });
  });

  it('a NaN x (a hand-made lab sample with no t) is one slot after the numbers; -0 is 0; shared x arrays', () => {
    // The merge walked NaN forever (NaN === NaN is false): the report died of a full heap.
    assert.deepEqual(alignTables([{ x: [0, 1], columns: [[1, 2]] }, { x: [NaN, 2], columns: [[3, 4]] }]), {
      x: [0, 1, 2, NaN],
      columns: [[1, 2, null, null], [null, null, 4, 3]],
    });
    assert.deepEqual(alignTables([{ x: [NaN], columns: [[9]] }]), { x: [NaN], columns: [[9]] });
    const zero = alignTables([{ x: [-0, 1], columns: [[5, 6]] }]);
    assert.ok(Object.is(zero.x[0], 0), 'deepEqual tells -0 from 0: the axis holds 0');
    assert.ok(Object.is(alignTables([{ x: [1, -0], columns: [[6, 5]] }]).x[0], 0), 'and when the table steps back');
    const shared = [0, 2, 4];
    assert.deepEqual(alignTables([{ x: shared, columns: [[1, 2, 3], [4, 5, 6]] }, { x: shared, columns: [[7, 8, 9]] }, { x: [3, 1], columns: [[0, 0]] }]), {
      x: [0, 1, 2, 3, 4],
      columns: [[1, null, 2, null, 3], [4, null, 5, null, 6], [7, null, 8, null, 9], [null, 0, null, 0, null]],
    });
  });

  it('200,000 samples a table, three tables: every sample in its slot', () => {
    const n = 200_000;
    const driver = Array.from({ length: n }, (_, i) => i / 10);
    const kernel = Array.from({ length: n }, (_, i) => i);
    const aligned = alignTables([
      { x: driver, columns: [driver.map((_, i) => i)] },
      { x: driver, columns: [driver.map((_, i) => -i)] },
      { x: kernel, columns: [kernel.map((_, i) => i * 1000)] },
    ]);
    // kernel's x from 0 to 19,999 coincide with every tenth driver x; the rest are its own.
    assert.equal(aligned.x.length, n + (n - n / 10));
    for (let i = 1; i < aligned.x.length; i++) assert.ok(aligned.x[i]! > aligned.x[i - 1]!);
    const at = (x: number) => aligned.x.indexOf(x);
    assert.deepEqual(aligned.columns.map((c) => c[at(12_345.6)]), [123_456, -123_456, null]);
    assert.deepEqual(aligned.columns.map((c) => c[at(777)]), [7770, -7770, 777_000]);
    assert.deepEqual(aligned.columns.map((c) => c[at(150_000)]), [null, null, 150_000_000]);
  });
});

describe('the routed lab\'s charts (lab.ts): the router and the server host are looked at every census interval', () => {
  it('their samples a census interval apart (plus conntrack -L\'s own time) are a line, not dots', () => {
    const t = [0, 560, 1120, 1690, 2250];
    const r = makeResult((x) => {
      x.scenario.sample = 100;
      x.scenario.census = 500;
      (x as RunResult & { lab: LabFacts }).lab = {
        topology: 'routed',
        hosts: [{ name: 'server', role: 'server', address: '198.19.0.2', timeWaitPeak: 4 }],
        router: { nat: null, conntrack: { samples: t.map((ms, i) => ({ t: ms, stats: null, states: { TIME_WAIT: i } })), peakEntries: 4, peakTimeWait: 4, counters: {} } },
        serverCensus: t.map((ms, i) => ({ t: ms, states: { TIME_WAIT: i } })),
      } as unknown as LabFacts;
    });
    const charts = labCharts([r]);
    const tw = charts.find((c) => c.id === 'lab-time-wait')!;
    for (const label of ['router conntrack TIME_WAIT (entries)', 'server host TIME_WAIT (sockets)']) {
      const s = tw.series.find((x) => x.label === label)!;
      assert.deepEqual(s.breaks, [], `${label}: joined`);
      assert.deepEqual(s.marks, [], `${label}: no lone dots`);
    }
    // Past two intervals it is a gap again: no line across a look that did not happen.
    const late = structuredClone(r) as RunResult & { lab: LabFacts };
    late.lab.serverCensus[4]!.t = 3500;
    const server = labCharts([late]).find((c) => c.id === 'lab-time-wait')!.series.find((x) => x.label === 'server host TIME_WAIT (sockets)')!;
    assert.deepEqual(server.breaks, [[1.69, 3.5]]);
  });
});

describe('a routed lab\'s census lines: each side at its own hosts\' looks (result/lab.ts sideCensus)', () => {
  // routed-client-closes-first: client1 looked at 1,397 ms (671 TIME_WAIT) and 1,700 ms (2,000);
  // the server host at 1,685 ms. On the added grid the client's 671 was held at 1,685 ms and
  // drawn as if seen there, joined to the 2,000 of 15 ms later: a storm placed 290 ms late.
  const clientLooks = [1000, 1397.4, 1699.9];
  const serverLooks = [987.77, 1684.58];
  const client = makeResult((x) => {
    x.series.census = { t: clientLooks, client: { TIME_WAIT: [0, 671, 2000], ESTABLISHED: [0, 25, 0] }, server: {} };
  });
  const server = makeResult((x) => {
    x.series.census = { t: serverLooks.map((t) => Math.round(t * 10) / 10), client: {}, server: { LISTEN: [1, 1], ESTABLISHED: [0, 20] } };
  });
  const lab = makeResult((x) => {
    x.scenario.sample = 100;
    x.scenario.census = 500;
    asLab(x, 1);
    x.series = addSeries([client, server], [0, 0]);
    (x as RunResult & { lab: LabFacts }).lab.serverCensus = serverLooks.map((t, i) => ({ t, states: { LISTEN: 1, ESTABLISHED: [0, 20][i]! } }));
  });
  const drawnAt = (chart: { x: number[] }, values: ReadonlyArray<number | null>): number[] => chart.x.filter((_, i) => values[i] !== null && values[i] !== undefined);

  it('the client lines leave out the server host\'s moments, the server lines the client hosts\'', () => {
    // The added grid holds both: the held values are there, for the sums the summary reads.
    assert.deepEqual(lab.series.census.t, [987.8, 1000, 1397.4, 1684.6, 1699.9]);
    assert.equal(lab.series.census.client['TIME_WAIT']![3], 671);
    const states = timelineCharts([lab]).find((c) => c.id === 'states')!;
    const line = (label: string) => states.series.find((s) => s.label === label)!;
    assert.deepEqual(drawnAt(states, line('client TIME_WAIT').values), [1, 1.397, 1.7]);
    assert.deepEqual(drawnAt(states, line('server ESTABLISHED').values), [0.988, 1.685]);
    const ports = timelineCharts([lab]).find((c) => c.id === 'ports')!;
    assert.deepEqual(drawnAt(ports, ports.series[0]!.values), [1, 1.397, 1.7]);
    const tw = labCharts([lab]).find((c) => c.id === 'lab-time-wait')!;
    assert.deepEqual(drawnAt(tw, tw.series.find((s) => s.label === 'client1 TIME_WAIT (sockets)')!.values), [1, 1.397, 1.7]);
  });

  it('a client host that never held TIME_WAIT (the server closed first) is a line at 0, as the server host is', () => {
    // routed-client-closes-first with close.first=server: the chart of "each place" drew the router
    // and the server host only, its note still saying "The client line is client1's census".
    const serverFirst = structuredClone(lab);
    delete serverFirst.series.census.client['TIME_WAIT'];
    const tw = labCharts([serverFirst]).find((c) => c.id === 'lab-time-wait')!;
    const client = tw.series.find((s) => s.label === 'client1 TIME_WAIT (sockets)');
    assert.ok(client, tw.series.map((s) => s.label).join(' | '));
    assert.deepEqual(drawnAt(tw, client.values), [1, 1.397, 1.7]);
    assert.ok(client.values.every((v) => v === null || v === 0));
  });

  it('a run that is not a lab keeps its census whole', () => {
    const plain = makeResult((x) => {
      x.series.census = { t: [0, 100, 200], client: { TIME_WAIT: [0, 5, 9] }, server: { TIME_WAIT: [0, 0, 1] } };
    });
    assert.deepEqual(sideCensus(plain, 'client'), { t: [0, 100, 200], states: { TIME_WAIT: [0, 5, 9] } });
    assert.deepEqual(sideCensus(plain, 'server'), { t: [0, 100, 200], states: { TIME_WAIT: [0, 0, 1] } });
  });
});

describe('the TCP states chart says where its census came from', () => {
  it('names sock_diag and /proc/net/tcp, not /proc alone (a newcomer audit: the native census read sock_diag)', () => {
    const states = timelineCharts([makeResult()]).find((c) => c.id === 'states')!;
    assert.match(states.description, /netlink sock_diag, as ss reads it; \/proc\/net\/tcp and tcp6 without the native layer/);
  });
});
