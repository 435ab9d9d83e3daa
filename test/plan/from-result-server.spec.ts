// plan --from a run whose server closes first: the server holds one TIME_WAIT per client
// 4-tuple in play (a client port that comes back reopens its TIME_WAIT), and the table's
// prediction says the same number as the plan printed above it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../../src/result/model.js';
import { planFromResult } from '../../src/plan/index.js';
import { makeResult } from '../report/make-result.js';
import { parseScenario } from '../../src/scenario/index.js';

describe('plan --from a server-closes-first run', () => {
  it('the predicted server TIME_WAIT is capped by the 4-tuples in play (half the range), as the plan is', () => {
    // A helper's run: 2,400 connections at 400/s through 1,000 client ports left 499 TIME_WAIT
    // on the server: the client's ports are free at close, so connect() keeps to one parity, half
    // the range. The table used to predict 2,400 while the plan above it said 1,000.
    const run = makeResult((x) => {
      x.scenario = parseScenario({ name: 'scf', connections: 2400, rate: 400, close: { first: 'server' } }, 'scf.yaml') as RunResult['scenario'];
      x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40999';
      x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '0';
    });
    const cmp = planFromResult(run);
    assert.equal(cmp.plan.timeWait.side, 'server');
    // connect()'s start moves on 1–8 ports at random: 2,400 connections visit ~498 of the 500.
    assert.equal(cmp.plan.timeWait.steadyState, 500);
    assert.equal(cmp.rows.find((r) => r.label === 'TIME_WAIT peak (server)')!.predicted, 498);
  });

  it('bind(addr, 0) lands on a random port each time: the server holds the 4-tuples it landed on', () => {
    // A helper's runs (bind-before-connect, close.first server, 1,100 connections to 2 server
    // ports through 500 ports): 444 server TIME_WAIT, and 245 with client.reuseAddr (bind() tries
    // the lower half first). The table predicted 500 for both.
    const run = (reuseAddr: boolean) =>
      planFromResult(makeResult((x) => {
        x.scenario = parseScenario(
          { name: 'bbc', connections: 1100, concurrency: 16, close: { first: 'server' }, server: { ports: 2 }, client: { bind: true, reuseAddr } },
          'bbc.yaml',
        ) as RunResult['scenario'];
        x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
        x.summary.connections.ratePerSec = 1700;
      })).rows.find((r) => r.label === 'TIME_WAIT peak (server)')!.predicted;
    assert.deepEqual([run(false), run(true)], [445, 247]);
  });

  it('a run shorter than a lap of the walks leaves one TIME_WAIT per connection; a longer one, the ports it visited', () => {
    // Measured (server-closes-first, default range): 5,000 / 20,000 connections left 4,585 /
    // 11,248 server TIME_WAIT; the table predicted 5,000 / 14,116 (one per connection up to half the range).
    const run = (connections: number) =>
      planFromResult(makeResult((x) => {
        x.scenario = parseScenario({ name: 'scf', connections, close: { first: 'server' } }, 'scf.yaml') as RunResult['scenario'];
        x.environment.sysctls['net.ipv4.ip_local_port_range'] = '32768 60999';
        x.summary.connections.ratePerSec = 7000;
      })).rows.find((r) => r.label === 'TIME_WAIT peak (server)')!.predicted;
    assert.deepEqual([run(2000), run(5000), run(20_000)], [2000, 4659, 11273]);
  });
});
