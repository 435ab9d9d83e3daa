// Which figures a comparison looks at, how each is judged, and which way is worse.
//  - count:   what the kernel and the driver count exactly (errors by errno, TIME_WAIT per side,
//             ports, kernel counters, a routed lab's router refusals, the restart outcome, server
//             errors). Judged as counts: a code that was never seen and now is (with repeats on
//             both sides: in every current run), or a restart that now fails, is always a finding;
//             otherwise the change must pass the tolerance and leave the baseline's range.
//  - rate / latency: what timing decides. Judged against the noise each side's repeats show
//             (a rank test, see stats.ts) as well as the tolerance.
// Any other summary figure can be named with --metric; only the throughput-like ones count
// higher as better.
import { resolvePath } from '../result/figure-paths.js';
import { TROUBLE_COUNTERS } from '../observe/counters.js';
import { labOf, ROUTER_FIGURES } from '../result/lab.js';
import type { WorkUnit } from '../scenario/work.js';
import type { RunResult } from '../result/model.js';

export type Better = 'higher' | 'lower';
export type MetricKind = 'count' | 'rate' | 'latency';

export interface MetricSpec {
  path: string;
  better: Better;
  kind: MetricKind;
  /**
   * A count that grows with the work done (TIME_WAIT, kernel counters, bytes): when the two
   * sides did different amounts of work (a duration-bound run that went faster), it is
   * compared per 1,000 connections attempted, so the run that did more is not "worse" for it.
   */
  scalesWithWork: boolean;
}

const LATENCIES = ['connect', 'firstByte', 'total', 'close'];
const PERCENTILES = ['p50', 'p90', 'p99'];

/**
 * The latencies that hold the server's answer, judged by their minimum as well. Why: a load of
 * N connections in flight is a closed loop, and on a busy runner it is CPU-bound, so by Little's
 * law its latency is N / throughput — the time requests spend queued for a core. A delay in the
 * server's answer (a timer, a lock, a slow backend: waiting, not computing) overlaps other
 * requests' work and replaces queueing instead of adding to it: measured under a neighbour's
 * load, a 5 ms service delay left the request p50 inside the 6–33 ms spread of identical runs
 * and requests/s unchanged. The fastest request is the exception: queueing only ever adds to a
 * latency, so the minimum is what the path costs without it (the min-RTT estimate ping and BBR
 * rely on), and a delay every answer pays moves it by the full amount (the same runs: 1.0–2.9 ms
 * without the delay, 5.0–6.1 ms with it). Connect and close latencies are the kernel's
 * handshakes, which no server-side wait reaches, so their minimum would only add noise.
 */
const FLOOR_LATENCIES = ['firstByte', 'total'];
const floors = (latencies: readonly string[]): string[] => latencies.filter((l) => FLOOR_LATENCIES.includes(l)).map((l) => `summary.latencyMs.${l}.min`);

// Not ports.peakInUse: the ports the driver held at once are rate × connection life, a figure
// timing decides (an audit: identical open-loop sets 4–8 against 9–42, exit 4, 4.3 % of random
// 3-run splits). It stays a --metric away, and the port pressure it stands for is judged by
// ports.distinct, the TIME_WAIT peaks and EADDRNOTAVAIL.
const COUNTS: readonly string[] = [
  'summary.connections.failed',
  'summary.timeWait.peak',
  'summary.timeWait.peakClient',
  'summary.timeWait.peakServer',
  'summary.ports.distinct',
];

export const DEFAULT_METRICS: readonly string[] = [
  'summary.connections.ratePerSec',
  ...LATENCIES.flatMap((l) => PERCENTILES.map((p) => `summary.latencyMs.${l}.${p}`)),
  ...floors(LATENCIES),
  ...COUNTS,
];

/**
 * HTTP runs: their throughput is requests, their latency the request's (first byte and whole
 * response); connections per second would rank a keep-alive run, which needs few, as the worst.
 */
export const HTTP_METRICS: readonly string[] = [
  'summary.requests.ratePerSec',
  ...['firstByte', 'total'].flatMap((l) => PERCENTILES.map((p) => `summary.latencyMs.${l}.${p}`)),
  ...floors(['firstByte', 'total']),
  'summary.requests.failed',
  'summary.requests.perConnection',
  ...COUNTS.filter((p) => !p.startsWith('summary.ports.')),
];

