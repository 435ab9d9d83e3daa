// The one reader of result files: what it accepts, and the one line it gives for what it does not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResult, parseResultText, readResult, readResultDirectory, ResultFileError } from '../../src/result/index.js';
import type { LabFacts } from '../../src/result/lab.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/results/server-closes-first.json', import.meta.url));
const doc = (): Record<string, any> => JSON.parse(readFileSync(FIXTURE, 'utf8'));

const refused = (d: unknown, pattern: RegExp, kind: ResultFileError['kind'] = 'invalid'): void => {
  assert.throws(() => parseResult(d, 'r.json'), (err: unknown) => {
    assert.ok(err instanceof ResultFileError);
    assert.equal(err.kind, kind);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, pattern);
    return true;
  });
};

describe('result reader', () => {
  it('reads a real result, and keeps fields it does not know (a newer twstorm may add some)', async () => {
    const r = await readResult(FIXTURE);
    assert.equal(r.scenario.name, 'server-closes-first');
    const extra = doc();
    extra['failed'] = 'the server child died';
    extra['summary']['timeWait']['peakAtMs'] = 120;
    const parsed = parseResult(extra, 'r.json') as unknown as Record<string, any>;
    assert.equal(parsed['failed'], 'the server child died');
    assert.equal(parsed['summary']['timeWait']['peakAtMs'], 120);
  });

  it('names the file and the first bad field, with what it got', () => {
    const wrong = doc();
    wrong['summary']['timeWait']['peak'] = 'many';
    refused(wrong, /^r\.json: bad result field summary\.timeWait\.peak: .*number.* \(got "many"\)/);
    const missing = doc();
    delete missing['load'];
    refused(missing, /^r\.json: bad result field load: .* \(it is missing\)/);
    const huge = doc();
    huge['summary']['connections']['established'] = 1e300;
    refused(huge, /summary\.connections\.established: .*\(got 1e\+300\)/);
    const series = doc();
    series['series']['census']['t'][0] = null;
    refused(series, /series\.census\.t\[0\]/);
    const histogram = doc();
    histogram['histograms']['connect'] = 'AAAA';
    refused(histogram, /histograms\.connect: not an encoded HdrHistogram/);
  });

  it('long series read fast and are checked to the sample: the bad one named, as zod words it', () => {
    const long = doc();
    const n = 200_000;
    long['series']['kernel']['t'] = Array.from({ length: n }, (_, i) => i * 100);
    long['series']['kernel']['tw'] = Array.from({ length: n }, (_, i) => i % 9);
    long['series']['kernel']['inuse'] = Array.from({ length: n }, () => 3);
    long['series']['kernel']['counters'] = { TcpActiveOpens: Array.from({ length: n }, (_, i) => i) };
    assert.equal(parseResult(long, 'r.json').series.kernel.tw[123_456], 123_456 % 9);
    const bad = (edit: (d: Record<string, any>) => void, pattern: RegExp): void => {
      const d = doc();
      edit(d);
      refused(d, pattern);
    };
    bad((d) => (d['series']['kernel']['tw'] = Array.from({ length: n }, (_, i) => (i === 54_321 ? '7' : 7))), /^r\.json: bad result field series\.kernel\.tw\[54321\]: Invalid input: expected number, received string \(got "7"\)/);
    bad((d) => (d['series']['driver']['columns']['completed'] = 'none'), /series\.driver\.columns\.completed: Invalid input: expected array, received string \(got "none"\)/);
    bad((d) => (d['series']['census']['client']['TIME_WAIT'] = [1, 2, 1e300]), /series\.census\.client\.TIME_WAIT\[2\]: Too big: expected number to be <=9007199254740991 \(got 1e\+300\)/);
    bad((d) => delete d['series']['kernel']['inuse'], /series\.kernel\.inuse: Invalid input: expected array, received undefined \(it is missing\)/);
  });

  it('a routed lab is checked like the rest: a real-shaped one reads, a bad sample is named', () => {
    const lab: LabFacts = {
      topology: 'routed',
      hosts: [
        { name: 'client1', role: 'client', address: '198.18.1.2', summary: doc()['summary'] },
        { name: 'server', role: 'server', address: '198.19.0.2', timeWaitPeak: 0, kernel: { TcpPassiveOpens: 300 } },
      ],
      router: {
        nat: { addresses: 2, ports: [40000, 40999], randomFully: false, pool: ['198.19.1.1', '198.19.1.2'], tuples: 2000 },
        conntrack: {
          samples: [{ t: 0, stats: { entries: 1 }, states: {} }, { t: 200, stats: null, states: { TIME_WAIT: 300 } }],
          peakEntries: 301,
          peakTimeWait: 300,
          counters: { insert: 300, drop: 0 },
        },
      },
      serverCensus: [{ t: 0, states: { LISTEN: 1 } }, { t: 200, states: { LISTEN: 1, CLOSE_WAIT: 2 } }],
    };
    const good = { ...doc(), lab };
    assert.deepEqual((parseResult(good, 'r.json') as unknown as { lab: LabFacts }).lab, lab);
    const bad = (edit: (l: Record<string, any>) => void, pattern: RegExp): void => {
      const d = JSON.parse(JSON.stringify(good));
      edit(d['lab']);
      refused(d, pattern);
    };
    // A sample with no time drew as NaN on the lab's chart (and once stalled its alignment).
    bad((l) => delete l['serverCensus'][1]['t'], /bad result field lab\.serverCensus\[1\]\.t: .*number.* \(it is missing\)/);
    bad((l) => (l['router']['conntrack']['samples'][0]['states'] = { TIME_WAIT: -1 }), /lab\.router\.conntrack\.samples\[0\]\.states\.TIME_WAIT: Too small/);
    bad((l) => (l['hosts'][1]['role'] = 'router'), /lab\.hosts\[1\]\.role: .*"client"\|"server"/);
    bad((l) => (l['topology'] = 'star'), /lab\.topology: /);
  });

  it('calls JSON that is not a result foreign (a directory scan skips it), and a damaged result invalid', () => {
    refused({ hello: 'world' }, /not a twstorm result: it has no "schema" field \(a twstorm result says "twstorm\/result@1"\); pass a result JSON written by "twstorm run"$/, 'foreign');
    // Another twstorm schema version: a newer twstorm wrote it; any other schema: not ours.
    refused({ schema: 'twstorm/result@2' }, /"schema" is "twstorm\/result@2", this twstorm reads "twstorm\/result@1": a newer twstorm wrote it/, 'foreign');
    refused({ schema: 'k6/summary' }, /"schema" is "k6\/summary", expected "twstorm\/result@1"; pass a result JSON/, 'foreign');
    refused([1], /a JSON array/, 'foreign');
    assert.throws(() => parseResultText('{"schema": "twstorm/resu', 'cut.json'), (err: unknown) => err instanceof ResultFileError && err.kind === 'foreign' && /^cut\.json: not JSON/.test(err.message));
    // JSON.parse quotes the text near the fault, newline and all: the message stays one line.
    assert.throws(
      () => parseResultText('not json\n{\x1b[31m', 'bad.json'),
      (err: unknown) => err instanceof ResultFileError && /^bad\.json: not JSON \(.*not json \{.*\); pass a result JSON/.test(err.message) && !/[\n\x1b]/.test(err.message),
    );
    refused({ schema: 'twstorm/result@1' }, /bad result field tool/, 'invalid');
  });

  it('says an empty file is a run still going or stopped before its end, not "not JSON"', () => {
    for (const text of ['', '\n']) {
      assert.throws(
        () => parseResultText(text, 'r.json'),
        (err: unknown) => err instanceof ResultFileError && err.kind === 'foreign' && /^r\.json: is empty: a run creates its result file empty when it starts .* still going or was stopped first; wait for it, or pass a finished result$/.test(err.message),
      );
    }
  });

  it("a directory scan (compare, report) skips a run's empty reservation; named on its own (merge's inputs) it is refused", async () => {
    // README: merge takes files only, so "merge and compare skip it in a directory" was half untrue.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-empty-result-'));
    try {
      await copyFile(FIXTURE, path.join(dir, 'a.json'));
      await writeFile(path.join(dir, 'b.json'), '');
      assert.deepEqual((await readResultDirectory(dir)).map((f) => path.basename(f.file)), ['a.json']);
      await assert.rejects(readResult(path.join(dir, 'b.json')), /b\.json: is empty: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads an array of results (run --json of a matrix) and names the bad item', () => {
    const text = JSON.stringify([doc(), doc()]);
    assert.equal(parseResultText(text, 'm.json').length, 2);
    assert.throws(() => parseResultText(JSON.stringify([doc(), { schema: 'x' }]), 'm.json'), /: m\.json\[1\]: not a twstorm result/);
    assert.throws(() => parseResultText('[]', 'm.json'), /empty array/);
  });

  it('says when a file cannot be read', async () => {
    await assert.rejects(readResult('/nonexistent/r.json'), (err: unknown) => err instanceof ResultFileError && err.kind === 'unreadable' && /cannot read it \(ENOENT\)/.test(err.message));
    await assert.rejects(readResult(fileURLToPath(new URL('.', import.meta.url))), /is a directory/);
  });
});
