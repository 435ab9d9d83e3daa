// Shards: N copies of one scenario (N processes, pods or CI jobs) that together do the work
// of one run and can be merged back exactly (`twstorm merge`). Each takes its share of the
// connection count, the request count, the rate, the concurrency (shares that add up to the
// whole, as the counts' do) and each fault's "first N",
// and its own slice of the ephemeral port range — copies behind one NAT or on one host must not
// compete for the same source ports, or the storm they make is not the one the scenario
// describes. Capacity sysctls (tcp_max_tw_buckets…) are not split: each shard's namespace has
// the whole limit, which the shard's notice says.
// Where each shard keeps to its slice: in its own namespace the slice is that namespace's
// net.ipv4.ip_local_port_range. Under host isolation no sysctl is written (the host's range is
// not ours to change), so the slice goes on every client socket instead, with
// IP_LOCAL_PORT_RANGE (Linux 6.3+) — the kernel's own per-socket form of the same range.
import type { Scenario } from '../scenario/index.js';
import type { ShardInfo } from '../result/provenance.js';
import { honoured, KERNEL_DEFAULT_PORT_RANGE, parsePortRange } from '../scenario/port-range.js';
import { probeNamespace } from '../environment/namespace.js';
import { socketFeatures } from '../sockets/index.js';
import { engineAvailability } from '../engine/client-engine.js';
import { namespaceLimitsSet, readSysctlSync } from '../environment/sysctl.js';
import { share } from '../util/shares.js';

export class ShardError extends Error {}

export interface ShardOptions {
  /** Where the copy runs: `host` writes no sysctl, so its port slice is set per socket. */
  isolation?: 'netns' | 'host';
  /** The host's net.ipv4.ip_local_port_range (tests); read from /proc when absent. */
  hostPortRange?: string | null;
  /** Whether IP_LOCAL_PORT_RANGE can be set here, or why not (tests); probed when absent. */
  perSocket?: { ok: true } | { ok: false; reason: string };
}

/** The isolation a run of this scenario will get: `auto` is a namespace where one can be made. */
export function shardIsolation(wanted: Scenario['environment']['isolation']): 'netns' | 'host' {
  if (wanted !== 'auto') return wanted;
  return probeNamespace().ok ? 'netns' : 'host';
}

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
    // Kubernetes counts completions from 0: said in its own terms (an audit: index 3 of 3 was
    // refused as 'got "4/3"', a value nobody had written).
    const index = /^\d+$/.test(k8s.trim()) ? Number(k8s) : NaN;
    if (!(index < count)) {
      throw new ShardError(`JOB_COMPLETION_INDEX=${JSON.stringify(k8s)} with TWSTORM_SHARDS=${count}: the index counts from 0, so it must be 0 to ${count - 1}; set TWSTORM_SHARDS to the Job's completions`);
    }
    return { index, count };
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

/**
 * A number of connections (or requests) in flight split N ways: the shares add up to the whole,
 * as connections do, so the merge's concurrency is the load the shards made together (an audit:
 * 16 split as 3 × 6 kept 18 in flight). None is below 1 where the whole is above it: a shard with
 * nothing in flight would never finish its share (the shard's notice then says the sum is more).
 */
export function inFlightShare(total: number, index: number, count: number): number {
  return total > 0 ? Math.max(1, share(total, index, count)) : 0;
}

/** Slice `index` of N of a "low high" port range: contiguous, disjoint, covering the range. */
export function portSlice(range: string, index: number, count: number, what: string): [number, number] {
  const parsed = parsePortRange(range);
  if (!parsed) throw new ShardError(`${what}: cannot split ${JSON.stringify(range)} between shards: write it as "low high" (or "low-high")`);
  const { low, size } = parsed;
  if (size < count * 2) throw new ShardError(`${what}: ${size} ports cannot be split between ${count} shards (at least 2 each); use fewer shards or widen the range`);
  const start = low + Math.floor((size * index) / count);
  const end = low + Math.floor((size * (index + 1)) / count) - 1;
  return [start, end];
}

/**
 * The scenario this shard runs, the facts a merge needs to check the shares add up, and a
 * notice (a line each) when the shard cannot keep to its port slice here, or when the scenario
 * sets per-namespace limits that a split cannot share out.
 */
