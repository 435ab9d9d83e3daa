// Shards under --isolation host (no namespace of their own, so no sysctl is written): each
// shard keeps to its slice of the port range through IP_LOCAL_PORT_RANGE on every socket.
// Three shards as parallel processes against ONE server in a namespace this test made (it
// plays the shared host: 600 ports, tcp_tw_reuse=0) each run out after exactly their 200-port
// slice — they could not if they shared the range — use disjoint ports (ss), and their merge
// has the totals of one run of the whole.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import type { StoredResult } from '../../src/result/provenance.js';
import { runNodeInNetns } from '../helpers/netns.js';
import { twstorm as startCli } from '../helpers/cli.js';

const HELPER = fileURLToPath(new URL('./shard-host-ports-cases.js', import.meta.url));

interface Case {
  runs: Array<{ code: number | null; stdout: string; stderr: string }>;
  ports: number[];
}

// 900 connections at 3,000/s (an open loop: no back-off after EADDRNOTAVAIL) against 600
// ports: 600 made, 300 refused, whether one process makes them or three.
const SCENARIO = `name: shard-host-ports
protocol: tcp
connections: 900
rate: 3000
duration: 20s
close: { first: client, client: fin, server: fin, delay: 0ms }
tail: 500ms
environment:
  sysctls:
    net.ipv4.ip_local_port_range: "40000 40599"
`;

describe('shards under --isolation host keep to their port slices per socket (real runs)', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'twstorm-shard-host-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('3 shards against one server: disjoint slices, each exhausted at its own size, merged = whole', async () => {
    const file = path.join(tmp, 'shard-host-ports.yaml');
    await writeFile(file, SCENARIO);
    const [sharded, single] = await Promise.all([
      runNodeInNetns<Case>(HELPER, ['3', path.join(tmp, 'shards'), file], { timeoutMs: 90_000 }),
      runNodeInNetns<Case>(HELPER, ['1', path.join(tmp, 'whole'), file], { timeoutMs: 90_000 }),
    ]);
    for (const r of [...sharded.runs, ...single.runs]) assert.equal(r.code, 0, r.stderr);
    const parts = sharded.runs.map((r) => JSON.parse(r.stdout) as RunResult).sort((a, b) => a.summary.ports.range!.low - b.summary.ports.range!.low);
    const one = JSON.parse(single.runs[0]!.stdout) as RunResult;
    assert.equal(one.environment.isolation, 'host');
    // Each shard's slice went on its sockets, and the result says so.
    const slices = parts.map((p) => p.scenario.client.portRange);
    assert.deepEqual(slices, ['40000-40199', '40200-40399', '40400-40599']);
    assert.deepEqual(parts.map((p) => p.summary.ports.range), [
      { low: 40000, high: 40199, size: 200 },
      { low: 40200, high: 40399, size: 200 },
      { low: 40400, high: 40599, size: 200 },
    ]);
    // Where every client TIME_WAIT sits, first: a socket outside its shard's slice would explain
    // a count below better than the count does (seen once under CI load: 215 established in a
    // 200-port slice, with tcp_tw_reuse=0 and no bind).
    const inSlice = [[40000, 40199], [40200, 40399], [40400, 40599]].map(([low, high]) => sharded.ports.filter((p) => p >= low! && p <= high!).length);
    const where = `client TIME_WAIT ports per slice ${JSON.stringify(inSlice)}, ${sharded.ports.length} in all, ${new Set(sharded.ports).size} distinct`;
    // Each ran out at exactly its own 200 ports (sharing one range, one would have taken more).
    for (const p of parts) {
      const what = `shard ${p.scenario.client.portRange}: ${JSON.stringify({ connections: p.summary.connections, errors: p.summary.errors, stoppedBy: p.stoppedBy, ports: p.summary.ports, timeWait: p.summary.timeWait })}; ${where}`;
      assert.equal(p.summary.connections.attempted, 300, what);
      assert.equal(p.summary.connections.established, 200, what);
      assert.equal(p.summary.ports.distinct, 200, what);
      assert.equal(p.summary.errors['EADDRNOTAVAIL'], 100, what);
    }
    // The kernel's list: 600 TIME_WAIT sockets, 200 in each slice, every port once.
    assert.equal(sharded.ports.length, 600, `TIME_WAIT ports listed by ss; stderr: ${sharded.runs.map((r) => r.stderr.slice(-300)).join(' | ')}`);
    assert.equal(new Set(sharded.ports).size, 600);
    for (const [low, high] of [[40000, 40199], [40200, 40399], [40400, 40599]] as const) {
      assert.equal(sharded.ports.filter((p) => p >= low && p <= high).length, 200);
    }
    // The whole, in one process: no per-socket range, the same 600 ports.
    assert.equal(one.scenario.client.portRange, null);
    assert.equal(one.summary.connections.established, 600);
    assert.equal(single.ports.length, 600);
    // Merged, the shards have the whole's totals.
    const dir = path.join(tmp, 'shards');
    const files = (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => path.join(dir, n));
    assert.equal(files.length, 3);
    const out = path.join(tmp, 'merged.json');
    const merge = await startCli(['merge', ...files, '-o', out], { timeoutMs: 60_000 }).exit;
    assert.equal(merge.code, 0, merge.stderr);
    const merged = JSON.parse(await readFile(out, 'utf8')) as StoredResult;
    for (const pick of [
      (r: RunResult) => r.summary.connections.attempted,
      (r: RunResult) => r.summary.connections.established,
      (r: RunResult) => r.summary.connections.completed,
      (r: RunResult) => r.summary.ports.distinct,
      (r: RunResult) => r.summary.errors['EADDRNOTAVAIL'] ?? 0,
      (r: RunResult) => r.summary.bytes.sent,
      (r: RunResult) => r.summary.latencyMs.total.count,
    ]) {
      assert.equal(pick(merged), pick(one), pick.toString());
    }
    assert.equal(merged.scenario.client.portRange, null, 'the whole had no per-socket range: only its shards did');
    assert.deepEqual(merged.summary.ports.range, { low: 40000, high: 40599, size: 600 });
  });
});
