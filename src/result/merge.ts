// Exact merge of results written by several processes or machines (shards of one scenario,
// or copies run side by side): counts add, HdrHistograms add bucket by bucket (so every
// percentile of the merge is the percentile of all the samples — not an average of
// percentiles, which is what k6-operator and Locust users are left with), time series are
// aligned on wall-clock time and summed, and every contributor keeps its own row (ports,
// TIME_WAIT, errors) so the merge does not hide which one was in trouble.
// Numbers that would mean nothing together are refused; doubtful ones are merged with a warning.
// One file on purpose: it walks the one result model field by field, and a field added
// to the model is merged here, in one place, beside the rules that refuse a merge.
import { percentilesMs } from '../metrics/histograms.js';
import { connectFillCells, connectFillData } from './connect-fill-data.js';
import type { RunResult, Summary } from './model.js';
import { ConnectFill, withParitySwapped } from '../metrics/connect-fill.js';
import { connectFillSummary } from './connect-cliff.js';
import { mergedOf, repeatOf, sameRun, shardOf, type Contributor, type RepeatInfo, type StoredResult } from './provenance.js';
import { type EngineFacts, addDriverCosts, addEngines, addedLife, addErrorCounts, addHistograms, addMaps, addRequests, addFaults, addRestarts, addSeries, addServerStats, establishedBeforeExhaustion, exactEnds, firstExhaustion, addedTimeWait, loadWindow, minOf } from './add.js';
import { recordedPortRange } from './build.js';
import { contributorsLastClose } from './peak-time.js';
import { labOf } from './lab.js';
import { namespaceLimitsSet } from '../environment/sysctl.js';
import { parseScenario } from '../scenario/index.js';
import { timeWaitLanding } from '../scenario/close-semantics.js';
import { roundMs } from '../util/round.js';
import { latestHz, TIME_WAIT_SECONDS } from '../tcp-facts.js';

export class MergeError extends Error {}

export interface MergeInput {
  file: string;
  result: RunResult;
}

export interface MergeOptions {
  /**
   * Merge the shards that are here when some of a split are missing, or results that were
   * interrupted (warned). Off by default: a CI merge step after a shard's job died would
   * otherwise gate on part of the load and pass thresholds the whole would fail.
   */
  partial?: boolean;
}

/** Results further apart than this did not run together (and their series would not fit in memory). */
const MAX_SPAN_MS = 6 * 3_600_000;

const HISTOGRAMS = ['connect', 'firstByte', 'total', 'close', 'portReuseInterval'] as const;

const keyOf = (r: RunResult): string => (r.variant ? `${r.scenario.name} [${r.variant.label}]` : r.scenario.name);
const portRangeOf = (r: RunResult): string => String(r.environment.sysctls['net.ipv4.ip_local_port_range'] ?? '');