export function applyShard(
  scenario: Scenario,
  shard: { index: number; count: number },
  options: ShardOptions = {},
): { scenario: Scenario; info: ShardInfo; notice: string | null } {
  const { index, count } = shard;
  const portRange = String(scenario.environment.sysctls['net.ipv4.ip_local_port_range'] ?? KERNEL_DEFAULT_PORT_RANGE);
  const info: ShardInfo = {
    index,
    count,
    whole: {
      connections: scenario.connections,
      requests: scenario.protocol === 'http' ? scenario.http.requests : null,
      rate: scenario.rate,
      portRange,
      concurrency: scenario.concurrency,
      maxInFlight: scenario.maxInFlight,
      stages: scenario.stages,
      httpConnections: scenario.http.connections,
      resume: scenario.server.restart?.resume ?? null,
      localPorts: scenario.client.localPorts,
    },
  };
  if (count === 1) return { scenario, info, notice: null };
  // A routed lab is one run's own network (its router, its server host): shards would build one
  // lab each, with every client host's full range (an audit: the shards' slices were never cut
  // from environment.client.sysctls, and their merge lost the lab). More load is more hosts.
  if ((scenario.environment as { topology?: string }).topology === 'routed') {
    throw new ShardError(`--shard ${index + 1}/${count}: a routed lab is one run's own network and is not split into shards; add client hosts instead (environment.clients, up to 64)`);
  }
  const connections = share(scenario.connections, index, count);
  const requests = share(scenario.http.requests, index, count);
  const label = `--shard ${index + 1}/${count}`;
  if (connections < 1 || (scenario.protocol === 'http' && requests < 1)) {
    throw new ShardError(`${label}: ${scenario.protocol === 'http' ? `${scenario.http.requests} requests` : `${scenario.connections} connections`} cannot be split ${count} ways (each shard needs at least one); use fewer shards or raise the count`);
  }
  // A fault's "first N" holds per namespace (its nft counter, environment/faults.ts): each
  // shard's namespace would drop its own first N, N times the whole's (an audit: lost-final-ack
  // shards each dropped their "first 200"). Split as the connections are.
  const faults = scenario.faults.map((rule, i) => {
    if (rule.count === null) return rule;
    if (rule.count < count) throw new ShardError(`${label}: faults[${i}].count ${rule.count} cannot be split ${count} ways (each shard needs at least one); use fewer shards or raise the count`);
    return { ...rule, count: share(rule.count, index, count) };
  });
  // Capacity limits are each namespace's whole: halving them would be another storm, so they are
  // not split, and the shards together may hold N times what one run of the whole could.
  const limits = namespaceLimitsSet(scenario.environment.sysctls);
  const notices: string[] = [];
  if (limits.length > 0) {
    notices.push(
      `${label}: ${limits.join(', ')} ${limits.length > 1 ? 'are limits' : 'is a limit'} of each shard's own namespace (or machine) and ${limits.length > 1 ? 'are' : 'is'} not split: the ${count} shards together may hold ${count} times ${limits.length > 1 ? 'them' : 'it'}, so their merged TIME_WAIT and overflow figures are not those of one run of the whole`,
    );
  }
  // Fewer in flight than shards: each still keeps one, so together they keep more than the whole.
  // concurrency is the closed loop's count in flight, and an undici pool's size when
  // http.connections leaves it to concurrency (run/execute.ts); maxInFlight an open loop's cap.
  const pool = scenario.protocol === 'http' && scenario.http.client !== 'raw';
  const kept: Array<[string, number | null]> = [
    ['concurrency', scenario.rate === null || (pool && scenario.http.connections === null) ? scenario.concurrency : null],
    ['http.connections', pool ? scenario.http.connections : null],
    ...scenario.stages.map((stage, i): [string, number | null] => [`stages[${i}].target`, scenario.rate === null ? stage.target : null]),
  ];
  const short = kept.filter((x): x is [string, number] => x[1] !== null && x[1] > 0 && x[1] < count);
  if (short.length > 0) {
    notices.push(`${label}: ${short.map(([k, v]) => `${k} ${v}`).join(', ')} ${short.length > 1 ? 'are' : 'is'} less than the ${count} shards: each keeps at least 1 in flight, so together they keep ${count}; use fewer shards for the load the scenario describes`);
  }
  if (scenario.rate !== null && scenario.maxInFlight < count) {
    notices.push(`${label}: maxInFlight ${scenario.maxInFlight} is less than the ${count} shards: each may hold up to 1 in flight, so together they may hold ${count}; use fewer shards for the cap the scenario describes`);
  }
  const localPorts = scenario.client.localPorts === null ? null : portSlice(scenario.client.localPorts, index, count, 'client.localPorts').join('-');
  let sysctls = scenario.environment.sysctls;
  let perSocket = scenario.client.portRange;
  if (perSocket !== null) {
    // The scenario already draws from a per-socket range: the shards split that, in any
    // isolation, and the namespace's range stays whole around it (a sysctl slice could leave a
    // per-socket slice outside it, which the kernel would ignore).
    perSocket = portSlice(perSocket, index, count, 'client.portRange').join('-');
  } else {
    const [low, high] = portSlice(portRange, index, count, 'environment.sysctls.net.ipv4.ip_local_port_range');
    sysctls = { ...sysctls, 'net.ipv4.ip_local_port_range': `${low} ${high}` };
    if ((options.isolation ?? (scenario.environment.isolation === 'host' ? 'host' : 'netns')) === 'host') {
      // Explicit local ports (client.localPorts, split above) need no range.
      const placed = scenario.client.localPorts !== null ? false : perSocketSlice(scenario, { low, high }, label, portRange, options);
      if (typeof placed === 'string') notices.push(placed);
      else if (placed) perSocket = `${low}-${high}`;
    }
  }
  // A merge gives the whole back its own per-socket range (or none) instead of shard 1's slice.
  if (perSocket !== null) info.whole.clientPortRange = scenario.client.portRange;
  const split: Scenario = {
    ...scenario,
    connections,
    rate: scenario.rate === null ? null : scenario.rate / count,
    concurrency: inFlightShare(scenario.concurrency, index, count),
    maxInFlight: inFlightShare(scenario.maxInFlight, index, count),
    // A ramp's targets are the whole load's, as `rate` and `concurrency` are: each shard climbs
    // to its share (a closed loop's target stays a whole number in flight, as concurrency does).
    stages: scenario.stages.map((stage) => ({
      duration: stage.duration,
      target: scenario.rate === null ? inFlightShare(stage.target, index, count) : stage.target / count,
    })),
    http: { ...scenario.http, requests, connections: scenario.http.connections === null ? null : inFlightShare(scenario.http.connections, index, count) },
    server: scenario.server.restart === null ? scenario.server : { ...scenario.server, restart: { ...scenario.server.restart, resume: share(scenario.server.restart.resume, index, count) } },
    client: { ...scenario.client, localPorts, portRange: perSocket },
    faults,
    environment: { ...scenario.environment, sysctls },
  };
  return { scenario: split, info, notice: notices.length > 0 ? notices.join('\n') : null };
}

