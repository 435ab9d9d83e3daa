// What the driver's cost is counted per 1,000 of, as the result records it (load.costUnit):
// requests under HTTP, connections otherwise; a result without it counted connections.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderTerminalSummary } from '../../src/report/terminal.js';
import { environmentNotes } from '../../src/compare/noise.js';
import { makeHttpResult, makeResult } from '../report/make-result.js';
import { cpuPerThousand } from '../../src/result/figures.js';

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

describe('summary.driver.cpuMsPer1000 with no work', () => {
  it('is null, not the whole CPU times 1,000, and the summary says nothing was made', () => {
    assert.equal(cpuPerThousand(59, 0), null);
    assert.equal(cpuPerThousand(59, 2000), 29.5);
    const stopped = makeResult((r) => {
      r.summary.driver = { ...r.summary.driver, cpuUserMs: 40, cpuSystemMs: 19, cpuMsPer1000: null };
    });
    assert.match(renderTerminalSummary(stopped), /CPU 59 ms \(no connections made\)/);
    assert.doesNotMatch(renderTerminalSummary(stopped), /59,000/);
  });
});
