// Splitting one scenario between N copies: shares add up to the whole, port slices are
// disjoint and cover the range, and the shard comes from a flag or a CI/Kubernetes index.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyShard, parseShard, portSlice, shardFrom, ShardError } from '../../src/run/shard.js';
import { share } from '../../src/util/shares.js';
import { parseScenario } from '../../src/scenario/index.js';

const scenario = parseScenario({ name: 's', connections: 1001, rate: 300, concurrency: 64, environment: { sysctls: { 'net.ipv4.ip_local_port_range': '32768 60999' } } }, 's.yaml');

describe('shards', () => {
  it('shares of a count add up to it, differing by at most one', () => {
    for (const [total, n] of [[1001, 3], [5, 5], [7, 2], [100000, 7]] as const) {
      const parts = Array.from({ length: n }, (_, i) => share(total, i, n));
      assert.equal(parts.reduce((a, b) => a + b, 0), total);
      assert.ok(Math.max(...parts) - Math.min(...parts) <= 1);
    }
  });

  it('port slices are contiguous, disjoint and cover the range', () => {
    const slices = Array.from({ length: 3 }, (_, i) => portSlice('32768 60999', i, 3, 'range'));
    assert.equal(slices[0]![0], 32768);
    assert.equal(slices[2]![1], 60999);
    for (let i = 1; i < 3; i += 1) assert.equal(slices[i]![0], slices[i - 1]![1] + 1);
    assert.throws(() => portSlice('40000 40002', 0, 2, 'range'), /3 ports cannot be split between 2 shards/);
  });

  it('applyShard splits count, rate, concurrency and ports, and records the whole', () => {
    const { scenario: s, info } = applyShard(scenario, { index: 1, count: 3 });
    assert.equal(s.connections, 334);
    assert.equal(s.rate, 100);
    // In flight, as counts are: shares that add up to the whole (an audit: 16 ran as 3 × 6 = 18).
    assert.equal(s.concurrency, 21);
    assert.deepEqual([0, 1, 2].map((index) => applyShard(scenario, { index, count: 3 }).scenario.concurrency), [22, 21, 21]);
    const sixteen = parseScenario({ name: 's', connections: 900, concurrency: 16 }, 's.yaml');
    assert.equal([0, 1, 2].reduce((sum, index) => sum + applyShard(sixteen, { index, count: 3 }).scenario.concurrency, 0), 16);
    assert.equal(s.environment.sysctls['net.ipv4.ip_local_port_range'], '42178 51588');
    assert.deepEqual(info.whole, { connections: 1001, requests: null, rate: 300, portRange: '32768 60999', concurrency: 64, maxInFlight: 10000, stages: [], httpConnections: null, resume: null, localPorts: null });
    assert.equal(scenario.connections, 1001, 'the original scenario is left alone');
  });

  it('fewer in flight than shards: each keeps one, and the notice says together they keep more', () => {
    const two = parseScenario({ name: 's', connections: 90, concurrency: 2, stages: [{ duration: '1s', target: 9 }, { duration: '1s', target: 0 }] }, 's.yaml');
    const shards = [0, 1, 2].map((index) => applyShard(two, { index, count: 3 }));
    assert.deepEqual(shards.map((x) => x.scenario.concurrency), [1, 1, 1]);
    // A ramp's stage to 0 stays 0; 9 splits 3 + 3 + 3.
    assert.deepEqual(shards.map((x) => x.scenario.stages.map((st) => st.target)), [[3, 0], [3, 0], [3, 0]]);
    assert.equal(shards[0]!.notice, '--shard 1/3: concurrency 2 is less than the 3 shards: each keeps at least 1 in flight, so together they keep 3; use fewer shards for the load the scenario describes');
    assert.equal(applyShard(two, { index: 0, count: 2 }).notice, null);
    // An undici pool is concurrency when http.connections leaves it unset, in an open loop too.
    const http = parseScenario({ name: 's', protocol: 'http', rate: 100, concurrency: 2, http: { requests: 90 } }, 's.yaml');
    assert.match(applyShard(http, { index: 0, count: 3 }).notice ?? '', /^--shard 1\/3: concurrency 2 is less than the 3 shards/);
    // An open loop's maxInFlight is a cap: "may hold".
    const capped = parseScenario({ name: 's', connections: 90, rate: 100, maxInFlight: 2 }, 's.yaml');
    assert.equal(applyShard(capped, { index: 0, count: 3 }).notice, '--shard 1/3: maxInFlight 2 is less than the 3 shards: each may hold up to 1 in flight, so together they may hold 3; use fewer shards for the cap the scenario describes');
  });

  it('under host isolation the slice goes on each socket (IP_LOCAL_PORT_RANGE), as no sysctl is written', () => {
    const host = { isolation: 'host' as const, hostPortRange: '32768\t60999', perSocket: { ok: true as const } };
    const { scenario: s, notice, info } = applyShard(scenario, { index: 1, count: 3 }, host);
    assert.equal(s.client.portRange, '42178-51588');
    assert.equal(info.whole.clientPortRange, null, 'the whole had no per-socket range');
    assert.equal(s.environment.sysctls['net.ipv4.ip_local_port_range'], '42178 51588');
    assert.equal(notice, null);
    // In a namespace of its own the sysctl slice is in force: no per-socket range (it would
    // change the kernel's port scan, which is part of what a run measures).
    assert.equal(applyShard(scenario, { index: 1, count: 3 }, { isolation: 'netns' }).scenario.client.portRange, null);
    // A scenario with its own per-socket range: that is what the shards split, the sysctl stays whole.
    const own = parseScenario({ name: 's', connections: 100, client: { portRange: '40000-40999' } }, 's.yaml');
    const split = applyShard(own, { index: 0, count: 2 }, { isolation: 'netns' }).scenario;
    assert.equal(split.client.portRange, '40000-40499');
    assert.equal(applyShard(own, { index: 0, count: 2 }, { isolation: 'netns' }).info.whole.clientPortRange, '40000-40999');
    assert.equal(split.environment.sysctls['net.ipv4.ip_local_port_range'], undefined);
    // Explicit local ports are split as they are; no range is added.
    const bound = parseScenario({ name: 's', connections: 100, client: { bind: true, localPorts: '20000-20999' } }, 's.yaml');
    assert.equal(applyShard(bound, { index: 1, count: 2 }, host).scenario.client.portRange, null);
  });

  it('under host isolation, where the slice cannot be set or would be ignored, one line says so', () => {
    const lacking = applyShard(scenario, { index: 0, count: 2 }, { isolation: 'host', hostPortRange: '32768 60999', perSocket: { ok: false, reason: 'this kernel (Linux 6.1.0) has no IP_LOCAL_PORT_RANGE (setsockopt: ENOPROTOOPT); it came in Linux 6.3' } });
    assert.equal(lacking.scenario.client.portRange, null);
    assert.equal(
      lacking.notice,
      "--shard 1/2: this shard's port slice 32768-46883 is not applied: under isolation host it goes on each socket with IP_LOCAL_PORT_RANGE, and this kernel (Linux 6.1.0) has no IP_LOCAL_PORT_RANGE (setsockopt: ENOPROTOOPT); it came in Linux 6.3; copies on this host share its port range (run them with --isolation netns to give each its own)",
    );
    const http = parseScenario({ name: 's', protocol: 'http', environment: { isolation: 'host' } }, 's.yaml');
    assert.match(applyShard(http, { index: 0, count: 2 }).notice ?? '', /undici's sockets are connected by Node, which cannot set it/);
    assert.throws(
      () => applyShard(scenario, { index: 0, count: 3 }, { isolation: 'host', hostPortRange: '40000 50000', perSocket: { ok: true } }),
      (err: unknown) => err instanceof ShardError && /lies outside this host's net\.ipv4\.ip_local_port_range \(40000 50000\).*set environment\.sysctls\.net\.ipv4\.ip_local_port_range to "40000 50000"/.test(err.message),
    );
  });

  it("a fault's first N is split as the connections are: each namespace counts its own", () => {
    // lost-final-ack: 400 connections, the first 200 final ACKs dropped. Unsplit, each shard's
    // nft counter dropped its own first 200: 400 in all (an audit).
    const lossy = parseScenario({ name: 'f', connections: 401, faults: [{ packets: 'final-ack', direction: 'to-server', count: 201 }, { packets: 'fin', percent: 10 }] }, 'f.yaml');
    const shares = [0, 1].map((i) => applyShard(lossy, { index: i, count: 2 }).scenario.faults);
    assert.deepEqual(shares.map((f) => f[0]!.count), [101, 100]);
    assert.deepEqual(shares.map((f) => f[1]!.count), [null, null], 'every segment stays every segment');
    assert.equal(lossy.faults[0]!.count, 201, 'the original scenario is left alone');
    const one = parseScenario({ name: 'f', connections: 100, faults: [{ packets: 'syn', count: 2 }] }, 'f.yaml');
    assert.throws(() => applyShard(one, { index: 0, count: 3 }), (e: unknown) => e instanceof ShardError && /faults\[0\]\.count 2 cannot be split 3 ways/.test(e.message));
  });

  it('capacity sysctls are not split, and the notice says each shard holds the whole limit', () => {
    const capped = parseScenario({ name: 'tw', connections: 1000, environment: { sysctls: { 'net.ipv4.tcp_max_tw_buckets': 200 } } }, 'tw.yaml');
    const { scenario: s, notice } = applyShard(capped, { index: 0, count: 2 }, { isolation: 'netns' });
    assert.equal(String(s.environment.sysctls['net.ipv4.tcp_max_tw_buckets']), '200');
    assert.match(notice ?? '', /^--shard 1\/2: net\.ipv4\.tcp_max_tw_buckets=200 is a limit of each shard's own namespace .* not split: the 2 shards together may hold 2 times it/);
    assert.equal(applyShard(scenario, { index: 0, count: 2 }, { isolation: 'netns' }).notice, null, 'no limit set, nothing to say');
    // With a port-slice notice too: one line each.
    const both = applyShard(capped, { index: 0, count: 2 }, { isolation: 'host', hostPortRange: '32768 60999', perSocket: { ok: false, reason: 'no IP_LOCAL_PORT_RANGE' } });
    assert.equal(both.notice?.split('\n').length, 2);
  });

  it('a routed lab is not split: each shard would build a lab of its own; more load is more hosts', () => {
    const lab = parseScenario({ name: 'lab', environment: { isolation: 'netns', topology: 'routed', clients: 2 } }, 'lab.yaml');
    assert.throws(
      () => applyShard(lab, { index: 1, count: 2 }),
      (e: Error) => e instanceof ShardError && e.message === "--shard 2/2: a routed lab is one run's own network and is not split into shards; add client hosts instead (environment.clients, up to 64)",
    );
    assert.equal(applyShard(lab, { index: 0, count: 1 }).scenario, lab, '1/1 is the whole run');
  });

  it('the shard comes from --shard, TWSTORM_SHARD, or JOB_COMPLETION_INDEX + TWSTORM_SHARDS', () => {
    assert.deepEqual(shardFrom('2/4', {}), { index: 1, count: 4 });
    assert.deepEqual(shardFrom(undefined, { TWSTORM_SHARD: '4/4' }), { index: 3, count: 4 });
    assert.deepEqual(shardFrom(undefined, { JOB_COMPLETION_INDEX: '0', TWSTORM_SHARDS: '4' }), { index: 0, count: 4 });
    assert.equal(shardFrom(undefined, {}), null);
    assert.throws(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: '2' }), /TWSTORM_SHARDS is not a shard count/);
    // Kubernetes counts from 0: an index of 3 in a 3-completion Job is said in those terms.
    assert.throws(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: '3', TWSTORM_SHARDS: '3' }), /JOB_COMPLETION_INDEX="3" with TWSTORM_SHARDS=3: the index counts from 0, so it must be 0 to 2; set TWSTORM_SHARDS to the Job's completions$/);
    assert.throws(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: 'x', TWSTORM_SHARDS: '3' }), /the index counts from 0, so it must be 0 to 2/);
    assert.deepEqual(shardFrom(undefined, { JOB_COMPLETION_INDEX: '2', TWSTORM_SHARDS: '3' }), { index: 2, count: 3 });
    assert.throws(() => parseShard('0/4', '--shard'), ShardError);
    assert.throws(() => parseShard('5/4', '--shard'), /expected "i\/N" with 1 ≤ i ≤ N/);
  });
});
