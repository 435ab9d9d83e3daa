// The port-reuse histogram's x axis: logarithmic bins a quarter decade wide, labelled so each
// bin's edges can be read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { reuseChart } from '../../src/report/html/reuse.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));
const fixture = async (name: string): Promise<RunResult> => JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;

describe('port reuse histogram axis', () => {
  it('reuses within a decade: a tick at every bin edge, and the axis label names no unit its ticks contradict', async () => {
    // Seen in tw-reuse and http-connection-close reports: one tick, "1.0 s", under bins from 1 s to
    // 1.8 s (or 5.6 s), and the axis titled "(ms)" over ticks in seconds.
    const chart = (await reuseChart([await fixture('tw-reuse')]))!;
    assert.deepEqual(chart.x, [1000, 1778.279]);
    assert.deepEqual(chart.xTicks, chart.x);
    assert.doesNotMatch(chart.xLabel, /\(ms\)/);
  });
});
