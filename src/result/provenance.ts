// Where a result came from, beyond the one run it describes: which repeat of a set it was,
// which shard of a split scenario, or which results a merge combined. Optional fields on the
// result document (older results and plain runs have none), so readers must not require them.
import type { RunResult } from './model.js';

/** `run --repeat N`: the i-th of N runs (1-based) of one set; `set` names the set. */
export interface RepeatInfo {
  index: number;
  count: number;
  set: string;
}

/** `run --shard i/N`: this run did the i-th share (0-based) of N of the scenario's work. */
export interface ShardInfo {
  index: number;
  count: number;
  /** The machine (or pod) that ran this shard: os.hostname(). */
  host?: string;
  /** The scenario's whole work before the split, so a merge can check the shares add up. */
  whole: {
    connections: number;
    requests: number | null;
    rate: number | null;
    portRange: string;
    /** The scenario's client.portRange before the split; present when the shard ran with one (its slice). */
    clientPortRange?: string | null;
    /** The scenario's client.localPorts before the split (each shard binds its own slice of them). */
    localPorts?: string | null;
    /** The load's shape before the split (absent in shards written before it was recorded). */
    concurrency?: number;
    maxInFlight?: number;
    stages?: Array<{ duration: number; target: number }>;
    httpConnections?: number | null;
    resume?: number | null;
  };
}

/** One result a merge combined. */
export interface Contributor {
  file: string;
  host: string;
  startedAt: string;
  endedAt: string;
  shard: ShardInfo | null;
  connections: { attempted: number; established: number; failed: number };
  requests: number | null;
  timeWait: { peak: number; peakClient: number; peakServer: number };
  ports: { distinct: number; range: { low: number; high: number; size: number } | null };
  errors: Record<string, number>;
}

export interface MergeInfo {
  contributors: Contributor[];
  warnings: string[];
}

/** A result as written to disk: the run's own document plus where it came from. */
export type StoredResult = RunResult & { repeat?: RepeatInfo; shard?: ShardInfo; merged?: MergeInfo };

export const repeatOf = (r: RunResult): RepeatInfo | undefined => (r as StoredResult).repeat;
export const shardOf = (r: RunResult): ShardInfo | undefined => (r as StoredResult).shard;
export const mergedOf = (r: RunResult): MergeInfo | undefined => (r as StoredResult).merged;

/**
 * A merge of some shards of a split (merge --partial): how many of how many are in it; null for
 * any other result. Its counts are the present shards', while its scenario is the whole's.
 */
export function partialSplit(r: RunResult): { present: number; count: number } | null {
  const shards = (mergedOf(r)?.contributors ?? []).map((c) => c.shard).filter((s) => s !== null);
  const count = shards[0]?.count;
  return count !== undefined && shards.length < count ? { present: shards.length, count } : null;
}

/**
 * Two results that are one run (a file and its copy): the same start and the same figures. A
 * merge starts when its earliest contributor did, and differs from it in every count, so it is
 * never "the same run" as one of its parts.
 */
export function sameRun(a: RunResult, b: RunResult): boolean {
  return a.startedAt === b.startedAt && JSON.stringify(a.summary) === JSON.stringify(b.summary);
}

/**
 * How a run is named beside others: "close.first=client close.client=fin" for a variant, the
 * scenario name otherwise, and "run 2/5" for a repeat, so identical runs are told apart.
 */
export function runLabel(result: RunResult): string {
  const name = result.variant?.label ?? result.scenario.name;
  const repeat = repeatOf(result);
  return repeat ? `${name} · run ${repeat.index}/${repeat.count}` : name;
}

/** Scenario fields that name or group a run rather than set how it ran. */
const NOT_SETTINGS = new Set(['name', 'description', 'matrix', 'thresholds', 'repeat']);

/** A scenario's settings as dotted leaves ("close.first" → "client"), for telling runs apart. */
function settingLeaves(value: unknown, at: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) if (at !== '' || !NOT_SETTINGS.has(key)) settingLeaves(v, at === '' ? key : `${at}.${key}`, out);
  } else out.set(at, JSON.stringify(value ?? null));
}

/** A leaf as typed: a string bare, anything else as JSON, a field a run lacks as "–". */
function shownSetting(json: string | undefined): string {
  if (json === undefined) return '–';
  const value = JSON.parse(json) as unknown;
  return typeof value === 'string' ? value : json;
}

/**
 * How each run is named beside the others it is shown with: runLabel, then, where that is not
 * enough to tell them apart, what is (a newcomer audit: two runs of one scenario with other
 * --set values were both "client-closes-first" in every row and legend). Variants of several
 * scenarios carry their scenario's name; runs whose labels collide add the settings that differ
 * among them ("connections=200"), and identical ones their start time.
 */
export function runLabels(results: readonly RunResult[]): Map<RunResult, string> {
  const scenarios = new Set(results.map((r) => r.scenario.name));
  const base = results.map((r) => (scenarios.size > 1 && r.variant ? `${r.scenario.name}: ${runLabel(r)}` : runLabel(r)));
  const labels = new Map<RunResult, string>();
  results.forEach((r, i) => {
    const same = results.filter((_, j) => base[j] === base[i]);
    if (same.length === 1) return labels.set(r, base[i]!);
    const leaves = same.map((x) => {
      const m = new Map<string, string>();
      settingLeaves(x.scenario, '', m);
      return m;
    });
    const mine = leaves[same.indexOf(r)]!;
    const keys = [...new Set(leaves.flatMap((m) => [...m.keys()]))].filter((k) => new Set(leaves.map((m) => m.get(k))).size > 1).sort();
    const settings = keys.slice(0, 3).map((k) => `${k}=${shownSetting(mine.get(k))}`);
    labels.set(r, `${base[i]} · ${settings.length > 0 ? settings.join(' ') : `started ${r.startedAt}`}`);
  });
  return labels;
}
