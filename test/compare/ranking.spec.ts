// The one ranking rule (src/compare/metrics.ts, rankRuns) and the three places that use it: the
// compare gate, the HTML comparison table and the terminal matrix table. The case that motivated
// it: an HTTP matrix of keep-alive against Connection: close. The keep-alive run sends more
// requests over a hundredth of the connections; ranking conn/s called it the worst run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rankRuns, rankRule } from '../../src/compare/metrics.js';
import { compareResults } from '../../src/compare/index.js';
import { comparisonTable } from '../../src/report/html/compare.js';
import { renderTerminalComparison } from '../../src/report/terminal-compare.js';
import type { RunResult } from '../../src/result/model.js';
import { makeHttpResult, makeResult } from '../report/make-result.js';

/** Connection: close — one request per connection, each leaving a client TIME_WAIT. */
const closeRun = (): RunResult =>
  makeHttpResult((r) => {
    r.variant = { label: 'connection-close', values: { 'http.client': 'reset' } };
    r.summary.connections = { attempted: 1000, established: 1000, completed: 1000, failed: 0, ratePerSec: 2000 };
    r.summary.requests = { total: 1000, ok: 1000, failed: 0, ratePerSec: 2000, perConnection: 1 };
    r.summary.timeWait = { peak: 1000, peakClient: 1000, peakServer: 0, end: 1000, sockstatPeak: 1000 };
    r.summary.latencyMs.total = { ...r.summary.latencyMs.total, p99: 4 };
    r.summary.latencyMs.connect = { ...r.summary.latencyMs.connect, p99: 0.2 };
  });

/** Keep-alive — 3,000 requests over 30 connections, faster; its connect latency is worse (a few, under load). */
const keepAliveRun = (): RunResult =>
  makeHttpResult((r) => {
    r.variant = { label: 'keep-alive', values: { 'http.client': 'keep-alive' } };
    r.summary.connections = { attempted: 30, established: 30, completed: 30, failed: 0, ratePerSec: 60 };
    r.summary.requests = { total: 3000, ok: 3000, failed: 0, ratePerSec: 6000, perConnection: 100 };
    r.summary.timeWait = { peak: 30, peakClient: 30, peakServer: 0, end: 30, sockstatPeak: 30 };
    r.summary.latencyMs.total = { ...r.summary.latencyMs.total, p99: 1 };
    r.summary.latencyMs.connect = { ...r.summary.latencyMs.connect, p99: 0.9 };
  });

