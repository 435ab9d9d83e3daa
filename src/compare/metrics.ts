// Which figures a comparison looks at, and which way is worse. Throughput falls, latency,
// errors and TIME_WAIT rise: those are the regressions. Any other summary figure can be
// named with --metric; only the throughput-like ones count higher as better.
import { resolvePath } from '../thresholds/index.js';
import type { RunResult } from '../metrics/result.js';

export type Better = 'higher' | 'lower';

export interface MetricSpec {
  path: string;
  better: Better;
}

const LATENCIES = ['connect', 'firstByte', 'total', 'close'];
const PERCENTILES = ['p50', 'p90', 'p99'];

export const DEFAULT_METRICS: readonly string[] = [
  'summary.connections.ratePerSec',
  ...LATENCIES.flatMap((l) => PERCENTILES.map((p) => `summary.latencyMs.${l}.${p}`)),
  'summary.timeWait.peak',
  'summary.timeWait.peakClient',
  'summary.timeWait.peakServer',
];

/** HTTP runs: their throughput is requests, and keep-alive shows as requests per connection. */
export const HTTP_METRICS: readonly string[] = ['summary.requests.ratePerSec', 'summary.requests.perConnection', 'summary.requests.failed'];

const HIGHER_IS_BETTER = /^summary\.(connections\.(ratePerSec|established|completed)|requests\.(ratePerSec|ok|perConnection)|bytes\.)/;

export const betterOf = (path: string): Better => (HIGHER_IS_BETTER.test(path) ? 'higher' : 'lower');

/**
 * The metric list for one pair. Error codes are added per pair (every code either run saw,
 * so a new kind of error shows up by name). `selectors` narrow the list: each is a figure
 * path or a prefix of one, with or without "summary."; a full path outside the defaults adds it.
 */
export function metricsFor(baseline: RunResult, current: RunResult, selectors: string[]): MetricSpec[] {
  const codes = [...new Set([...Object.keys(baseline.summary.errors), ...Object.keys(current.summary.errors)])].sort();
  const http = baseline.summary.requests !== undefined || current.summary.requests !== undefined ? HTTP_METRICS : [];
  const all = [...DEFAULT_METRICS, ...http, 'summary.errors.total', ...codes.map((c) => `summary.errors.${c}`)];
  let chosen = all;
  if (selectors.length > 0) {
    chosen = [];
    for (const raw of selectors) {
      const selector = raw.startsWith('summary.') ? raw : `summary.${raw}`;
      const matched = all.filter((p) => p === selector || p.startsWith(`${selector}.`));
      chosen.push(...(matched.length > 0 ? matched : [selector]));
    }
    chosen = [...new Set(chosen)];
  }
  return chosen.map((path) => ({ path, better: betterOf(path) }));
}

/** Problems with --metric selectors, checked before anything is compared. */
export function checkSelectors(selectors: string[]): string[] {
  const problems: string[] = [];
  const known = [...DEFAULT_METRICS, ...HTTP_METRICS, 'summary.errors'];
  for (const raw of selectors) {
    const selector = raw.startsWith('summary.') ? raw : `summary.${raw}`;
    if (selector === 'summary.errors.total' || known.some((p) => p === selector || p.startsWith(`${selector}.`))) continue;
    const resolved = resolvePath(selector);
    if (!resolved.ok) problems.push(`--metric ${raw}: ${resolved.problem}`);
  }
  return problems;
}