// ports.exhaustedAtMs is a moment, not a count: ports that run out later are better, and it
// does not grow with the work done.
const HIGHER_IS_BETTER = /^summary\.(connections\.(ratePerSec|established|completed|attempted)|requests\.(ratePerSec|ok|total|perConnection)|bytes\.(sent|received)|restart\.ok|ports\.exhaustedAtMs$)/;
const RATES = /^summary\.(connections\.ratePerSec|requests\.(ratePerSec|perConnection))$/;
const LATENCY = /^summary\.(latencyMs|lingerBlockedMs)\.|^summary\.restart\.unavailableMs$|ReuseIntervalMs$|^summary\.ports\.exhaustedAtMs$/;
/** Figures whose null means "never happened" (the ports never ran out), not "not measured". */
export const NULL_IS_NEVER = /^summary\.ports\.exhaustedAtMs$/;
/** Counts that stay the same whatever the speed: the outcome, not the volume. */
const FIXED_COUNTS = /^summary\.(restart\.|connections\.(attempted|failed)|requests\.failed|errors\.|serverErrors\.)/;

export const betterOf = (path: string): Better => (HIGHER_IS_BETTER.test(path) ? 'higher' : 'lower');

export function kindOf(path: string): MetricKind {
  if (RATES.test(path)) return 'rate';
  if (LATENCY.test(path)) return 'latency';
  return 'count';
}

export const specOf = (path: string): MetricSpec => {
  const kind = kindOf(path);
  return { path, better: betterOf(path), kind, scalesWithWork: kind === 'count' && !FIXED_COUNTS.test(path) };
};

const isHttp = (r: RunResult): boolean => r.summary.requests !== undefined;

// ---------------------------------------------------------------------------------------------
// The one ranking rule. The compare gate, the HTML comparison table and the terminal matrix
// table all decide "which run is better at this figure" here, so they can never disagree:
//  - a figure is ranked only if the gate would judge it for these runs (metricsFor's list):
//    an HTTP run's work is requests, so connections/s and connect latency are not scores there
//    (a keep-alive run needs few connections: ranking conn/s calls the healthy run worst);
//  - its direction is specOf's;
//  - a count that scales with work (TIME_WAIT, kernel counters) is ranked per 1,000 units of
//    work — requests for HTTP, connections attempted otherwise — when the runs did clearly
//    different amounts (> 2 %), so the run that did more is not "worst" for it.

/** The work unit of a set of runs (mixed TCP and HTTP runs share only connections). */
export const workUnitOf = (results: readonly RunResult[]): WorkUnit =>
  results.length > 0 && results.every(isHttp) ? 'requests' : 'connections';

/** How much work one run did, in `unit`. */
export const workOf = (r: RunResult, unit: WorkUnit): number =>
  unit === 'requests' ? (r.summary.requests?.total ?? 0) : r.summary.connections.attempted;

/** Runs (or sides' medians) did clearly different amounts of work: more than 2 % apart. */
export function workDiffers(work: readonly number[]): boolean {
  if (work.length < 2 || work.some((w) => !(w > 0))) return false;
  return Math.max(...work) / Math.min(...work) > 1.02;
}

const OUTCOME_PATH = /^summary\.(errors|serverErrors)\.|^summary\.restart\./;

/** Whether the gate judges `path` for these runs (any code under errors/serverErrors counts). */
export function isJudged(path: string, results: readonly RunResult[]): boolean {
  const http = results.some(isHttp);
  const tcp = results.some((r) => !isHttp(r));
  const base = http && !tcp ? HTTP_METRICS : http ? [...DEFAULT_METRICS, ...HTTP_METRICS] : DEFAULT_METRICS;
  if (base.includes(path) || OUTCOME_PATH.test(path)) return true;
  return path.startsWith('summary.kernel.') && TROUBLE_COUNTERS.includes(path.slice('summary.kernel.'.length));
}

export interface RankRule {
  better: Better;
  /** Rank per 1,000 of this unit of work; null: rank the raw values. */
  perThousand: WorkUnit | null;
}

/** How `path` is ranked among `results`; null when it is not a score for these runs. */
export function rankRule(path: string, results: readonly RunResult[]): RankRule | null {
  if (!isJudged(path, results)) return null;
  const spec = specOf(path);
  const unit = workUnitOf(results);
  const differ = spec.scalesWithWork && workDiffers(results.map((r) => workOf(r, unit)));
  return { better: spec.better, perThousand: differ ? unit : null };
}

export type Rank = 'best' | 'worst' | null;

/**
 * Best and worst among the runs for one figure (values in the runs' order, null where a run has
 * none), by rankRule. Nothing is marked when the figure is not a score here, when fewer than two
 * runs have it, or when every run scored the same.
 */