describe('one ranking rule', () => {
  it('HTTP and TCP runs side by side: each kind is ranked among its own', () => {
    // An audit: one TCP run beside two HTTP runs had the keep-alive run "worst" on TIME_WAIT (64
    // from 64 connections read per 1,000 connections, like 2,000 from 2,000) and on conn/s.
    const tcp = (rate: number, tw: number) =>
      makeResult((r) => {
        r.summary.connections = { ...r.summary.connections, ratePerSec: rate };
        r.summary.timeWait = { ...r.summary.timeWait, peak: tw };
      });
    const runs = [closeRun(), keepAliveRun(), tcp(5000, 500), tcp(4000, 900)];
    const tw = runs.map((r) => r.summary.timeWait.peak);
    assert.deepEqual(rankRuns('summary.timeWait.peak', runs, tw), ['worst', 'best', 'best', 'worst']);
    const rate = runs.map((r) => r.summary.connections.ratePerSec);
    assert.deepEqual(rankRuns('summary.connections.ratePerSec', runs, rate), [null, null, 'best', 'worst'], 'conn/s ranks the TCP runs only');
    const connect = runs.map((r) => r.summary.latencyMs.connect.p99);
    assert.deepEqual(rankRuns('summary.latencyMs.connect.p99', runs, connect).slice(0, 2), [null, null], 'no HTTP run on connect latency');
  });

  it('HTTP runs are not ranked on conn/s or connect latency; requests/s and request latency are', () => {
    const runs = [closeRun(), keepAliveRun()];
    assert.equal(rankRule('summary.connections.ratePerSec', runs), null);
    assert.equal(rankRule('summary.latencyMs.connect.p99', runs), null);
    assert.deepEqual(rankRule('summary.requests.ratePerSec', runs), { better: 'higher', perThousand: null });
    assert.deepEqual(rankRuns('summary.requests.ratePerSec', runs, [2000, 6000]), ['worst', 'best']);
    assert.deepEqual(rankRuns('summary.latencyMs.total.p99', runs, [4, 1]), ['worst', 'best']);
    // TCP runs: connections are the work, so conn/s is the score.
    const tcp = [makeResult(), makeResult((r) => (r.summary.connections.ratePerSec = 10))];
    assert.deepEqual(rankRuns('summary.connections.ratePerSec', tcp, [2000, 10]), ['best', 'worst']);
  });

  it('a count that scales with work is ranked per 1,000 units of work when the runs did different amounts', () => {
    // 1,000 TIME_WAIT for 1,000 connections against 1,500 for 3,000: more in total, fewer per connection.
    const small = makeResult((r) => (r.summary.timeWait.peak = 1000));
    const big = makeResult((r) => {
      r.summary.connections.attempted = 3000;
      r.summary.timeWait.peak = 1500;
    });
    assert.deepEqual(rankRule('summary.timeWait.peak', [small, big]), { better: 'lower', perThousand: 'connections' });
    assert.deepEqual(rankRuns('summary.timeWait.peak', [small, big], [1000, 1500]), ['worst', 'best']);
    // Same work: raw values. A failure count never scales: the run that failed more is worse.
    assert.deepEqual(rankRuns('summary.timeWait.peak', [small, small], [1000, 1500]), ['best', 'worst']);
    assert.deepEqual(rankRule('summary.connections.failed', [small, big]), { better: 'lower', perThousand: null });
    // HTTP: the unit is requests.
    assert.equal(rankRule('summary.timeWait.peak', [closeRun(), keepAliveRun()])!.perThousand, 'requests');
    // Nothing marked when all agree, or for fewer than two values.
    assert.deepEqual(rankRuns('summary.connections.failed', [small, big], [5, 5]), [null, null]);
    assert.deepEqual(rankRuns('summary.connections.failed', [small, big], [5, null]), [null, null]);
  });

  it('HTTP matrix keep-alive vs connection-close: the keep-alive run is never "worst" (HTML table)', () => {
    const table = comparisonTable([closeRun(), keepAliveRun()]);
    const keepAlive = table.rows[1]!;
    const worst = keepAlive.cells.flatMap((c, i) => (c.rank === 'worst' ? [table.headers[i + 1]] : []));
    assert.deepEqual(worst, []);
    const best = keepAlive.cells.flatMap((c, i) => (c.rank === 'best' ? [table.headers[i + 1]] : []));
    assert.deepEqual(best, ['TIME_WAIT peak (side)', 'requests/s', 'requests per connection', 'request p99 (ms)']);
    // conn/s is shown but not ranked.
    const connCol = table.headers.indexOf('conn/s') - 1;
    assert.deepEqual(table.rows.map((r) => r.cells[connCol]!.rank), [null, null]);
  });

  it('HTTP matrix keep-alive vs connection-close: the keep-alive run is never "worst" (terminal table)', () => {
    const text = renderTerminalComparison([closeRun(), keepAliveRun()]);
    const lines = text.split('\n');
    const keepAlive = lines.find((l) => l.startsWith('keep-alive'))!;
    const close = lines.find((l) => l.startsWith('connection-close'))!;
    assert.doesNotMatch(keepAlive, /▼/);
    assert.match(keepAlive, /6,000 ▲/);
    assert.match(close, /2,000 ▼/);
    assert.match(lines[0]!, /req\/s/);
    assert.match(text, /HTTP runs are ranked on requests, not conn\/s/);
  });

  it('HTTP compare gate: keep-alive as the current side is not a regression', () => {
    const pairing = {
      pairs: [{ name: 'http-matrix', baseline: { file: 'a.json', result: closeRun() }, current: { file: 'b.json', result: keepAliveRun() } }],
      missing: [],
      added: [],
    };
    const report = compareResults('a', 'b', pairing, { tolerancePct: 10, latencyFloorMs: 0.1, metrics: [] });
    const s = report.scenarios[0]!;
    assert.equal(s.regressions, 0, JSON.stringify(s.metrics.filter((m) => m.status === 'regression')));
    assert.equal(s.metrics.some((m) => m.metric === 'summary.connections.ratePerSec'), false);
    const tw = s.metrics.find((m) => m.metric === 'summary.timeWait.peak')!;
    assert.equal(tw.perThousand, 'requests');
    assert.equal(tw.status, 'improvement');
  });
});

describe('runs of a repeat set are told apart', () => {
  it('each row of the terminal table and the HTML table names its run: "· run 2/3"', () => {
    const runs = [1, 2, 3].map((index) => Object.assign(makeResult(), { repeat: { index, count: 3, set: 's' } }) as RunResult);
    const text = renderTerminalComparison(runs);
    for (const i of [1, 2, 3]) assert.match(text, new RegExp(`^hand-made · run ${i}/3 `, 'm'));
    assert.deepEqual(comparisonTable(runs).rows.map((r) => r.run), ['hand-made · run 1/3', 'hand-made · run 2/3', 'hand-made · run 3/3']);
    // A plain run keeps its plain name.
    assert.doesNotMatch(renderTerminalComparison([makeResult(), makeResult()]), /· run/);
  });
});
