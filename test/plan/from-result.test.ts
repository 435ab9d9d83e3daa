// The model held against real runs in fresh namespaces: an open loop at 500/s with the 500-port
// range, so the ports run out after 1 s and TIME_WAIT peaks at 500; and named ports to two
// destinations, whose TIME_WAIT is one per 4-tuple: every port to each destination.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNetns } from '../helpers/netns.js';
import { planFromResult } from '../../src/plan/index.js';

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));

describe('plan: predicted vs measured on a real run', () => {
  it('port-exhaustion at 500/s: exhaustion time within 5 % (late: 15 %) and TIME_WAIT peak within 5 %', async () => {
    const { result } = await runInNetns('port-exhaustion', ['rate=500', 'connections=900', 'tail=200ms']);
    assert.equal(result.summary.connections.established, 500, 'the scenario must run into exhaustion');
    const cmp = planFromResult(result);
    assert.equal(cmp.applicable, true);
    assert.equal(cmp.inputs.rate, 500);
    assert.equal(cmp.plan.usablePorts, 500);
    const [exhaustion, tw] = cmp.rows;
    assert.equal(exhaustion!.predicted, 1000);
    // The open loop's 501st connect is due at 1,000 ms; exhaustedAtMs is when it actually ran.
    // A busy machine starts it late (seen: +5.8 % at load average 19), never early: early would
    // mean fewer ports than the model counts, so that side keeps the 5 %.
    assert.ok(exhaustion!.measured !== null && exhaustion!.errorPct! >= -5 && exhaustion!.errorPct! <= 15, JSON.stringify(exhaustion));
    assert.equal(tw!.predicted, 500);
    assert.ok(Math.abs(tw!.errorPct!) <= 5, JSON.stringify(tw));

    // The same through the CLI.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-plan-'));
    try {
      const file = path.join(dir, 'r.json');
      await writeFile(file, JSON.stringify(result));
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [BIN, 'plan', '--from', file], (err, out) => (err ? reject(err) : resolve(out))),
      );
      assert.match(stdout, /time to exhaustion \(from load start\)\s+1,000 ms/);
      assert.match(stdout, /TIME_WAIT peak \(client\)\s+500 sockets\s+500 sockets\s+0\.0%/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('named ports with SO_REUSEADDR to 2 destinations: TIME_WAIT peak is one per 4-tuple, every port to each destination', async () => {
    // The client takes every combination, port fastest (driver/endpoints.ts): 100 ports × 2
    // destinations are 200 4-tuples, each TIME_WAIT taken over when its 4-tuple comes round
    // (tcp_twsk_unique). Round-robin of both (i mod 100, i mod 2) sent each port to one
    // destination only: 100 TIME_WAIT.
    const { result } = await runInNetns('client-closes-first', [
      'rate=200',
      'connections=400',
      'server.ports=2',
      'client.bind=true',
      'client.localPorts="45000-45099"',
      'client.reuseAddr=true',
      'tail=200ms',
    ]);
    // 400 connections: each 4-tuple comes round once more after 1 s, and is taken over, not
    // held (the exact count is left to a quiet machine: an open loop running late could find a
    // 4-tuple still open).
    assert.ok((result.summary.kernel['TcpExtTWRecycled'] ?? 0) > 0, JSON.stringify(result.summary.kernel));
    assert.equal(result.summary.ports.distinct, 100);
    const cmp = planFromResult(result);
    assert.deepEqual(cmp.plan.namedCycle, { pairs: 100, fourTuples: 200 });
    const tw = cmp.rows.find((r) => r.label === 'TIME_WAIT peak (client)')!;
    assert.equal(tw.predicted, 200);
    assert.equal(tw.measured, 200, JSON.stringify(tw));
  });
});
