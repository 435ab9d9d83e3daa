// The one reader of result files: what it accepts, and the one line it gives for what it does not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseResult, parseResultText, readResult, ResultFileError } from '../../src/result/index.js';

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

  it('calls JSON that is not a result foreign (a directory scan skips it), and a damaged result invalid', () => {
    refused({ hello: 'world' }, /not a twstorm result: it has no "schema" field \(a twstorm result says "twstorm\/result@1"\); pass a result JSON written by "twstorm run"$/, 'foreign');
    // Another twstorm schema version: a newer twstorm wrote it; any other schema: not ours.
    refused({ schema: 'twstorm/result@2' }, /"schema" is "twstorm\/result@2", this twstorm reads "twstorm\/result@1": a newer twstorm wrote it/, 'foreign');
    refused({ schema: 'k6/summary' }, /"schema" is "k6\/summary", expected "twstorm\/result@1"; pass a result JSON/, 'foreign');
    refused([1], /a JSON array/, 'foreign');
    assert.throws(() => parseResultText('{"schema": "twstorm/resu', 'cut.json'), (err: unknown) => err instanceof ResultFileError && err.kind === 'foreign' && /^cut\.json: not JSON/.test(err.message));
    refused({ schema: 'twstorm/result@1' }, /bad result field tool/, 'invalid');
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