/** What makes a merge meaningless (refused) or doubtful (warned), checked before any number is added. */
export function checkMergeable(inputs: MergeInput[], options: MergeOptions = {}): string[] {
  if (inputs.length < 2) throw new MergeError(`merge needs at least two results, got ${inputs.length}`);
  const warnings: string[] = [];
  const [first] = inputs;
  const f = first!.result;
  const files = new Set<string>();
  for (const [i, { file, result: r }] of inputs.entries()) {
    if (files.has(file)) throw new MergeError(`${file} is given twice: its counts would be added twice`);
    files.add(file);
    if (mergedOf(r)) throw new MergeError(`${file} is already a merge: merge its contributors instead, so none is counted twice`);
    // A lab's result is its hosts merged already, with a router and a server host of its own:
    // two labs added up would be one storm through two routers (an audit: the lab block was lost).
    if (labOf(r) !== null) throw new MergeError(`${file} is a routed lab's result, its client hosts already added up: compare labs instead, or run one lab with more client hosts (environment.clients)`);
    // Different scenarios made different storms: added up, the verdict would describe neither
    // (client-closes-first with server-closes-first read "TIME_WAIT on both sides"). Asked first,
    // as the rules below would each name a symptom of it: tw-reuse beside client-closes-first was
    // refused for "different port ranges … run them with --shard i/N", advice that cannot help.
    if (r.scenario.name !== f.scenario.name) {
      throw new MergeError(`${file} is scenario "${keyOf(r)}" but ${first!.file} is "${keyOf(f)}": merge runs of one scenario; compare different ones instead`);
    }
    if ((r.scenario.protocol ?? 'tcp') !== (f.scenario.protocol ?? 'tcp')) {
      throw new MergeError(`${file} is a ${r.scenario.protocol} run but ${first!.file} is ${f.scenario.protocol}: their figures do not add up`);
    }
    if ((r.variant?.label ?? null) !== (f.variant?.label ?? null)) {
      throw new MergeError(`${file} is matrix variant "${r.variant?.label ?? 'none'}" but ${first!.file} is "${f.variant?.label ?? 'none'}": merge one variant at a time`);
    }
    const twin = inputs.slice(0, i).find((earlier) => sameRun(earlier.result, r));
    if (twin) throw new MergeError(`${file} and ${twin.file} are the same run (same start, same figures): it would be counted twice`);
  }
  const shards = inputs.map((i) => shardOf(i.result));
  const sharded = shards.filter((s) => s !== undefined);
  if (sharded.length > 0) {
    if (sharded.length !== inputs.length) throw new MergeError('some results are shards (run --shard) and some are not: merge the shards of one split together');
    const count = sharded[0]!.count;
    const seen = new Set<number>();
    for (const [i, s] of sharded.entries()) {
      const field = s.count !== count ? 'count' : differingField(s.whole, sharded[0]!.whole);
      if (field !== null) {
        throw new MergeError(`${inputs[i]!.file} is shard ${s.index + 1}/${s.count} of a different split than ${inputs[0]!.file} (its whole ${field} differs): merge the shards of one split together`);
      }
      if (seen.has(s.index)) {
        // Two runs of one shard's --repeat set (a whole directory given): said as the repeat rule.
        const other = inputs.find((x, j) => j < i && shardOf(x.result)?.index === s.index)!;
        const [mine, theirs] = [repeatOf(inputs[i]!.result), repeatOf(other.result)];
        if (mine !== undefined && theirs !== undefined && mine.index !== theirs.index) {
          throw new MergeError(`${inputs[i]!.file} and ${other.file} are runs ${mine.index} and ${theirs.index} of shard ${s.index + 1}/${s.count}'s --repeat set: merge run i of every shard together, one merge per run`);
        }
        throw new MergeError(`${inputs[i]!.file}: shard ${s.index + 1}/${s.count} is given twice`);
      }
      seen.add(s.index);
    }
    // Shards run with --repeat: run i of one shard goes with run i of the others (an audit: run 1
    // of shard 1 merged with run 2 of shard 2 without a word).
    const repeats = inputs.map((i) => repeatOf(i.result));
    const repeated = repeats.find((x) => x !== undefined);
    if (repeated !== undefined) {
      const odd = inputs.find((_, i) => repeats[i]?.index !== repeated.index || repeats[i]?.count !== repeated.count);
      if (odd !== undefined) {
        const r = repeats[inputs.indexOf(odd)];
        throw new MergeError(`${odd.file} is ${r ? `run ${r.index}/${r.count}` : 'not a run'} of a --repeat set, but ${inputs[repeats.indexOf(repeated)]!.file} is run ${repeated.index}/${repeated.count}: merge run i of every shard together, one merge per run`);
      }
    }
    const missing = missingShards(sharded, count);
    if (missing.length > 0) {
      const which = `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i + 1}/${count}`).join(', ')} missing`;
      if (options.partial !== true) {
        throw new MergeError(`${which}: the merged totals would be ${count - missing.length}/${count} of the scenario and its thresholds would gate part of the load; give every shard's result, or --partial to merge these anyway`);
      }
      warnings.push(`${which}: the totals are ${count - missing.length}/${count} of the scenario`);
    }
  } else {
    // Copies that are not shards of one split: under one label, different port ranges mean
    // the TIME_WAIT and port figures describe different storms.
    const ranges = new Set(inputs.map((i) => portRangeOf(i.result)));
    if (ranges.size > 1) {
      throw new MergeError(`the results use different port ranges (${[...ranges].map((x) => x || 'unset').join(', ')}) but are not shards of one split: their port and TIME_WAIT figures do not add up; run them with --shard i/N`);
    }
  }
  // An interrupted contributor (a CI job cancelled or timed out: SIGTERM, exit 130, its partial
  // result uploaded all the same) holds only the part of its load that ran: the same part of the
  // whole as a missing shard, so the same rule (an audit: shard 2/2 stopped after 194 of its
  // 2,000 connections, and the merge of 2,194 of 4,000 exited 0).
  const interrupted = inputs.filter((i) => i.result.interrupted).map((i) => i.file);
  if (interrupted.length > 0) {
    const which = `${interrupted.join(', ')} ${interrupted.length > 1 ? 'were' : 'was'} interrupted`;
    if (options.partial !== true) {
      throw new MergeError(`${which}, so the merged totals would be part of the load and its thresholds would gate that part; run ${interrupted.length > 1 ? 'them' : 'it'} again, or --partial to merge these anyway`);
    }
    warnings.push(`${which}: the totals hold only the part of ${interrupted.length > 1 ? 'their' : 'its'} load that ran`);
  }
  // Series are aligned on wall-clock time: results a day apart did not make one storm.
  const starts = inputs.map((i) => Date.parse(i.result.startedAt));
  const ends = inputs.map((i) => Date.parse(i.result.endedAt));
  if (Math.max(...ends, ...starts) - Math.min(...starts) > MAX_SPAN_MS) {
    throw new MergeError(`the results span more than ${MAX_SPAN_MS / 3_600_000} h of wall-clock time (${inputs.map((i) => i.result.startedAt).sort()[0]} … ${inputs.map((i) => i.result.endedAt).sort().at(-1)}): they did not run together; compare them instead`);
  }
  // One scenario name run with other settings made another storm (close.first client and server
  // merged read "the client closed first; TIME_WAIT on both sides"): only the size of the load
  // may differ, which a split cuts and copies may set each their own.
  const firstSettings = settingsOf(f.scenario);
  const defaults = defaultSettings();
  for (const { file, result: r } of inputs.slice(1)) {
    const field = differingField(settingsOf(r.scenario), firstSettings, '', defaults);
    if (field !== null) {
      throw new MergeError(`${file} ran scenario "${keyOf(r)}" with another ${field} than ${first!.file}: merge runs of one setting; compare different ones instead`);
    }
  }
  // Copies run one after another did not make one storm: the merged rate would count the gap.
  const windows = inputs
    .map((i) => ({ file: i.file, start: Date.parse(i.result.startedAt) + (i.result.load?.startMs ?? 0), end: Date.parse(i.result.startedAt) + (i.result.load?.endMs ?? i.result.summary.durationMs) }))
    .sort((a, b) => a.start - b.start);
  // A gap under 5 % of the whole window moves a rate by less than that: shards started together
  // whose short loads missed each other by a few ms are one storm (it read "began 0.0 s after").
  const span = Math.max(...windows.map((w) => w.end)) - windows[0]!.start;
  let latestEnd = -Infinity;
  for (const [i, w] of windows.entries()) {
    const gap = w.start - latestEnd;
    if (i > 0 && gap > 0 && gap >= 0.05 * span) {
      const words = gap < 1000 ? `${Math.round(gap)} ms` : `${(gap / 1000).toFixed(1)} s`;
      warnings.push(`the loads did not overlap (${w.file} began ${words} after the others ended): merged as one storm, the rates count the gap between them`);
      break;
    }
    latestEnd = Math.max(latestEnd, w.end);
  }
  // Each contributor held its own namespace's limits whole: the merged figures are not what one
  // run of the whole under them would show (an audit: tw-bucket-overflow in 2 shards merged to a
  // TIME_WAIT peak of 400 beside tcp_max_tw_buckets=200; one run held 200 and overflowed 800).
  const limits = namespaceLimitsSet(f.scenario.environment?.sysctls);
  if (limits.length > 0) {
    warnings.push(
      `${limits.join(', ')} held in each of the ${inputs.length} ${sharded.length > 0 ? 'shards' : 'results'}' own namespace${limits.length > 1 ? 's' : ''}, not split: together they could hold ${inputs.length} times it, so the merged TIME_WAIT and overflow figures are not those of one run of the whole`,
    );
  }
  const versions = new Set(inputs.map((i) => i.result.tool.version));
  if (versions.size > 1) warnings.push(`written by different twstorm versions (${[...versions].join(', ')}): figures may be measured differently`);
  const kernels = new Set(inputs.map((i) => i.result.environment.kernel));
  if (kernels.size > 1) warnings.push(`different kernels (${[...kernels].join(', ')})`);
  // A sysctl the scenario did not set is what each machine had (the host's, under --isolation
  // host, or a kernel's namespace default): copies on machines set up otherwise made other storms,
  // and the merge records the first one's (an audit: tcp_tw_reuse 0 and 1 merged, no word). What
  // the scenario set differs only when a kernel refused it: a setting, refused above. The port
  // range is cut between shards by design.
  for (const key of new Set(inputs.flatMap((i) => Object.keys(i.result.environment.sysctls)))) {
    if (key === 'net.ipv4.ip_local_port_range') continue;
    const values = inputs.map((i) => i.result.environment.sysctls[key]);
    if (values.every((v) => v === values[0])) continue;
    const each = inputs.map((i, k) => `${values[k] ?? 'unrecorded'} in ${i.file}`).join(', ');
    warnings.push(`the results ran with different ${key} (${each}): merged as one storm, the result records ${values[0] ?? 'none'}, the first one's`);
  }
  const hz = mergedTimerHz(inputs.map((i) => i.result));
  if (hz !== undefined) {
    const each = inputs.map((i) => `${i.result.environment.timerHz ?? 'unrecorded'} in ${i.file}`).join(', ');
    warnings.push(`the results ran on kernels of different CONFIG_HZ (${each}): the merged result records ${hz === null ? 'none (the worst HZ is planned for)' : `${hz}, the one whose timer ends a TIME_WAIT latest`}`);
  }
  const onHost = inputs.filter((i) => i.result.environment.isolation === 'host').map((i) => i.file);
  if (onHost.length > 0 && onHost.length < inputs.length) {
    warnings.push(`${onHost.join(', ')} ran on the host network, the others in a namespace of their own: a host census counts the host's other sockets too`);
  }
  return warnings;
}

