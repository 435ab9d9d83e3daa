// A comparison of routed labs (a matrix over router.nat.ports, or environment.clients) keeps each
// run's lab: its client hosts, its router's NAT pool and conntrack failures, its server host,
// under the run's own label. The comparison page used to have no lab section at all, while its
// connect() notes sent the reader to "the table of client hosts" (an audit: snat-port-exhaustion
// with a matrix over the pool, whose one telling figure, insert_failed, was on no page).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtmlReport } from '../../src/report/html/index.js';
import type { LabFacts } from '../../src/result/lab.js';
import type { RunResult } from '../../src/result/model.js';
import { asLab, makeResult } from './make-result.js';

/** A routed run of `clients` hosts behind a pool of `ports` tuples, whose client hosts established `each` and the router refused `refused`. */
function snatRun(ports: [number, number], clients: number, each: number[], refused: number): RunResult {
  return makeResult((r) => {
    asLab(r, clients);
    const lab = (r as RunResult & { lab: LabFacts }).lab;
    const label = `environment.router.nat.ports=${ports[0]}-${ports[1]}`;
    r.variant = { label, values: { 'environment.router.nat.ports': `${ports[0]}-${ports[1]}` } };
    lab.router.nat = { addresses: 1, ports, randomFully: false, pool: ['198.19.1.1'], tuples: ports[1] - ports[0] + 1 };
    lab.router.conntrack = { samples: [], peakEntries: ports[1] - ports[0] + 1, peakTimeWait: 7, counters: { insert_failed: refused, drop: refused } };
    lab.hosts.forEach((h, i) => {
      if (h.role !== 'client') return;
      const s = structuredClone(r.summary);
      s.connections.established = each[i]!;
      s.connections.failed = 80 - each[i]!;
      s.timeWait.peakClient = each[i]!;
      s.errors = { ETIMEDOUT: 80 - each[i]! };
      h.summary = s;
    });
  });
}

/** The part of the page under the heading `label`, to the next run's heading. */
function block(page: string, label: string): string {
  const start = page.indexOf(`<h3>${label}</h3>`, page.indexOf('id="lab"'));
  assert.ok(start > 0, `the lab section has a block for ${label}`);
  const next = page.indexOf('<div class="lab-run">', start);
  return page.slice(start, next < 0 ? page.indexOf('</section>', start) : next);
}

describe('HTML comparison of routed labs: each run keeps its lab', () => {
  it("each run's client hosts, NAT pool and conntrack failures under its own label, never another's", async () => {
    const narrow = snatRun([40000, 40049], 2, [50, 0], 220);
    const wide = snatRun([40000, 40099], 2, [80, 20], 120);
    const page = await renderHtmlReport([narrow, wide], { generatedAt: new Date(0) });
    assert.match(page, /<a href="#lab">Lab<\/a>/);
    const a = block(page, 'environment.router.nat.ports=40000-40049');
    const b = block(page, 'environment.router.nat.ports=40000-40099');
    assert.match(a, /× ports 40000–40049: 50 tuples per destination/);
    assert.match(b, /× ports 40000–40099: 100 tuples per destination/);
    assert.match(a, /<th scope="row">insert_failed<\/th><td class="num">220 /);
    assert.match(b, /<th scope="row">insert_failed<\/th><td class="num">120 /);
    // client2's row: established, failed, TIME_WAIT peak, each run's own.
    assert.match(a, /client2<span class="sub">198\.18\.2\.2<\/span><\/th><td class="num">0<\/td><td class="num">80<\/td><td class="num">0<\/td>/);
    assert.match(b, /client2<span class="sub">198\.18\.2\.2<\/span><\/th><td class="num">20<\/td><td class="num">60<\/td><td class="num">20<\/td>/);
  });

  it('a run that is not a lab has no block; no lab among the runs, no section', async () => {
    const lab = snatRun([40000, 40049], 1, [50], 30);
    const plain = makeResult((r) => {
      r.variant = { label: 'plain', values: {} };
    });
    const page = await renderHtmlReport([lab, plain], { generatedAt: new Date(0) });
    assert.equal(page.split('<div class="lab-run">').length - 1, 1);
    const none = await renderHtmlReport([plain, makeResult()], { generatedAt: new Date(0) });
    assert.doesNotMatch(none, /id="lab"/);
  });
});

describe('tables of routed labs: what each router refused', () => {
  it('the terminal and the HTML key figures give each run its router\'s refusals; – for a run with no router; no column without a lab', async () => {
    const { renderTerminalComparison } = await import('../../src/report/terminal-compare.js');
    const { comparisonTable } = await import('../../src/report/html/compare.js');
    // An audit: a matrix over router.nat.ports showed insert_failed on no table of the comparison.
    const narrow = snatRun([40000, 40049], 2, [50, 0], 220);
    const wide = snatRun([40000, 40099], 2, [80, 20], 120);
    const plain = makeResult((r) => (r.variant = { label: 'plain', values: {} }));
    const terminal = renderTerminalComparison([narrow, wide, plain]).split('\n');
    assert.match(terminal[0]!, /router refused/);
    assert.match(terminal.find((l) => l.startsWith('environment.router.nat.ports=40000-40049'))!, / 220 /);
    assert.match(terminal.find((l) => l.startsWith('environment.router.nat.ports=40000-40099'))!, / 120 /);
    assert.match(terminal.find((l) => l.startsWith('plain'))!, / – /);
    const table = comparisonTable([narrow, wide, plain]);
    const at = table.headers.indexOf('router refused');
    assert.ok(at > 0, table.headers.join(' | '));
    assert.deepEqual(table.rows.map((r) => r.cells[at - 1]!.text), ['220', '120', '–']);
    // No lab among the runs: no router column.
    assert.doesNotMatch(renderTerminalComparison([plain, makeResult()]).split('\n')[0]!, /router/);
    assert.equal(comparisonTable([plain, makeResult()]).headers.indexOf('router refused'), -1);
  });
});
