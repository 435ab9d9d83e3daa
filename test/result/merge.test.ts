// Exact merge: counts add, histograms add bucket by bucket, series align on wall-clock time;
// meaningless merges are refused. Then the real thing: N shards run as parallel processes
// merge into the totals of one run of the whole.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeResults, MergeError, type MergeInput } from '../../src/result/merge.js';
import { newHistogram, percentilesMs } from '../../src/metrics/histograms.js';
import { decodeHistogram, encodeHistogram } from '../../src/metrics/histogram-encoding.js';
import type { RunResult } from '../../src/result/model.js';
import type { StoredResult } from '../../src/result/provenance.js';
import { asLab, makeHttpResult, makeResult } from '../report/make-result.js';
import { applyShard } from '../../src/run/shard.js';
import { parseScenario } from '../../src/scenario/index.js';
import { runNodeInNetns } from '../helpers/netns.js';
import { twstorm as startCli } from '../helpers/cli.js';

function histogramOf(values: number[]): string {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  const e = encodeHistogram(h);
  h.destroy();
  return e;
}

/** A result whose latencies are exactly `values` (µs), histogram and summary, as a run writes them. */
function part(values: number[], edit: (r: RunResult) => void): RunResult {
  return makeResult((r) => {
    const h = newHistogram();
    for (const v of values) h.recordValue(v);
    const e = encodeHistogram(h);
    const p = percentilesMs(h);
    h.destroy();
    r.histograms = { connect: e, firstByte: e, total: e, close: e, portReuseInterval: histogramOf([]) };
    r.summary.latencyMs = { connect: p, firstByte: p, total: p, close: p };
    edit(r);
  });
}