export function rankRuns(path: string, results: readonly RunResult[], values: ReadonlyArray<number | null>): Rank[] {
  // HTTP and TCP runs side by side (a report of several results): each kind is ranked among its
  // own, by its own rule and per its own unit of work. Together, one TCP run made every HTTP run
  // ranked on conn/s and connect latency, and TIME_WAIT per 1,000 connections called a keep-alive
  // run with 64 TIME_WAIT as bad as one with 2,000 (an audit).
  const http = results.map(isHttp);
  if (http.some(Boolean) && !http.every(Boolean)) {
    const ranks: Rank[] = values.map(() => null);
    for (const kind of [true, false]) {
      const at = results.flatMap((_, i) => (http[i] === kind ? [i] : []));
      const own = rankRuns(path, at.map((i) => results[i]!), at.map((i) => values[i]!));
      at.forEach((i, k) => (ranks[i] = own[k]!));
    }
    return ranks;
  }
  const rule = rankRule(path, results);
  if (rule === null) return values.map(() => null);
  const unit = workUnitOf(results);
  const scored = values.map((v, i) => (v === null ? null : rule.perThousand ? (v * 1000) / Math.max(1, workOf(results[i]!, unit)) : v));
  const known = scored.filter((v): v is number => v !== null);
  if (known.length < 2) return values.map(() => null);
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  if (lo === hi) return values.map(() => null);
  const best = rule.better === 'lower' ? lo : hi;
  const worst = rule.better === 'lower' ? hi : lo;
  return scored.map((v) => (v === best ? 'best' : v === worst ? 'worst' : null));
}

/**
 * The metric list for one pair of result sets. Error codes are added per pair (every code
 * any run saw, client and server side, so a new kind of error shows up by name), and the
 * restart outcome when either side restarted its server. `selectors` narrow the list: each is
 * a figure path or a prefix of one, with or without "summary."; a full path outside the
 * defaults adds it.
 */
export function metricsFor(baseline: RunResult[], current: RunResult[], selectors: string[]): MetricSpec[] {
  const all = [...baseline, ...current];
  const codes = (pick: (r: RunResult) => Record<string, number> | undefined): string[] =>
    [...new Set(all.flatMap((r) => Object.keys(pick(r) ?? {})))].sort();
  const http = all.some(isHttp);
  const tcp = all.some((r) => !isHttp(r));
  const base = http && !tcp ? HTTP_METRICS : http ? [...DEFAULT_METRICS, ...HTTP_METRICS] : DEFAULT_METRICS;
  const restart = all.some((r) => r.summary.restart !== undefined) ? ['summary.restart.ok', 'summary.restart.unavailableMs'] : [];
  // The router's refusals, judged as the kernel's trouble counters are, where a lab is compared.
  const router = all.some((r) => labOf(r) !== null) ? ROUTER_FIGURES : [];
  const list = [
    ...new Set([
      ...base,
      ...restart,
      'summary.errors.total',
      ...codes((r) => r.summary.errors).map((c) => `summary.errors.${c}`),
      ...codes((r) => r.summary.serverErrors).map((c) => `summary.serverErrors.${c}`),
      ...TROUBLE_COUNTERS.map((c) => `summary.kernel.${c}`),
      ...router,
    ]),
  ];
  let chosen = list;
  if (selectors.length > 0) {
    chosen = [];
    for (const raw of selectors) {
      const selector = fullPath(raw);
      const matched = list.filter((p) => p === selector || p.startsWith(`${selector}.`));
      chosen.push(...(matched.length > 0 ? matched : [selector]));
    }
    chosen = [...new Set(chosen)];
  }
  return chosen.map(specOf);
}

/** Problems with --metric selectors, checked before anything is compared. */
export function checkSelectors(selectors: string[]): string[] {
  const problems: string[] = [];
  const known = [...DEFAULT_METRICS, ...HTTP_METRICS, ...ROUTER_FIGURES, 'summary.errors', 'summary.serverErrors', 'summary.kernel', 'summary.restart.ok'];
  for (const raw of selectors) {
    const selector = fullPath(raw);
    if (known.some((p) => p === selector || p.startsWith(`${selector}.`))) continue;
    const resolved = resolvePath(selector);
    if (!resolved.ok) problems.push(`--metric ${raw}: ${resolved.problem}`);
  }
  return problems;
}

/** A --metric selector as a full path: "summary." may be left off, except before a lab's router figures (lab.router…). */
const fullPath = (raw: string): string => (raw.startsWith('summary.') || raw.startsWith('lab.') ? raw : `summary.${raw}`);