/**
 * Under host isolation: whether this shard's slice can go on every socket (true), or the
 * one-line notice why it cannot (the copies then share the host's range, as before 6.3).
 * A slice the host's own range does not hold is refused: the kernel would ignore its bounds
 * and the shards would collide without a word.
 */
function perSocketSlice(scenario: Scenario, slice: { low: number; high: number }, label: string, whole: string, options: ShardOptions): true | string {
  const unsplit = `${label}: this shard's port slice ${slice.low}-${slice.high} is not applied`;
  if (scenario.protocol === 'http' && scenario.http.client !== 'raw') {
    return `${unsplit}: under isolation host it would go on each socket (IP_LOCAL_PORT_RANGE), and undici's sockets are connected by Node, which cannot set it; copies on this host share its port range`;
  }
  const can = options.perSocket ?? perSocketAvailable();
  if (!can.ok) return `${unsplit}: under isolation host it goes on each socket with IP_LOCAL_PORT_RANGE, and ${can.reason}; copies on this host share its port range (run them with --isolation netns to give each its own)`;
  const host = parsePortRange(options.hostPortRange !== undefined ? options.hostPortRange : readHostRange());
  if (host !== null && !honoured(host, slice)) {
    throw new ShardError(
      `${label}: the slice ${slice.low}-${slice.high} of ${whole} lies outside this host's net.ipv4.ip_local_port_range (${host.low} ${host.high}), and the kernel ignores per-socket bounds outside it: set environment.sysctls.net.ipv4.ip_local_port_range to "${host.low} ${host.high}" (or a part of it) so the shards split ports the host hands out`,
    );
  }
  return true;
}

function perSocketAvailable(): { ok: true } | { ok: false; reason: string } {
  const f = socketFeatures();
  if (!f.options.localPortRange) return { ok: false, reason: f.reasons.localPortRange ?? f.reason ?? 'the native socket layer is unavailable' };
  const engine = engineAvailability();
  return engine.ok ? engine : { ok: false, reason: `the native engine cannot run (${engine.reason})` };
}

function readHostRange(): string | null {
  return readSysctlSync('net.ipv4.ip_local_port_range');
}
