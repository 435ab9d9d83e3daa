// How runs are named beside each other in a comparison (result/provenance.ts runLabels).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runLabels } from '../../src/result/provenance.js';
import { makeResult } from '../report/make-result.js';
import { renderHtmlReport } from '../../src/report/html/index.js';

describe('runLabels: every run of a comparison has a name of its own', () => {
  it('runs of one scenario with other settings add the settings that differ', () => {
    // A newcomer audit: r200.json and r5000.json were both "client-closes-first" everywhere.
    const small = makeResult((r) => (r.scenario.connections = 200));
    const large = makeResult((r) => (r.scenario.connections = 5000));
    const labels = runLabels([small, large]);
    assert.deepEqual([labels.get(small), labels.get(large)], ['hand-made · connections=200', 'hand-made · connections=5000']);
  });

  it('identical settings are told apart by their start; a lone run keeps its plain name', () => {
    const a = makeResult((r) => (r.startedAt = '2026-12-04T07:00:00.000Z'));
    const b = makeResult((r) => (r.startedAt = '2026-12-04T08:00:00.000Z'));
    assert.deepEqual([...runLabels([a, b]).values()], ['hand-made · started 2026-12-04T07:00:00.000Z', 'hand-made · started 2026-12-04T08:00:00.000Z']);
    assert.deepEqual([...runLabels([a]).values()], ['hand-made']);
  });

  it('matrix variants of several scenarios carry their scenario', () => {
    const variant = makeResult((r) => {
      r.scenario.name = 'close-matrix';
      r.variant = { label: 'close.first=server', values: { 'close.first': 'server' } } as typeof r.variant;
    });
    const other = makeResult();
    assert.deepEqual([...runLabels([variant, other]).values()], ['close-matrix: close.first=server', 'hand-made']);
  });

  it('the HTML comparison names each row and legend with them', async () => {
    const small = makeResult((r) => (r.scenario.connections = 200));
    const large = makeResult((r) => (r.scenario.connections = 5000));
    const page = await renderHtmlReport([small, large], { generatedAt: new Date(0) });
    assert.match(page, /<th scope="row" id="run-\d">hand-made · connections=200<\/th>/);
    assert.match(page, /<th scope="row" id="run-\d">hand-made · connections=5000<\/th>/);
  });
});