/**
 * The first field (dotted path) where two values differ, or null when they agree; a null and an
 * absent field agree (a shard under --isolation host records clientPortRange: null, a
 * namespaced one none: the whole had no per-socket range either way). With `defaults`, a field
 * one side lacks (a result written before the field existed) stands for its default value.
 */
function differingField(a: unknown, b: unknown, at = '', defaults?: unknown): string | null {
  if (defaults !== undefined) {
    if (a === undefined) a = defaults;
    if (b === undefined) b = defaults;
  }
  if (a === b || (a == null && b == null)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return at || '(value)';
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const below = defaults !== null && typeof defaults === 'object' ? (defaults as Record<string, unknown>)[key] : undefined;
    const field = differingField((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at ? `${at}.${key}` : key, below);
    if (field !== null) return field;
  }
  return null;
}

/**
 * Every setting's default, for results written before a field existed. Made when a merge first
 * asks, not when the module loads: a routed run's process imports this file for its connect fill.
 */
let defaultsMemo: unknown;
function defaultSettings(): unknown {
  defaultsMemo ??= settingsOf(parseScenario({ name: 'defaults' }, 'the defaults') as RunResult['scenario']);
  return defaultsMemo;
}

/** The shard indexes of a split of `count` that none of `shards` is: missing from a merge. */
function missingShards(shards: ReadonlyArray<{ index: number } | undefined>, count: number): number[] {
  const seen = new Set(shards.map((s) => s?.index));
  return Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
}

/**
 * A scenario's settings without the size of its load: what a split cuts into shares (counts,
 * rate, concurrency, stages, port ranges, a fault's count), what copies may each set their own (--set counts,
 * --repeat) and what only watched the run (census, tail, allowRemoteTarget). What is left made
 * the storm, or decides the merged figures: close, protocol, client and server modes, payload,
 * sysctls, fault rules; `sample`, the grid the series add on (a 1 s bucket dropped into a 100 ms one
 * is a spike); `thresholds`, the merge's gate (the first file's would decide it); `duration` and
 * `threads` (a review).
 */
function settingsOf(scenario: RunResult['scenario']): unknown {
  const s = structuredClone(scenario) as unknown as Record<string, Record<string, unknown> | undefined>;
  for (const key of ['connections', 'rate', 'concurrency', 'maxInFlight', 'stages', 'repeat', 'description', 'tail', 'census', 'allowRemoteTarget']) delete s[key];
  // Where it ran is the environment's, warned about below: a shard may fall back to the host.
  delete s['environment']?.['isolation'];
  delete s['http']?.['requests'];
  // A fault's "first N" is split between shards as the connections are, and copies may each set their own.
  for (const fault of (s['faults'] as unknown as Array<Record<string, unknown>> | undefined) ?? []) delete fault['count'];
  delete s['http']?.['connections'];
  delete s['client']?.['portRange'];
  delete s['client']?.['localPorts'];
  delete (s['server']?.['restart'] as Record<string, unknown> | null | undefined)?.['resume'];
  delete (s['environment']?.['sysctls'] as Record<string, unknown> | undefined)?.['net.ipv4.ip_local_port_range'];
  return s;
}

/** The merged result. Call checkMergeable first (mergeResults does). */
export async function mergeResults(inputs: MergeInput[], options: MergeOptions = {}): Promise<StoredResult> {
  const warnings = checkMergeable(inputs, options);
  const results = inputs.map((i) => i.result);
  const starts = results.map((r) => Date.parse(r.startedAt));
  const t0 = Math.min(...starts);
  // Each run's clock starts at its startedAt; shifting by the difference puts every sample on
  // one wall-clock axis (as good as the hosts' clock sync: NTP keeps it to milliseconds).
  const offsets = starts.map((s) => s - t0);
  const { startMs: loadStart, endMs: loadEnd } = loadWindow(results, offsets);
  const loadSeconds = Math.max(0.001, (loadEnd - loadStart) / 1000);
  const first = results[0]!;

  const histograms = Object.fromEntries(HISTOGRAMS.map((name) => [name, addHistograms(results.map((r) => r.histograms[name]))])) as Record<
    (typeof HISTOGRAMS)[number],
    { encoded: string; percentiles: ReturnType<typeof percentilesMs> }
  >;
  const life = addedLife(results);
  const series = addSeries(results, offsets);
  const sum = (pick: (s: Summary) => number): number => results.reduce((a, r) => a + pick(r.summary), 0);
  const established = sum((s) => s.connections.established);
  const attempted = sum((s) => s.connections.attempted);
  const http = results.some((r) => r.summary.requests !== undefined);
  const restarts = results.map((r) => r.summary.restart).filter((x) => x !== undefined);
  const shards = results.map(shardOf);
  const whole = shards[0]?.whole;
  // With a shard missing (--partial), the merge holds the present shards' shares, not the whole:
  // its counts, its shape and its ports are theirs (shard.ts splits each into shares that add up),
  // so the stop reason ("all 6,667 connections were attempted"), the in-flight figures and the
  // share of the range held match its own (an audit: "all 10,000" beside 6,667 attempted; a
  // review: concurrency 64 where they ran 43; an audit: the whole range, "7.1 % of the range").
  const partial = whole !== undefined && missingShards(shards, shards[0]!.count).length > 0;
  const ofWhole = partial ? undefined : whole;
  const reuseP50 = histograms.portReuseInterval.percentiles.p50;
  const summary: Summary = {
    durationMs: roundMs(loadEnd - loadStart),
    connections: {
      attempted,
      established,
      completed: sum((s) => s.connections.completed),
      failed: sum((s) => s.connections.failed),
      ratePerSec: roundMs(established / loadSeconds),
    },
    errors: addMaps(results.map((r) => r.summary.errors)),
    serverErrors: addMaps(results.map((r) => r.summary.serverErrors)),
    timeWait: addedTimeWait(series, results.map((r) => r.summary.timeWait), 0, contributorsLastClose(results, offsets, loadEnd)),
    ports: {
      // Disjoint slices (shards) or separate hosts: distinct (address, port) pairs add up.
      distinct: sum((s) => s.ports.distinct),
      reused: sum((s) => s.ports.reused),
      reuses: sum((s) => s.ports.reuses),
      minReuseIntervalMs: minOf(results.map((r) => r.summary.ports.minReuseIntervalMs)),
      medianReuseIntervalMs: reuseP50,
      exhaustedAtMs: firstExhaustion(results, offsets),
      establishedBeforeExhaustion: establishedBeforeExhaustion(results),
      // Each contributor's own peak happened at its own moment: their sum is an upper bound.
      peakInUse: sum((s) => s.ports.peakInUse),
      // The whole run's range as build.ts records a run's: with client.portRange, the part the kernel honours.
      range: partial ? presentSlices(results) : whole ? recordedPortRange(whole.portRange, whole.clientPortRange) : first.summary.ports.range,
    },
    latencyMs: {
      connect: exactEnds(histograms.connect.percentiles, results.map((r) => r.summary.latencyMs.connect)),
      firstByte: exactEnds(histograms.firstByte.percentiles, results.map((r) => r.summary.latencyMs.firstByte)),
      total: exactEnds(histograms.total.percentiles, results.map((r) => r.summary.latencyMs.total)),
      close: exactEnds(histograms.close.percentiles, results.map((r) => r.summary.latencyMs.close)),
      ...(life !== null && life.latency.count > 0 ? { life: life.latency } : {}),
    },
    kernel: addMaps(results.map((r) => r.summary.kernel)),
    bytes: { sent: sum((s) => s.bytes.sent), received: sum((s) => s.bytes.received), lost: sum((s) => s.bytes.lost) },
    ...(restarts.length > 0
      ? {
          restart: {
            ok: restarts.every((x) => x.ok),
            unavailableMs: Math.max(...restarts.map((x) => x.unavailableMs)),
            attempts: restarts.reduce((a, x) => a + x.attempts, 0),
            failures: addMaps(restarts.map((x) => x.failures)),
          },
        }
      : {}),
    ...(http ? { requests: addRequests(results.map((r) => r.summary.requests), established, addErrorCounts(results.map((r) => r.errors)), (ok) => roundMs(ok / loadSeconds)) } : {}),
    driver: addDriverCosts(results.map((r) => r.summary.driver), http ? sum((s) => s.requests?.total ?? 0) : attempted),
  };
  // Shards of one scenario share its close policy: the first one's says whether ports were held.
  const connectFill = mergeConnectFill(results, offsets, summary.ports.range, timeWaitLanding(first.scenario).clientHoldsPorts);
  if (connectFill !== null) summary.connectFill = connectFill.summary;
  const engines = addEngines(inputs.map((i) => ({ file: i.file, facts: i.result.environment })));
  const timerHz = mergedTimerHz(results);
  warnings.push(...engines.warnings);
  if (results.some((r) => r.summary.lingerBlockedMs !== undefined)) {
    warnings.push('lingerBlockedMs is left out: results keep only its percentiles, which cannot be merged exactly');
  }
  // Copies (not shards) each ran their whole scenario: together they asked for the sum of their
  // counts, which the stop reason ("all 1,000 connections were attempted") must say. Summed per
  // copy, not the first's times the copies: copies run with different --set counts still add up.
  const asked = (pick: (s: RunResult['scenario']) => number | null | undefined): number | null => {
    const each = results.map((r) => pick(r.scenario));
    return each.every((n) => typeof n === 'number') ? (each as number[]).reduce((a, n) => a + n, 0) : null;
  };
  // The load's shape: a shard's whole as it was before the split; copies, the sum of theirs (a
  // shard written before its whole recorded the shape: the sum of the shares, within one per shard).
  // A ramp's targets are rates in an open loop and counts in flight in a closed one: copies of
  // both kinds have no one ramp that is their sum.
  const loops = new Set(results.map((r) => (r.scenario.rate == null ? 'closed' : 'open')));
  const ramps = results.map((r) => r.scenario.stages ?? []);
  const stages = loops.size > 1 && ramps.some((s) => s.length > 0) ? null : sumStages(ramps);
  if (stages === null && whole?.stages === undefined) warnings.push('the copies ramped through different stages: the merged scenario shows the first one\'s');
  const shape = {
    concurrency: ofWhole?.concurrency ?? asked((s) => s.concurrency) ?? first.scenario.concurrency,
    maxInFlight: ofWhole?.maxInFlight ?? asked((s) => s.maxInFlight) ?? first.scenario.maxInFlight,
    stages: ofWhole?.stages ?? stages ?? first.scenario.stages,
  };
  const httpShape = {
    connections: ofWhole && ofWhole.httpConnections !== undefined ? ofWhole.httpConnections : asked((s) => s.http?.connections),
  };
  const restart = first.scenario.server?.restart;
  const server =
    restart === null || restart === undefined
      ? first.scenario.server
      : { ...first.scenario.server, restart: { ...restart, resume: ofWhole?.resume ?? asked((s) => s.server?.restart?.resume) ?? restart.resume } };
  const scenario = whole
    ? {
        ...first.scenario,
        ...shape,
        server,
        connections: partial ? (asked((s) => s.connections) ?? whole.connections) : whole.connections,
        rate: partial ? asked((s) => s.rate) : whole.rate,
        // A tcp split records no whole request count but cuts http.requests all the same (unread
        // under tcp): their shares add back to the whole's, where the first one's share was the
        // merged scenario's, a figure that changed with the order of the files (an audit: 1,667 or 1,666 of 5,000).
        http: { ...first.scenario.http, ...httpShape, requests: (partial ? null : whole.requests) ?? asked((s) => s.http?.requests) ?? first.scenario.http?.requests },
        environment: { ...first.scenario.environment, sysctls: { ...first.scenario.environment.sysctls, 'net.ipv4.ip_local_port_range': whole.portRange } },
        // Each shard ran with its slice of a per-socket range (IP_LOCAL_PORT_RANGE) and of
        // client.localPorts: the whole had the ranges they were cut from, or none.
        ...(whole.clientPortRange !== undefined || whole.localPorts !== undefined
          ? {
              client: {
                ...first.scenario.client,
                ...(whole.clientPortRange !== undefined ? { portRange: whole.clientPortRange } : {}),
                ...(whole.localPorts !== undefined ? { localPorts: whole.localPorts } : {}),
              },
            }
          : {}),
      }
    : {
        ...first.scenario,
        ...shape,
        server,
        connections: asked((s) => s.connections) ?? first.scenario.connections,
        rate: asked((s) => s.rate),
        // A result of a tcp run written before the http block existed has none.
        ...(first.scenario.http !== undefined ? { http: { ...first.scenario.http, ...httpShape, requests: asked((s) => s.http?.requests) ?? first.scenario.http.requests } } : {}),
      };
  // Each fault's "first N" was split between the shards (copies each had their own): the
  // whole's is their sum, null (every segment) when any had none.
  if (Array.isArray(first.scenario.faults) && first.scenario.faults.length > 0) {
    (scenario as { faults: RunResult['scenario']['faults'] }).faults = first.scenario.faults.map((rule, i) => {
      const counts = results.map((r) => r.scenario.faults?.[i]?.count ?? null);
      return { ...rule, count: counts.includes(null) ? null : (counts as number[]).reduce((a, n) => a + n, 0) };
    });
  }
  const faults = addFaults(results.map((r) => r.faults), scenario.faults);
  const contributors: Contributor[] = inputs.map(({ file, result: r }) => ({
    file,
    host: shardOf(r)?.host ?? '–',
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    shard: shardOf(r) ?? null,
    connections: { attempted: r.summary.connections.attempted, established: r.summary.connections.established, failed: r.summary.connections.failed },
    requests: r.summary.requests?.total ?? null,
    timeWait: { peak: r.summary.timeWait.peak, peakClient: r.summary.timeWait.peakClient, peakServer: r.summary.timeWait.peakServer },
    ports: { distinct: r.summary.ports.distinct, range: r.summary.ports.range },
    errors: r.summary.errors,
  }));
  const stopped = results.find((r) => r.stoppedBy !== first.stoppedBy);
  // Absent in a result of an older twstorm, and then in the merge too.
  const interruptedBy = results.find((r) => r.interrupted)?.interruptedBy;
  const failures = inputs.filter(({ result: r }) => typeof r.failed === 'string' && r.failed !== '').map(({ file, result: r }) => `${file}: ${r.failed}`);
  return {
    schema: first.schema,
    tool: first.tool,
    scenario,
    variant: first.variant,
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(Math.max(...results.map((r) => Date.parse(r.endedAt)))).toISOString(),
    interrupted: results.some((r) => r.interrupted),
    // What stopped the first contributor that was interrupted (merged with --partial).
    ...(interruptedBy === undefined ? {} : { interruptedBy }),
    // A contributor that failed (its server died, every connection failed) makes the whole one
    // failed: its share of the figures is the failure's (an audit: the merge dropped it).
    ...(failures.length > 0 ? { failed: failures.join('; ') } : {}),
    stoppedBy: results.some((r) => r.interrupted) ? 'interrupted' : stopped ? stopped.stoppedBy : first.stoppedBy,
    load: { startMs: roundMs(loadStart), endMs: roundMs(loadEnd), costUnit: http ? 'requests' : 'connections' },
    // The whole run's range, in force and as asked: left at the first shard's slice, the asked
    // value differed from the one in force and the report flagged it NOT IN FORCE.
    environment: {
      ...withoutEngine(first.environment),
      ...engines.facts,
      ...(timerHz !== undefined ? { timerHz } : {}),
      sysctls: { ...first.environment.sysctls, ...(whole ? { 'net.ipv4.ip_local_port_range': whole.portRange } : {}) },
      sysctlsRequested: {
        ...first.environment.sysctlsRequested,
        ...(whole && first.environment.sysctlsRequested?.['net.ipv4.ip_local_port_range'] !== undefined ? { 'net.ipv4.ip_local_port_range': whole.portRange } : {}),
      },
    },
    // Every server stat by its kind (addServerStats says which add, which are the greatest,
    // which hold for all); the restart's bind attempts on the common clock. Host and ports are
    // the scenario's, the same for each; a user's server.command keeps the first one's log.
    server: {
      ...first.server,
      stats: addServerStats(results.map((r) => r.server.stats)),
      ...(results.some((r) => r.server.restart !== undefined) ? { restart: addRestarts(results.map((r) => r.server.restart), offsets) } : {}),
    },
    summary,
    ...(faults !== null ? { faults } : {}),
    errors: addErrorCounts(results.map((r) => r.errors)),
    series,
    ...(connectFill !== null ? { connectFill: connectFill.data } : {}),
    histograms: { ...(Object.fromEntries(HISTOGRAMS.map((name) => [name, histograms[name].encoded])) as RunResult['histograms']), ...(life !== null ? { life: life.encoded } : {}) },
    merged: { contributors, warnings },
    // Run i of every shard's --repeat set: the merge is run i of one set, so compare reads the
    // merges of a split as a set (the set named after the lowest of the shards' set ids).
    ...(repeatOfMerge(results) ?? {}),
  };
}

/**
 * The ports the present shards of a partial merge drew from: their slices, lowest to highest,
 * and as many ports as the slices hold together (a missing shard's slice between them unused;
 * shards on one host without a slice each drew from the same range, counted once).
 */
function presentSlices(results: RunResult[]): Summary['ports']['range'] {
  const slices = results.map((r) => r.summary.ports.range).filter((x) => x !== null).sort((a, b) => a.low - b.low);
  if (slices.length === 0) return null;
  let size = 0;
  let end = -1;
  for (const { low, high } of slices) {
    if (high > end) size += high - Math.max(low, end + 1) + 1;
    end = Math.max(end, high);
  }
  return { low: slices[0]!.low, high: end, size };
}

/**
 * The merge's CONFIG_HZ when the contributors' differ (undefined when they agree: the first one's
 * stands). Each one's ports came back on its own kernel's timer wheel, so the merge keeps the HZ
 * that ends a TIME_WAIT latest, the one the verdict's and plan's port hold must allow for; null
 * (not known: the worst) when one did not record it. Taken from the first alone, a shard at HZ
 * 1000 (4.096 s late) merged after one at 250 (2.048 s) was planned for 2.048 s, with no word.
 */
function mergedTimerHz(results: readonly RunResult[]): number | null | undefined {
  const each = results.map((r) => r.environment.timerHz ?? null);
  if (each.every((hz) => hz === each[0])) return undefined;
  if (each.includes(null)) return null;
  return latestHz(TIME_WAIT_SECONDS, each as number[]);
}

/** An environment without its engine facts, which addEngines gives a merge from every contributor. */
function withoutEngine(env: RunResult['environment']): Omit<RunResult['environment'], keyof EngineFacts> {
  const { engine: _e, threads: _t, engineFallback: _ef, engineIo: _io, engineIoFallback: _iof, ...rest } = env;
  return rest;
}

function repeatOfMerge(results: RunResult[]): { repeat: RepeatInfo } | null {
  const repeats = results.map(repeatOf);
  if (results.some((r) => shardOf(r) === undefined) || repeats.some((r) => r === undefined)) return null;
  const sets = repeats.map((r) => r!.set).sort();
  return { repeat: { index: repeats[0]!.index, count: repeats[0]!.count, set: `${sets[0]!}-merged` } };
}

/**
 * The connect-fill cells of every contributor that recorded them, added on the wall-clock grid,
 * and the cliff read from them. Each contributor held its own ports (another process or
 * shard), so a held bucket stays that contributor's fill, and the held curve is the fullest
 * contributor's at each moment: the cliff is read in ports held of one range.
 * null when none recorded them (results written before connect-fill existed are left out, with
 * the cells they lack).
 */
export function mergeConnectFill(
  results: RunResult[],
  offsets: number[],
  range: { low: number; size: number } | null,
  clientHoldsPorts: boolean,
): { data: NonNullable<RunResult['connectFill']>; summary: NonNullable<Summary['connectFill']> } | null {
  const parts = results.map((r, i) => ({ data: r.connectFill, offset: offsets[i]!, range: r.summary.ports.range })).filter((p) => p.data !== undefined);
  if (parts.length === 0) return null;
  const recorder = new ConnectFill(Math.min(...parts.map((p) => p.data!.intervalMs)), parts[0]!.data!.measure);
  try {
    for (const p of parts) {
      // Each contributor's first parity is its own range's low end's: moved onto the merged range's.
      const cells = connectFillCells(p.data!);
      const flipped = range !== null && p.range != null && p.range.low % 2 !== range.low % 2;
      // Held ports as one contributor's, not added up: the cliff is a share of one contributor's
      // range, and the time it came is when the fullest contributor got there (a review: summed,
      // the merge put it at 0.70 s where each shard saw it at 1.10 s).
      recorder.absorb(flipped ? withParitySwapped(cells) : cells, p.offset, true);
    }
    const data = connectFillData(recorder);
    // A held bucket stays one contributor's ports, so the fill is a share of one contributor's
    // range: a shard's slice, not the whole (an audit: 1,216 of a 2,500-port slice read as 24 %
    // of 5,000, under the cliff's 25 % floor, and the merge lost the cliff every shard showed).
    const own = parts.map((p) => p.range).find((r) => r != null) ?? range;
    return { data, summary: connectFillSummary(data, own, percentilesMs(recorder.even), percentilesMs(recorder.odd), clientHoldsPorts) };
  } finally {
    recorder.even.destroy();
    recorder.odd.destroy();
  }
}

/**
 * Copies' ramps added stage by stage: the same stages (count and durations) give one ramp to
 * their summed targets; [] when none ramped; null when they ramped differently (no one ramp is the sum).
 */
function sumStages(each: Array<Array<{ duration: number; target: number }>>): Array<{ duration: number; target: number }> | null {
  const [first = [], ...rest] = each;
  const same = rest.every((s) => s.length === first.length && s.every((stage, i) => stage.duration === first[i]!.duration));
  if (!same) return null;
  return first.map((stage, i) => ({ duration: stage.duration, target: each.reduce((total, s) => total + s[i]!.target, 0) }));
}


