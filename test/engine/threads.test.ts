// Several engine threads: the merged result is the exact sum of what each thread recorded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns } from '../helpers/netns.js';
import { FORCE_NO_NAMESPACE_ENV } from '../helpers/harness-protocol.js';
import type { EngineThreadSummary } from '../../src/engine/client-engine.js';

describe('engine threads', () => {
  it('a run that fails before its load leaves no thread behind for the next run in the same process', async () => {
    // The kernel refuses a tcp_rmem minimum below a page (EINVAL) after the run has started its
    // engine threads ahead of the load; the loader leaves that floor to the kernel (page sizes
    // differ), where tcp_syn_retries=200 and tcp_tw_reuse=7, used here before, are now refused
    // with the file's problems. The harness
    // is warm: the next run is made by the same process in a new namespace, and a thread left
    // from the first would connect from the old one (refused).
    const before = await runInNetns('client-closes-first', ['connections=200', 'tail=0s']);
    await assert.rejects(
      runInNetns('client-closes-first', ['connections=200', 'environment.sysctls.net.ipv4.tcp_rmem="1 87380 6291456"', 'tail=0s']),
      /cannot set sysctl net\.ipv4\.tcp_rmem=.*the kernel rejected the value "1 87380 6291456"/,
    );
    const out = await runInNetns('client-closes-first', ['connections=200', 'tail=0s']);
    assert.equal(out.result.summary.connections.completed, 200);
    assert.deepEqual(out.ss, { client: 200, server: 0 });
    assert.equal(out.harnessPid, before.harnessPid, 'all three runs in one warm harness');
  });

  it('a harness that cannot make a namespace: runInNetns falls back to a process per run', async () => {
    const env = { ...process.env, [FORCE_NO_NAMESPACE_ENV]: 'forced by the test' };
    const runs = [await runInNetns('client-closes-first', ['connections=200', 'tail=0s'], 60_000, env)];
    runs.push(await runInNetns('client-closes-first', ['connections=200', 'tail=0s'], 60_000, env));
    for (const out of runs) {
      assert.equal(out.result.summary.connections.completed, 200);
      assert.deepEqual(out.ss, { client: 200, server: 0 }, 'each in a namespace of its own');
    }
    assert.notEqual(runs[0]!.harnessPid, runs[1]!.harnessPid, 'a process per run');
  });

  it('three threads share the load; counts and histogram totals merge exactly', async () => {
    const out = await runInNetns('client-closes-first', ['connections=3000', 'threads=3', 'concurrency=30', 'tail=200ms', 'census=200ms']);
    const { summary, environment, series } = out.result;
    assert.equal(environment.engine, 'native');
    assert.equal(environment.threads, 3);
    const perThread = (summary.driver as unknown as { threads: EngineThreadSummary[] }).threads;
    assert.equal(perThread.length, 3);
    for (const t of perThread) assert.ok(t.attempted > 0, `thread ${t.thread} made nothing`);
    const sum = (k: keyof EngineThreadSummary): number => perThread.reduce((a, t) => a + t[k], 0);
    assert.equal(sum('attempted'), summary.connections.attempted);
    assert.equal(sum('established'), summary.connections.established);
    assert.equal(sum('completed'), summary.connections.completed);
    assert.equal(summary.connections.attempted, 3000);
    assert.equal(summary.latencyMs.connect.count, 3000);
    assert.equal(summary.latencyMs.total.count, 3000);
    assert.equal(summary.latencyMs.close.count, 3000);
    const column = (name: string): number => (series.driver.columns[name] ?? []).reduce((a, b) => a + b, 0);
    assert.equal(column('attempted'), 3000);
    assert.equal(column('established'), 3000);
    // One shared port table: every port counted once whichever thread used it.
    assert.equal(summary.ports.distinct, 3000);
    assert.deepEqual(out.ss, { client: 3000, server: 0 });
    assert.equal(summary.kernel['TcpActiveOpens'], 3000);
  });
});

describe('engine threads follow a ramp', () => {
  it('an open-loop ramp (stages) over two threads: starts per second rise with the target', async () => {
    // 20 → 400/s over 4 s with a 500-port range and no reuse: the per-second starts follow the
    // ramp's integral whatever the ports do (a failed connect is still an attempt).
    const out = await runInNetns('ramp-to-exhaustion', ['connections=1100', 'duration=5s', 'threads=2', 'stages=[{duration: 4s, target: 400}]', 'sample=1s', 'census=1s', 'tail=100ms']);
    const { summary, series, environment } = out.result;
    assert.equal(environment.threads, 2);
    const attempted = series.driver.columns['attempted'] ?? [];
    // The rate climbs 95/s every second. Buckets are on the run's clock (the load starts a
    // little into the first one), and an open loop catches up after a stall on a busy machine,
    // so only the shape is asserted: whole buckets inside the ramp rise, by about 2 × 95 over
    // two seconds (a constant rate, or one that ignored the stages, would not). The ramp starts
    // with the load, in the first bucket with a start: on a loaded machine the server and the
    // observers took seconds to come up and left the first buckets empty.
    const s = Math.max(0, attempted.findIndex((n) => n > 0));
    assert.ok(attempted[s + 2]! > attempted[s + 1]! && attempted[s + 3]! > attempted[s + 2]!, `starts per second rise: ${attempted.join(', ')}`);
    const rise = attempted[s + 3]! - attempted[s + 1]!;
    assert.ok(rise >= 95 && rise <= 380, `seconds 1 → 3: +${rise} starts, expected about +190 (${attempted.join(', ')})`);
    assert.equal(summary.connections.attempted, attempted.reduce((a, b) => a + b, 0));
  });
});
