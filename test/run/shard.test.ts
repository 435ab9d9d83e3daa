// Splitting one scenario between N copies: shares add up to the whole, port slices are
// disjoint and cover the range, and the shard comes from a flag or a CI/Kubernetes index.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyShard, parseShard, portSlice, share, shardFrom, ShardError } from '../../src/run/shard.js';
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
    assert.equal(s.concurrency, 22);
    assert.equal(s.environment.sysctls['net.ipv4.ip_local_port_range'], '42178 51588');
    assert.deepEqual(info.whole, { connections: 1001, requests: null, rate: 300, portRange: '32768 60999' });
    assert.equal(scenario.connections, 1001, 'the original scenario is left alone');
  });

  it('the shard comes from --shard, TWSTORM_SHARD, or JOB_COMPLETION_INDEX + TWSTORM_SHARDS', () => {
    assert.deepEqual(shardFrom('2/4', {}), { index: 1, count: 4 });
    assert.deepEqual(shardFrom(undefined, { TWSTORM_SHARD: '4/4' }), { index: 3, count: 4 });
    assert.deepEqual(shardFrom(undefined, { JOB_COMPLETION_INDEX: '0', TWSTORM_SHARDS: '4' }), { index: 0, count: 4 });
    assert.equal(shardFrom(undefined, {}), null);
    assert.throws(() => shardFrom(undefined, { JOB_COMPLETION_INDEX: '2' }), /TWSTORM_SHARDS is not a shard count/);
    assert.throws(() => parseShard('0/4', '--shard'), ShardError);
    assert.throws(() => parseShard('5/4', '--shard'), /expected "i\/N" with 1 ≤ i ≤ N/);
  });
});
