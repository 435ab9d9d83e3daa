// What the driver's cost is counted per 1,000 of, as the result records it (load.costUnit):
// requests under HTTP, connections otherwise; a result without it counted connections.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTerminalSummary } from '../../src/report/terminal.js';
import { environmentNotes } from '../../src/compare/noise.js';
import { makeHttpResult } from '../report/make-result.js';

describe('load.costUnit', () => {
  it('names the unit of summary.driver.cpuMsPer1000 in the summary; an older HTTP result keeps "connections"', () => {
    const now = makeHttpResult((r) => (r.load = { ...r.load, costUnit: 'requests' }));
    const older = makeHttpResult();
    assert.match(renderTerminalSummary(now), /ms per 1,000 requests\)/);
    assert.match(renderTerminalSummary(older), /ms per 1,000 connections\)/);
    // compare says when the two sides count it differently.
    assert.ok(environmentNotes(older, now).includes('driver CPU counted per 1,000 differs: connections → requests'), environmentNotes(older, now).join('\n'));
  });
});
