// Shards: N copies of one scenario (N processes, pods or CI jobs) that together do the work
// of one run and can be merged back exactly (`twstorm merge`). Each takes its share of the
// connection count, the request count, the rate and the concurrency, and its own slice of the
// ephemeral port range — copies behind one NAT or on one host must not compete for the same
// source ports, or the storm they make is not the one the scenario describes.
import type { Scenario } from '../scenario/index.js';
import type { ShardInfo } from '../result/provenance.js';

export class ShardError extends Error {}

/** The Linux default (net.ipv4.ip_local_port_range in a fresh namespace). */
const DEFAULT_PORT_RANGE = '32768 60999';

/**
 * Which shard this process is: `--shard i/N` (1-based, as a CI matrix counts), else the
 * environment — TWSTORM_SHARD="i/N", or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
 * (0-based) with TWSTORM_SHARDS=N. Null when none is given.
 */
export function shardFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { index: number; count: number } | null {
  if (flag !== undefined) return parseShard(flag, '--shard');
  if (env['TWSTORM_SHARD']) return parseShard(env['TWSTORM_SHARD'], 'TWSTORM_SHARD');
  const k8s = env['JOB_COMPLETION_INDEX'];
  if (k8s !== undefined && k8s !== '') {
    const count = Number(env['TWSTORM_SHARDS']);
    if (!Number.isInteger(count) || count < 1) {
      throw new ShardError(`JOB_COMPLETION_INDEX=${k8s} is set but TWSTORM_SHARDS is not a shard count (got ${JSON.stringify(env['TWSTORM_SHARDS'] ?? '')}): set TWSTORM_SHARDS to the Job's completions`);
    }
    return parseShard(`${Number(k8s) + 1}/${count}`, 'JOB_COMPLETION_INDEX');
  }
  return null;
}

export function parseShard(text: string, source: string): { index: number; count: number } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) {
    throw new ShardError(`${source}: expected "i/N" with 1 ≤ i ≤ N (shard i of N), got ${JSON.stringify(text)}`);
  }
  return { index: i - 1, count: n };
}

/** Share `index` (0-based) of `total` split N ways: the first total % N shares get one more. */
export function share(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/** Slice `index` of N of a "low high" port range: contiguous, disjoint, covering the range. */
export function portSlice(range: string, index: number, count: number, what: string): [number, number] {
  const m = /^\s*(\d+)[\s-]+(\d+)\s*$/.exec(range);
  if (!m) throw new ShardError(`${what}: cannot split ${JSON.stringify(range)} between shards (expected "low high")`);
  const low = Number(m[1]);
  const size = Number(m[2]) - low + 1;
  if (size < count * 2) throw new ShardError(`${what}: ${size} ports cannot be split between ${count} shards (at least 2 each)`);
  const start = low + Math.floor((size * index) / count);
  const end = low + Math.floor((size * (index + 1)) / count) - 1;
  return [start, end];
}

/** The scenario this shard runs, and the facts a merge needs to check the shares add up. */
export function applyShard(scenario: Scenario, shard: { index: number; count: number }): { scenario: Scenario; info: ShardInfo } {
  const { index, count } = shard;
  const portRange = String(scenario.environment.sysctls['net.ipv4.ip_local_port_range'] ?? DEFAULT_PORT_RANGE);
  const info: ShardInfo = {
    index,
    count,
    whole: { connections: scenario.connections, requests: scenario.protocol === 'http' ? scenario.http.requests : null, rate: scenario.rate, portRange },
  };
  if (count === 1) return { scenario, info };
  const connections = share(scenario.connections, index, count);
  const requests = share(scenario.http.requests, index, count);
  if (connections < 1 || (scenario.protocol === 'http' && requests < 1)) {
    throw new ShardError(`--shard ${index + 1}/${count}: ${scenario.protocol === 'http' ? `${scenario.http.requests} requests` : `${scenario.connections} connections`} cannot be split ${count} ways (each shard needs at least one)`);
  }
  const [low, high] = portSlice(portRange, index, count, 'environment.sysctls.net.ipv4.ip_local_port_range');
  const localPorts = scenario.client.localPorts === null ? null : portSlice(scenario.client.localPorts, index, count, 'client.localPorts').join('-');
  const split: Scenario = {
    ...scenario,
    connections,
    rate: scenario.rate === null ? null : scenario.rate / count,
    concurrency: Math.max(1, Math.ceil(scenario.concurrency / count)),
    maxInFlight: Math.max(1, Math.ceil(scenario.maxInFlight / count)),
    http: { ...scenario.http, requests },
    client: { ...scenario.client, localPorts },
    environment: { ...scenario.environment, sysctls: { ...scenario.environment.sysctls, 'net.ipv4.ip_local_port_range': `${low} ${high}` } },
  };
  return { scenario: split, info };
}