describe('mergeResults', () => {
  it('adds counts and histograms exactly: the merged p99 is the p99 of every sample', async () => {
    const a = Array.from({ length: 1000 }, (_, i) => 100 + i);
    const b = Array.from({ length: 500 }, (_, i) => 5000 + 10 * i);
    const ra = part(a, (r) => {
      r.startedAt = '2026-01-01T00:00:00.000Z';
      r.summary.connections.attempted = 1000;
      r.summary.errors = { ECONNRESET: 2 };
    });
    const rb = part(b, (r) => {
      r.startedAt = '2026-01-01T00:00:01.000Z';
      r.summary.connections.attempted = 500;
      r.summary.errors = { ECONNRESET: 1, EADDRNOTAVAIL: 4 };
    });
    const m = await mergeResults([{ file: 'a.json', result: ra }, { file: 'b.json', result: rb }]);
    assert.equal(m.summary.connections.attempted, 1500);
    assert.deepEqual(m.summary.errors, { EADDRNOTAVAIL: 4, ECONNRESET: 3 });
    const whole = newHistogram();
    for (const v of [...a, ...b]) whole.recordValue(v);
    assert.deepEqual(m.summary.latencyMs.total, percentilesMs(whole));
    const merged = decodeHistogram(m.histograms.total);
    assert.equal(merged.totalCount, 1500);
    assert.equal(merged.getValueAtPercentile(99), whole.getValueAtPercentile(99));
    merged.destroy();
    whole.destroy();
    assert.equal(m.merged!.contributors.length, 2);
    assert.deepEqual(m.merged!.contributors.map((c) => c.connections.attempted), [1000, 500]);
  });

  it('aligns series on wall-clock time: a run started 1 s later lands 1 s later', async () => {
    const series = (start: string, tw: number[]): RunResult =>
      part([1], (r) => {
        r.startedAt = start;
        r.series.kernel = { t: tw.map((_, i) => i * 1000), tw, inuse: tw, counters: {} };
        r.series.census = { t: tw.map((_, i) => i * 1000), client: { ESTABLISHED: tw, TIME_WAIT: tw }, server: {} };
        r.summary.timeWait = { ...r.summary.timeWait, end: tw.at(-1)!, reopened: tw[0]! };
      });
    const m = await mergeResults([
      { file: 'a', result: series('2026-01-01T00:00:00.000Z', [10, 20, 30]) },
      { file: 'b', result: series('2026-01-01T00:00:01.000Z', [1, 2, 3]) },
    ]);
    assert.deepEqual(m.series.census.t, [0, 1000, 2000, 3000]);
    // At 1 s: a's 20 + b's first sample 1. At 3 s a has stopped sampling: its connections
    // went with its namespace, but its TIME_WAIT would still be there on one machine (60 s).
    assert.deepEqual(m.series.census.client['ESTABLISHED'], [10, 21, 32, 3]);
    assert.deepEqual(m.series.census.client['TIME_WAIT'], [10, 21, 32, 33]);
    assert.equal(m.summary.timeWait.peakClient, 33);
    // When it peaked: read from the added curves, as one run's is (sockstat's first sample at its
    // maximum, 33 at 3 s); a merge used to drop it and the verdict fell back to the census timing.
    assert.equal(m.summary.timeWait.peakAtMs, 3000);
    // What each held at its end, and the connections that reopened a server TIME_WAIT, add up.
    assert.equal(m.summary.timeWait.end, 33);
    assert.equal(m.summary.timeWait.reopened, 11);
  });

  it('a split with a per-socket range (client.portRange) records the part of it the kernel honours, as a run does', async () => {
    // A real run's result (the full scenario), as the two shards of a split of 40000-40999 (IP_LOCAL_PORT_RANGE).
    const real = JSON.parse(await readFile(fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url)), 'utf8')) as RunResult;
    const shards = (namespaceRange: string): MergeInput[] =>
      ['40000-40499', '40500-40999'].map((slice, index) => {
        const r = structuredClone(real) as StoredResult;
        r.startedAt = new Date(Date.parse(real.startedAt) + index * 1000).toISOString();
        r.scenario.client.portRange = slice;
        r.shard = { index, count: 2, whole: { connections: 200, requests: null, rate: null, portRange: namespaceRange, clientPortRange: '40000-40999' } };
        return { file: `${index}.json`, result: r };
      });
    const m = await mergeResults(shards('32768 60999'));
    assert.deepEqual(m.summary.ports.range, { low: 40000, high: 40999, size: 1000 });
    assert.equal(m.scenario.client.portRange, '40000-40999');
    // A per-socket bound outside the namespace's range is not honoured: the kernel's rule, as for one run.
    const clipped = await mergeResults(shards('40000 40499'));
    assert.deepEqual(clipped.summary.ports.range, { low: 40000, high: 40499, size: 500 });
  });

  it('a split of the namespace range: the whole range is the one in force and the one asked for (no false NOT IN FORCE)', async () => {
    const real = JSON.parse(await readFile(fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url)), 'utf8')) as RunResult;
    const inputs: MergeInput[] = ['40000 40249', '40250 40499'].map((slice, index) => {
      const r = structuredClone(real) as StoredResult;
      r.startedAt = new Date(Date.parse(real.startedAt) + index * 1000).toISOString();
      r.environment.sysctls['net.ipv4.ip_local_port_range'] = slice;
      r.environment.sysctlsRequested = { ...r.environment.sysctlsRequested, 'net.ipv4.ip_local_port_range': slice };
      r.shard = { index, count: 2, whole: { connections: 200, requests: null, rate: null, portRange: '40000 40499' } };
      return { file: `${index}.json`, result: r };
    });
    const m = await mergeResults(inputs);
    assert.equal(m.environment.sysctls['net.ipv4.ip_local_port_range'], '40000 40499');
    assert.equal(m.environment.sysctlsRequested['net.ipv4.ip_local_port_range'], '40000 40499');
  });

  it('refuses merges whose numbers would mean nothing, warns about doubtful ones', async () => {
    const r = makeResult();
    await assert.rejects(mergeResults([{ file: 'a', result: r }]), /at least two results/);
    await assert.rejects(mergeResults([{ file: 'a', result: r }, { file: 'a', result: r }]), /given twice/);
    await assert.rejects(mergeResults([{ file: 'a', result: r }, { file: 'b', result: structuredClone(r) }]), /same run/);
    const other = (edit: (x: RunResult) => void): RunResult => makeResult((x) => {
      x.startedAt = '2025-01-01T00:00:10.000Z';
      edit(x);
    });
    await assert.rejects(
      mergeResults([{ file: 'a', result: r }, { file: 'b', result: other((x) => (x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40999')) }]),
      (e: Error) => e instanceof MergeError && /different port ranges .* not shards of one split/.test(e.message),
    );
    await assert.rejects(mergeResults([{ file: 'a', result: r }, { file: 'b', result: other((x) => (x.variant = { label: 'close.first=server', values: {} })) }]), /merge one variant at a time/);
    const m = await mergeResults([{ file: 'a', result: r }, { file: 'b', result: other((x) => (x.tool.version = '9.9.9')) }]);
    assert.ok(m.merged!.warnings.some((w) => /different twstorm versions/.test(w)));
    await assert.rejects(mergeResults([{ file: 'm', result: m }, { file: 'a', result: r }]), /already a merge/);
    // A lab's result has its hosts added already, and a router of its own.
    const labRun = other((x) => asLab(x, 2));
    await assert.rejects(mergeResults([{ file: 'a', result: r }, { file: 'lab', result: labRun }]), /lab is a routed lab's result, its client hosts already added up: compare labs instead/);
    await assert.rejects(mergeResults([{ file: 'a', result: r }, { file: 'b', result: other((x) => (x.startedAt = x.endedAt = '2025-01-02T00:00:00.000Z')) }]), /did not run together/);
    // Two scenarios made two storms: added up, the verdict would describe neither.
    await assert.rejects(
      mergeResults([{ file: 'a', result: r }, { file: 'b', result: other((x) => (x.scenario.name = 'server-closes-first')) }]),
      (e: Error) => e instanceof MergeError && e.message === 'b is scenario "server-closes-first" but a is "hand-made": merge runs of one scenario; compare different ones instead',
    );
  });

  it('runs of one name with other settings are refused, naming the field; a failed contributor fails the merge', async () => {
    const later = (edit: (x: RunResult) => void): RunResult =>
      makeResult((x) => {
        x.startedAt = '2025-01-01T00:00:00.500Z';
        edit(x);
      });
    // An audit: close.first client and server merged read "the client closed first; TIME_WAIT on both sides".
    await assert.rejects(
      mergeResults([{ file: 'a', result: makeResult() }, { file: 'b', result: later((x) => (x.scenario.close = { ...x.scenario.close, first: 'server' })) }]),
      (e: Error) => e instanceof MergeError && e.message === 'b ran scenario "hand-made" with another close.first than a: merge runs of one setting; compare different ones instead',
    );
    // The size of the load is not a setting: copies may each set their own.
    const sized = await mergeResults([{ file: 'a', result: makeResult() }, { file: 'b', result: later((x) => ((x.scenario.connections = 500), (x.scenario.concurrency = 8))) }]);
    assert.equal(sized.scenario.connections, 1500);
    // What only watched the run is not the storm: copies with another census interval or tail merge.
    await mergeResults([{ file: 'a', result: makeResult() }, { file: 'b', result: later((x) => ((x.scenario.census = 500), (x.scenario.tail = 0))) }]);
    // The series' grid and the gate are the merge's: another sample or thresholds is refused
    // (a review: a 1 s bucket added into a 100 ms one, and a gate decided by file order).
    await assert.rejects(mergeResults([{ file: 'a', result: makeResult() }, { file: 'b', result: later((x) => (x.scenario.sample = 1000)) }]), /with another sample than a/);
    await assert.rejects(mergeResults([{ file: 'a', result: makeResult() }, { file: 'b', result: later((x) => (x.scenario.thresholds = { 'summary.timeWait.peak': '< 5' })) }]), /with another thresholds\.summary\.timeWait\.peak than a/);
    // A result written before a field existed stands for its default: it merges with one that has
    // the default, not with one that set another value (a review).
    const older = later((x) => ((x.scenario as unknown as { client: Record<string, unknown> }).client = {}));
    const byDefault = makeResult((x) => ((x.scenario as unknown as { client: Record<string, unknown> }).client = { idleTimeout: 10_000 }));
    await mergeResults([{ file: 'new', result: byDefault }, { file: 'old', result: older }]);
    const otherValue = makeResult((x) => ((x.scenario as unknown as { client: Record<string, unknown> }).client = { idleTimeout: 3000 }));
    await assert.rejects(mergeResults([{ file: 'new', result: otherValue }, { file: 'old', result: older }]), /old ran scenario "hand-made" with another client\.idleTimeout than new/);
    const failed = await mergeResults([{ file: 'a', result: makeResult() }, { file: 'b', result: later((x) => (x.failed = 'every connection failed')) }]);
    assert.equal(failed.failed, 'b: every connection failed');
  });

  it('copies of one scenario (not shards) asked for its counts times the copies; loads that did not overlap are named', async () => {
    const copy = (startedAt: string): RunResult =>
      makeResult((x) => {
        x.startedAt = startedAt;
        x.endedAt = new Date(Date.parse(startedAt) + 2000).toISOString();
        x.load = { startMs: 100, endMs: 1100 };
      });
    const a = copy('2025-01-01T00:00:00.000Z');
    const together = await mergeResults([{ file: 'a', result: a }, { file: 'b', result: copy('2025-01-01T00:00:00.500Z') }]);
    assert.equal(together.scenario.connections, 2 * a.scenario.connections);
    assert.ok(!together.merged!.warnings.some((w) => /did not overlap/.test(w)), together.merged!.warnings.join('; '));
    const apart = await mergeResults([{ file: 'a', result: a }, { file: 'b', result: copy('2025-01-01T00:00:53.000Z') }]);
    assert.ok(apart.merged!.warnings.includes('the loads did not overlap (b began 52.0 s after the others ended): merged as one storm, the rates count the gap between them'), apart.merged!.warnings.join('; '));
    // Loads that missed each other by a hair (under 5 % of the window) are one storm: no warning.
    const hair = await mergeResults([{ file: 'a', result: a }, { file: 'b', result: copy('2025-01-01T00:00:01.003Z') }]);
    assert.ok(!hair.merged!.warnings.some((w) => /did not overlap/.test(w)), hair.merged!.warnings.join('; '));
  });
});

describe('the merged scenario\'s load shape', () => {
  const at = (i: number) => (x: RunResult): void => {
    x.startedAt = new Date(Date.parse('2025-01-01T00:00:00.000Z') + i * 100).toISOString();
    x.endedAt = new Date(Date.parse(x.startedAt) + 2000).toISOString();
  };
  const ramp = (targets: number[], durations = [1000, 2000]) => targets.map((target, i) => ({ duration: durations[i]!, target }));

  it('copies add their concurrency, maxInFlight, undici pool and each stage\'s target: the merge asked for what they made together', async () => {
    const copy = (i: number, pool: number, targets: number[]) =>
      makeHttpResult((x) => {
        at(i)(x);
        x.scenario.concurrency = 16;
        x.scenario.maxInFlight = 1000;
        x.scenario.stages = ramp(targets);
        x.scenario.http.connections = pool;
      });
    const m = await mergeResults([{ file: 'a', result: copy(0, 8, [100, 300]) }, { file: 'b', result: copy(1, 4, [50, 0]) }]);
    assert.equal(m.scenario.concurrency, 32);
    assert.equal(m.scenario.maxInFlight, 2000);
    assert.deepEqual(m.scenario.stages, ramp([150, 300]));
    assert.equal(m.scenario.http.connections, 12);
    assert.ok(!m.merged!.warnings.some((w) => /stages/.test(w)), m.merged!.warnings.join('; '));
    // Ramps of different stages have no one sum: the first's is kept, and the merge says so.
    const odd = await mergeResults([{ file: 'a', result: copy(0, 8, [100, 300]) }, { file: 'b', result: makeHttpResult((x) => { at(1)(x); x.scenario.stages = ramp([100], [500]); }) }]);
    assert.deepEqual(odd.scenario.stages, ramp([100, 300]));
    // Rates and counts in flight do not add: an open-loop ramp beside a closed-loop one is not summed.
    const open = makeHttpResult((x) => { at(1)(x); x.scenario.rate = 50; x.scenario.stages = ramp([50, 0]); });
    const mixed = await mergeResults([{ file: 'a', result: copy(0, 8, [100, 300]) }, { file: 'b', result: open }]);
    assert.deepEqual(mixed.scenario.stages, ramp([100, 300]));
    assert.ok(mixed.merged!.warnings.some((w) => /ramped through different stages/.test(w)), mixed.merged!.warnings.join('; '));
    assert.ok(odd.merged!.warnings.includes('the copies ramped through different stages: the merged scenario shows the first one\'s'), odd.merged!.warnings.join('; '));
  });

  it('shards give back the whole: each ramps to its share of every target, and the merge restores the scenario before the split', async () => {
    const whole = parseScenario({ name: 'hand-made', connections: 900, concurrency: 64, stages: [{ duration: '1s', target: 100 }, { duration: '2s', target: 7 }], server: { restart: { resume: 10 } } }, 's.yaml');
    const inputs = [0, 1, 2].map((index): MergeInput => {
      const { scenario, info } = applyShard(whole, { index, count: 3 });
      // A closed loop's targets stay whole numbers in flight, as its concurrency does, and add up to the whole's.
      assert.deepEqual(scenario.stages.map((s) => s.target), index === 0 ? [34, 3] : [33, 2]);
      assert.equal(scenario.concurrency, index === 0 ? 22 : 21);
      assert.equal(scenario.server.restart!.resume, index === 0 ? 4 : 3);
      const r = makeResult(at(index)) as StoredResult;
      r.scenario = structuredClone(scenario) as RunResult['scenario'];
      r.shard = info;
      // Each drew from its slice of the namespace range, as a run records it.
      const [low, high] = String(scenario.environment.sysctls['net.ipv4.ip_local_port_range']).split(' ').map(Number) as [number, number];
      r.summary.ports.range = { low, high, size: high - low + 1 };
      return { file: `${index}.json`, result: r };
    });
    const drawn = inputs.map((i) => i.result.summary.ports.range!);
    const m = await mergeResults(inputs);
    assert.deepEqual(m.summary.ports.range, { low: 32768, high: 60999, size: 28232 }, 'the whole range');
    // --partial: the present slices only, their ports added.
    const part = await mergeResults([inputs[0]!, inputs[2]!], { partial: true });
    assert.deepEqual(part.summary.ports.range, { low: drawn[0]!.low, high: drawn[2]!.high, size: drawn[0]!.size + drawn[2]!.size });
    assert.equal(m.scenario.connections, 900);
    assert.equal(m.scenario.concurrency, 64, 'the whole, which the shares add up to');
    assert.deepEqual(m.scenario.stages, whole.stages);
    assert.equal(m.scenario.server.restart!.resume, 10);
    // Shards bind disjoint slices of client.localPorts; the merge's scenario has the whole list.
    const bound = parseScenario({ name: 'hand-made', connections: 100, client: { bind: true, localPorts: '40000-40999' } }, 's.yaml');
    const slices = [0, 1].map((index): MergeInput => {
      const { scenario, info } = applyShard(bound, { index, count: 2 });
      const r = makeResult(at(index)) as StoredResult;
      r.scenario = structuredClone(scenario) as RunResult['scenario'];
      r.shard = info;
      return { file: `b${index}.json`, result: r };
    });
    assert.equal(slices[0]!.result.scenario.client.localPorts, '40000-40499');
    assert.equal((await mergeResults(slices)).scenario.client.localPorts, '40000-40999');
    // A shard that fell back to the host records clientPortRange: null, a namespaced one none:
    // the same split (an audit: "a different split"), merged with a warning about the host.
    const netns = applyShard(whole, { index: 0, count: 2 });
    const host = applyShard(whole, { index: 1, count: 2 }, { isolation: 'host', hostPortRange: '32768 60999', perSocket: { ok: true } });
    const mixed = [netns, host].map(({ scenario, info }, index): MergeInput => {
      const r = makeResult(at(index)) as StoredResult;
      r.scenario = structuredClone(scenario) as RunResult['scenario'];
      r.shard = info;
      if (index === 1) r.environment.isolation = 'host';
      return { file: `m${index}.json`, result: r };
    });
    assert.equal((mixed[1]!.result as StoredResult).shard?.whole.clientPortRange, null);
    assert.equal((mixed[0]!.result as StoredResult).shard?.whole.clientPortRange, undefined);
    const m2 = await mergeResults(mixed);
    assert.ok(m2.merged!.warnings.includes('m1.json ran on the host network, the others in a namespace of their own: a host census counts the host\'s other sockets too'), m2.merged!.warnings.join('; '));
    // Shards run with --repeat: run i goes with run i; the merge is run i of one set.
    const repeated = (index: number, run: number, set: string): MergeInput => {
      const r = makeResult(at(index)) as StoredResult;
      const { scenario, info } = applyShard(whole, { index, count: 2 });
      r.scenario = structuredClone(scenario) as RunResult['scenario'];
      r.shard = info;
      r.repeat = { index: run, count: 2, set };
      // Run 2 of a set began after run 1: not a copy of it.
      r.startedAt = new Date(Date.parse(r.startedAt) + (run - 1) * 1000).toISOString();
      return { file: `s${index}r${run}.json`, result: r };
    };
    await assert.rejects(mergeResults([repeated(0, 1, 'A'), repeated(1, 2, 'B')]), /s1r2\.json is run 2\/2 of a --repeat set, but s0r1\.json is run 1\/2: merge run i of every shard together/);
    // A whole directory of a repeated split: the repeat rule, not "given twice".
    await assert.rejects(
      mergeResults([repeated(0, 1, 'A'), repeated(0, 2, 'A'), repeated(1, 1, 'B'), repeated(1, 2, 'B')]),
      /s0r2\.json and s0r1\.json are runs 2 and 1 of shard 1\/2's --repeat set: merge run i of every shard together, one merge per run/,
    );
    const runTwo = (await mergeResults([repeated(0, 2, 'B'), repeated(1, 2, 'A')])) as StoredResult;
    assert.deepEqual(runTwo.repeat, { index: 2, count: 2, set: 'A-merged' });
    // A missing shard is refused: a CI merge after a shard's job died would gate on part of the load.
    await assert.rejects(mergeResults(inputs.slice(0, 2)), /shard 3\/3 missing: the merged totals would be 2\/3 of the scenario .*; give every shard's result, or --partial to merge these anyway$/m);
    // With partial: the merge's counts are the present shards' shares, as its figures are.
    const two = await mergeResults(inputs.slice(0, 2), { partial: true });
    assert.ok(two.merged!.warnings.some((w) => w.startsWith('shard 3/3 missing')));
    assert.equal(two.scenario.connections, 600, 'shares 300 + 300 of 900, not the whole');
    assert.equal(two.scenario.concurrency, 43, 'in flight too: shares 22 + 21 of 64');
    assert.deepEqual(two.scenario.stages.map((st) => st.target), [67, 5]);
    assert.equal(two.scenario.server.restart!.resume, 7, 'shares 4 + 3 of 10');
    // An open loop's targets are rates, split exactly.
    const open = applyShard(parseScenario({ name: 'o', connections: 900, rate: 300, stages: [{ duration: '1s', target: 1000 }] }, 'o.yaml'), { index: 0, count: 4 }).scenario;
    assert.deepEqual(open.stages, [{ duration: 1000, target: 250 }]);
    assert.equal(open.rate, 75);
  });
});

const twstorm = (args: string[], env: NodeJS.ProcessEnv = {}) => startCli(args, { env: { ...process.env, ...env }, timeoutMs: 120_000 }).exit;

/** The totals a merge of shards must reproduce from one run of the whole, plus `more` where both saw the same sockets. */
function assertSameTotals(merged: RunResult, whole: RunResult, more: Array<(r: RunResult) => number> = []): void {
  for (const pick of [
    (r: RunResult) => r.summary.connections.attempted,
    (r: RunResult) => r.summary.connections.established,
    (r: RunResult) => r.summary.connections.completed,
    (r: RunResult) => r.summary.ports.distinct,
    (r: RunResult) => r.summary.bytes.sent,
    (r: RunResult) => r.summary.bytes.received,
    (r: RunResult) => r.summary.latencyMs.total.count,
    ...more,
  ]) {
    assert.equal(pick(merged), pick(whole), pick.toString());
  }
}

describe('shards as parallel processes, merged (real runs)', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-merge-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('3 shards (flag, TWSTORM_SHARD, JOB_COMPLETION_INDEX) merge into the totals of one whole run', async () => {
    // A 1 s tail: the last closes reach TIME_WAIT before the final census even on a busy
    // machine, so `timeWait.end` compares settled sockets (200 ms once left one in FIN_WAIT2).
    // tcp_rfc1337=1: four runs at once load the machine, and a late ACK's RST could end a
    // TIME_WAIT in one run and not the other (test/helpers/exact-counts.ts says how).
    const rfc1337 = ['--set', 'environment.sysctls.net.ipv4.tcp_rfc1337=1'];
    const common = ['run', 'client-closes-first', '--set', 'connections=1200', '--set', 'tail=1s', ...rfc1337, '--out', path.join(tmp, 'shards'), '--json'];
    const [s1, s2, s3, whole] = await Promise.all([
      twstorm([...common, '--shard', '1/3']),
      twstorm(common, { TWSTORM_SHARD: '2/3' }),
      twstorm(common, { JOB_COMPLETION_INDEX: '2', TWSTORM_SHARDS: '3' }),
      twstorm(['run', 'client-closes-first', '--set', 'connections=1200', '--set', 'tail=1s', ...rfc1337, '--out', path.join(tmp, 'whole'), '--json']),
    ]);
    for (const r of [s1, s2, s3, whole]) assert.equal(r.code, 0, r.stderr);
    const parts = [s1, s2, s3].map((r) => JSON.parse(r.stdout) as RunResult);
    // Disjoint port slices: no source port is used by two shards.
    const ranges = parts.map((p) => p.summary.ports.range!);
    assert.deepEqual(ranges.map((r) => r.size).reduce((a, b) => a + b, 0), 28232);
    const files = (await readdir(path.join(tmp, 'shards'))).filter((n) => n.endsWith('.json')).map((n) => path.join(tmp, 'shards', n));
    assert.equal(files.length, 3);
    assert.ok(files.every((f) => /-shard\dof3-\d{8}T\d{6}Z\.json$/.test(f)), files.join(' '));
    const out = path.join(tmp, 'merged', 'merged.json');
    const merge = await twstorm(['merge', ...files, '-o', out]);
    assert.equal(merge.code, 0, merge.stderr);
    const merged = JSON.parse(await readFile(out, 'utf8')) as StoredResult;
    const one = JSON.parse(whole.stdout) as RunResult;
    assertSameTotals(merged, one, [(r) => r.summary.timeWait.end, (r) => r.server.stats.accepted]);
    assert.equal(merged.scenario.connections, 1200, 'the merged scenario is the whole, not a share');
    assert.equal(merged.merged!.contributors.length, 3);
    assert.deepEqual(merged.merged!.contributors.map((c) => c.shard!.index).sort(), [0, 1, 2]);
    const html = await readFile(out.replace(/\.json$/, '.html'), 'utf8');
    assert.match(html, /merged from 3 results/);
    assert.match(html, /shard 1\/3/);
  });

  it('3 shards as parallel processes against ONE server merge into the totals of one whole run', async () => {
    // Each case runs in a namespace of its own making (the namespace plays the shared host):
    // one `twstorm serve`, then the runs with --isolation host --set target=… against it.
    interface Case {
      runs: Array<{ code: number | null; stdout: string; stderr: string }>;
      serverAccepted: number | null;
      passiveOpens: number;
    }
    const HELPER = fileURLToPath(new URL('./shards-one-server-cases.js', import.meta.url));
    const [sharded, single] = await Promise.all([
      runNodeInNetns<Case>(HELPER, ['3', path.join(tmp, 'one-server-shards')], { timeoutMs: 90_000 }),
      runNodeInNetns<Case>(HELPER, ['1', path.join(tmp, 'one-server-whole')], { timeoutMs: 90_000 }),
    ]);
    for (const r of [...sharded.runs, ...single.runs]) assert.equal(r.code, 0, r.stderr);
    const parts = sharded.runs.map((r) => JSON.parse(r.stdout) as RunResult);
    const one = JSON.parse(single.runs[0]!.stdout) as RunResult;
    assert.ok(parts.every((p) => p.server.own !== undefined && 'target' in p.server.own), 'the shards loaded the external server');
    // Disjoint port slices that cover the whole range: 20000-23332, 23333-26665, 26666-29999.
    const slices = parts.map((p) => p.scenario.client.localPorts!.split('-').map(Number) as [number, number]).sort((a, b) => a[0] - b[0]);
    assert.equal(slices[0]![0], 20000);
    assert.equal(slices[2]![1], 29999);
    for (let i = 1; i < slices.length; i++) assert.equal(slices[i]![0], slices[i - 1]![1] + 1, JSON.stringify(slices));
    const established = parts.reduce((n, p) => n + p.summary.connections.established, 0);
    assert.equal(established, 900);
    // The one server saw every shard's connection: its own count and the kernel's agree.
    assert.equal(sharded.serverAccepted, established, 'twstorm serve\'s accepted count');
    assert.equal(sharded.passiveOpens, established, 'TcpPassiveOpens in the shards\' namespace');
    assert.equal(single.serverAccepted, one.summary.connections.established);
    const files = (await readdir(path.join(tmp, 'one-server-shards'))).filter((n) => n.endsWith('.json')).map((n) => path.join(tmp, 'one-server-shards', n));
    assert.equal(files.length, 3);
    const out = path.join(tmp, 'one-server-merged.json');
    const merge = await twstorm(['merge', ...files, '-o', out]);
    assert.equal(merge.code, 0, merge.stderr);
    const merged = JSON.parse(await readFile(out, 'utf8')) as StoredResult;
    assertSameTotals(merged, one);
    assert.equal(merged.summary.connections.established, 900);
    // One shard's file missing (its job died): refused in one line, exit 2, nothing written;
    // --partial merges the two with the warning, the totals theirs.
    const partialOut = path.join(tmp, 'one-server-partial.json');
    const refused = await twstorm(['merge', files[0]!, files[1]!, '-o', partialOut]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /^twstorm: shard \d\/3 missing: the merged totals would be 2\/3 of the scenario .*or --partial to merge these anyway$/m);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    await assert.rejects(readFile(partialOut), { code: 'ENOENT' });
    const partial = await twstorm(['merge', files[0]!, files[1]!, '--partial', '--no-html', '-o', partialOut]);
    assert.equal(partial.code, 0, partial.stderr);
    assert.match(partial.stderr, /WARNING: shard \d\/3 missing: the totals are 2\/3 of the scenario/);
    // plan --from would hold the whole split's scenario against two shards' figures: refused.
    const plan = await twstorm(['plan', '--from', partialOut]);
    assert.equal(plan.code, 2, plan.stderr);
    assert.match(plan.stderr, /^twstorm: \S+one-server-partial\.json merges 2 of the 3 shards of a split \(merge --partial\): .*run plan --from on the complete merge, or on one shard's result\n$/);
    const partialMerge = JSON.parse(await readFile(partialOut, 'utf8')) as StoredResult;
    assert.equal(partialMerge.summary.connections.established, 600);
    // Its ports are the two shards' slices, not the whole range the third shard's share was cut from.
    const present = await Promise.all([files[0]!, files[1]!].map(async (f) => (JSON.parse(await readFile(f, 'utf8')) as RunResult).summary.ports.range!));
    const disjoint = present[0]!.high < present[1]!.low || present[1]!.high < present[0]!.low;
    assert.equal(partialMerge.summary.ports.range!.size, disjoint ? present[0]!.size + present[1]!.size : Math.max(present[0]!.high, present[1]!.high) - Math.min(present[0]!.low, present[1]!.low) + 1);
  });

  it('shards of a --repeat set in one --out, started together: each writes its own comparison report', async () => {
    // An audit: both printed "HTML report comparing both runs: <one path>", the second over the first.
    const dir = path.join(tmp, 'repeat-shards');
    const runs = await Promise.all([1, 2].map((i) => twstorm(['run', 'client-closes-first', '--set', 'connections=20', '--set', 'tail=0', '--repeat', '2', '--shard', `${i}/2`, '--out', dir])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const reports = runs.map((r) => /^HTML report comparing both runs: (.+)$/m.exec(r.stdout)?.[1]);
    assert.ok(reports.every((f) => f !== undefined), runs.map((r) => r.stdout).join('\n'));
    assert.match(reports[0]!, /client-closes-first-shard1of2-\d{8}T\d{6}Z\.html$/);
    assert.match(reports[1]!, /client-closes-first-shard2of2-\d{8}T\d{6}Z\.html$/);
    for (const f of reports) assert.match(await readFile(f!, 'utf8'), /<html/);
  });

  it('thresholds are evaluated on the merged result: exit 3 when one fails', async () => {
    const dir = path.join(tmp, 'gated');
    const scenario = path.join(tmp, 'gated.yaml');
    // Each shard alone makes 300 TIME_WAITs, under the limit; together they make 600.
    await writeFile(scenario, 'name: gated\nconnections: 600\ntail: 200ms\nthresholds:\n  summary.timeWait.peakClient: "< 500"\n');
    const runs = await Promise.all([1, 2].map((i) => twstorm(['run', scenario, '--shard', `${i}/2`, '--out', dir])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const files = (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => path.join(dir, n));
    // A directory where the HTML report goes: one line, and the gate still runs (an audit: a stack
    // trace, exit 1, and the failed threshold never evaluated).
    await mkdir(path.join(tmp, 'gated-merged.html'));
    const merge = await twstorm(['merge', ...files, '-o', path.join(tmp, 'gated-merged.json')]);
    assert.equal(merge.code, 3, merge.stdout + merge.stderr);
    assert.match(merge.stdout, /FAIL\s+summary\.timeWait\.peakClient < 500/);
    assert.match(merge.stderr, /^twstorm: cannot write .*gated-merged\.html: EISDIR \(a directory is in the way\); choose another place with --out, or skip it with --no-html$/m);
    assert.equal(merge.stderr.split('\n').filter((l) => /cannot write|at /.test(l)).length, 1, merge.stderr);
    assert.equal((JSON.parse(await readFile(path.join(tmp, 'gated-merged.json'), 'utf8')) as RunResult).summary.connections.attempted, 600);
  });

  /**
   * Two copies of a real result half a load apart, their loads overlapping: one storm measured by
   * two processes (the fixture's load is as long as its run took: tens of ms on a quiet machine).
   */
  async function overlappingCopies(name: string, edit: (r: RunResult, i: number) => void = () => undefined): Promise<{ real: RunResult; files: string[] }> {
    const real = JSON.parse(await readFile(fileURLToPath(new URL('../../../test/fixtures/results/client-closes-first.json', import.meta.url)), 'utf8')) as RunResult;
    const half = (real.load.endMs - real.load.startMs) / 2;
    const files = [0, 1].map((i) => path.join(tmp, `${name}-${i}.json`));
    for (const [i, file] of files.entries()) {
      const r = structuredClone(real);
      r.startedAt = new Date(Date.parse(real.startedAt) + i * half).toISOString();
      edit(r, i);
      await writeFile(file, JSON.stringify(r));
    }
    return { real, files };
  }

  it('-o is --out (--output still works), and a path it cannot write is one line, exit 1', async () => {
    const { real, files } = await overlappingCopies('copy');
    for (const flag of ['--out', '--output']) {
      const out = path.join(tmp, `merged${flag}.json`);
      const ok = await twstorm(['merge', ...files, flag, out, '--no-html']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((JSON.parse(await readFile(out, 'utf8')) as RunResult).summary.connections.attempted, 2 * real.summary.connections.attempted);
    }
    // A file where the directory should be.
    const blocked = path.join(files[0]!, 'merged.json');
    const fail = await twstorm(['merge', ...files, '-o', blocked]);
    assert.equal(fail.code, 1);
    // mkdir -p says EEXIST for a file in the way.
    assert.equal(fail.stderr, `twstorm: cannot write ${blocked}: EEXIST (a file is in the way); choose another place with --out\n`);
  });

  it('a contributor that failed fails the merge: exit 1, said in one line, the merged result written', async () => {
    const { files } = await overlappingCopies('failing', (r, i) => {
      if (i === 1) r.failed = 'every connection failed (100 attempted: ECONNREFUSED 100)';
    });
    const out = path.join(tmp, 'failing-merged.json');
    const merge = await twstorm(['merge', ...files, '-o', out, '--no-html']);
    assert.equal(merge.code, 1, merge.stderr);
    assert.match(merge.stderr, /^twstorm: the merge holds a run that failed: .*failing-1\.json.*every connection failed \(100 attempted: ECONNREFUSED 100\); the merged result is in .*failing-merged\.json$/m);
    assert.match((JSON.parse(await readFile(out, 'utf8')) as RunResult).failed ?? '', /every connection failed/);
  });

  it('a truncated or foreign JSON is one line naming the file, exit 2', async () => {
    const bad = path.join(tmp, 'bad.json');
    await writeFile(bad, '{"schema": "twstorm/result@1", "summ');
    const foreign = path.join(tmp, 'foreign.json');
    await writeFile(foreign, '{"hello": 1}');
    for (const f of [bad, foreign]) {
      const r = await twstorm(['merge', f, f, '-o', path.join(tmp, 'x.json')]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(path.basename(f)));
    }
  });
});
