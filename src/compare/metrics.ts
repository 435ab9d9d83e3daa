// Which figures a comparison looks at, how each is judged, and which way is worse.
//  - count:   what the kernel and the driver count exactly (errors by errno, TIME_WAIT per side,
//             ports, kernel counters, the restart outcome, server errors). Judged as counts: a
//             code that was never seen and now is, or a restart that now fails, is always a
//             finding; otherwise the change must pass the tolerance and leave the baseline's range.
//  - rate / latency: what timing decides. Judged against the noise each side's repeats show
//             (a rank test, see stats.ts) as well as the tolerance.
// Any other summary figure can be named with --metric; only the throughput-like ones count
// higher as better.
import { resolvePath } from '../thresholds/index.js';
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

/** Kernel counters where more means trouble (opens, TW ends and the like only measure the work). */
export const BAD_KERNEL_COUNTERS: readonly string[] = [
  'TcpAttemptFails',
  'TcpEstabResets',
  'TcpRetransSegs',
  'TcpExtTCPTimeWaitOverflow',
  'TcpExtTCPAbortOnTimeout',
  'TcpExtListenOverflows',
  'TcpExtListenDrops',
  'TcpExtTCPSynRetrans',
];

const COUNTS: readonly string[] = [
  'summary.connections.failed',
  'summary.timeWait.peak',
  'summary.timeWait.peakClient',
  'summary.timeWait.peakServer',
  'summary.ports.distinct',
  'summary.ports.peakInUse',
];

export const DEFAULT_METRICS: readonly string[] = [
  'summary.connections.ratePerSec',
  ...LATENCIES.flatMap((l) => PERCENTILES.map((p) => `summary.latencyMs.${l}.${p}`)),
  ...COUNTS,
];

/**
 * HTTP runs: their throughput is requests, their latency the request's (first byte and whole
 * response); connections per second would rank a keep-alive run, which needs few, as the worst.
 */
export const HTTP_METRICS: readonly string[] = [
  'summary.requests.ratePerSec',
  ...['firstByte', 'total'].flatMap((l) => PERCENTILES.map((p) => `summary.latencyMs.${l}.${p}`)),
  'summary.requests.failed',
  'summary.requests.perConnection',
  ...COUNTS.filter((p) => !p.startsWith('summary.ports.')),
];

const HIGHER_IS_BETTER = /^summary\.(connections\.(ratePerSec|established|completed|attempted)|requests\.(ratePerSec|ok|total|perConnection)|bytes\.(sent|received)|restart\.ok)/;
const RATES = /^summary\.(connections\.ratePerSec|requests\.(ratePerSec|perConnection))$/;
const LATENCY = /^summary\.(latencyMs|lingerBlockedMs)\.|^summary\.restart\.unavailableMs$|ReuseIntervalMs$/;
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
  const list = [
    ...new Set([
      ...base,
      ...restart,
      'summary.errors.total',
      ...codes((r) => r.summary.errors).map((c) => `summary.errors.${c}`),
      ...codes((r) => r.summary.serverErrors).map((c) => `summary.serverErrors.${c}`),
      ...BAD_KERNEL_COUNTERS.map((c) => `summary.kernel.${c}`),
    ]),
  ];
  let chosen = list;
  if (selectors.length > 0) {
    chosen = [];
    for (const raw of selectors) {
      const selector = raw.startsWith('summary.') ? raw : `summary.${raw}`;
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
  const known = [...DEFAULT_METRICS, ...HTTP_METRICS, 'summary.errors', 'summary.serverErrors', 'summary.kernel', 'summary.restart.ok'];
  for (const raw of selectors) {
    const selector = raw.startsWith('summary.') ? raw : `summary.${raw}`;
    if (selector === 'summary.errors.total' || known.some((p) => p === selector || p.startsWith(`${selector}.`))) continue;
    const resolved = resolvePath(selector);
    if (!resolved.ok) problems.push(`--metric ${raw}: ${resolved.problem}`);
  }
  return problems;
}
