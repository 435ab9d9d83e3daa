// The connect() latency charts, even and odd local ports apart: a line per parity that a
// connection got, and a sentence for one that none got.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { connectFillCharts } from '../../src/report/html/connect-fill.js';
import { asLab } from './make-result.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));
const fixture = async (name: string): Promise<RunResult> => JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as RunResult;

describe('connect() latency by parity: only what was measured is in the legend', () => {
  it('no connection got an odd port: no odd line or legend entry, and the note says why', async () => {
    // Seen in every client-closes-first report (5,000 of 28,232 ports: all even): the legend
    // listed "odd ports p50" beside a chart with no odd line.
    const { time, held } = connectFillCharts([await fixture('client-closes-first')]);
    for (const chart of [...time, ...held]) {
      assert.deepEqual(chart.series.map((s) => s.label), ['even ports p50'], chart.id);
      assert.ok(chart.notes.some((n) => n.startsWith('No connection got an odd port: the kernel hands out even ports first')), chart.notes.join(' | '));
    }
  });

  it('both parities used: both lines, no such note', async () => {
    const { time, held } = connectFillCharts([await fixture('port-exhaustion')]);
    for (const chart of [...time, ...held]) {
      assert.deepEqual(chart.series.map((s) => s.label), ['even ports p50', 'odd ports p50'], chart.id);
      assert.ok(!chart.notes.some((n) => n.startsWith('No connection got')));
    }
  });
});

describe('connect() latency in a routed lab: the cells are client1\'s', () => {
  it('with several client hosts both charts name the one host they show', async () => {
    // several-clients: 3 hosts × 1,000 connections, and the charts, unnamed, read as all 3,000.
    const r = await fixture('port-exhaustion');
    asLab(r, 3);
    const { time, held } = connectFillCharts([r]);
    for (const chart of [...time, ...held]) {
      assert.ok(chart.title.endsWith(' · client1 of 3 client hosts'), chart.title);
      assert.ok(chart.notes.some((n) => n.startsWith("client1's connections only")), chart.notes.join(' | '));
    }
  });

  it('with one client host its cells are the whole load: nothing added', async () => {
    const r = await fixture('port-exhaustion');
    asLab(r, 1);
    const { time, held } = connectFillCharts([r]);
    for (const chart of [...time, ...held]) {
      assert.doesNotMatch(chart.title, /client1/);
      assert.ok(!chart.notes.some((n) => n.includes("connections only")));
    }
  });
});
