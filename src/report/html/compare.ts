// The comparison table: one row per run (matrix variant), the figures that tell them apart,
// with the best and worst of each column marked in words and symbols (not by colour alone).
// Which columns are ranked, which way, and per how much work is the compare gate's rule
// (src/compare/metrics.ts, rankRuns): an HTTP matrix ranks requests/s and request latency, never
// conn/s, so a keep-alive run is not "worst" for needing few connections.
import { rankRuns, type Rank } from '../../compare/metrics.js';
import type { RunResult } from '../../result/model.js';
import { int, ms } from '../../util/format.js';
import { exhaustedAfterMs, timeWaitSide } from '../../result/figures.js';
import { oneChange } from '../verdict.js';
import { runLabels } from '../../result/provenance.js';
import { kernelCounters } from '../../result/lab.js';
import { routerRefusedPackets } from '../../result/lab.js';

export type { Rank };

export interface Cell {
  text: string;
  rank: Rank;
}

export interface ComparisonTable {
  /** 'run', then one per cell. */
  headers: string[];
  /** Per cell column: words that may wrap (left-aligned) rather than a figure. */
  textual: boolean[];
  /** `change`: the verdict's one change, a sentence: drawn as a full-width row under the run's figures, never as a column that would push the table past the page. */
  rows: Array<{ run: string; cells: Cell[]; change: string }>;
}

interface Column {
  header: string;
  value: (r: RunResult) => number | null;
  text: (r: RunResult) => string;
  /** The summary figure the column shows, ranked by the shared rule; null: not ranked (a description, not a score). */
  path: string | null;
  /** Words that may wrap (error lists), not a single figure. */
  textual?: boolean;
}

const COLUMNS: Column[] = [
  {
    header: 'TIME_WAIT peak (side)',
    value: (r) => r.summary.timeWait.peak,
    text: (r) => `${int(r.summary.timeWait.peak)} (${timeWaitSide(r.summary.timeWait)})`,
    path: 'summary.timeWait.peak',
  },
  {
    header: 'failed (by code)',
    value: (r) => r.summary.connections.failed,
    text: (r) => {
      const codes = Object.entries(r.summary.errors).map(([code, n]) => `${code} ${int(n)}`);
      return `${int(r.summary.connections.failed)}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`;
    },
    path: 'summary.connections.failed',
    textual: true,
  },
  {
    header: 'server errors',
    value: (r) => Object.values(r.summary.serverErrors).reduce((a, b) => a + b, 0),
    text: (r) => Object.entries(r.summary.serverErrors).map(([code, n]) => `${code} ${int(n)}`).join(', ') || '0',
    path: 'summary.serverErrors.total',
    textual: true,
  },
  { header: 'conn/s', value: (r) => r.summary.connections.ratePerSec, text: (r) => int(r.summary.connections.ratePerSec), path: 'summary.connections.ratePerSec' },
  {
    header: 'connect p99 (ms)',
    value: (r) => r.summary.latencyMs.connect.p99,
    text: (r) => ms(r.summary.latencyMs.connect.p99),
    path: 'summary.latencyMs.connect.p99',
  },
  // Every host's, as the verdict counts them (a routed lab's server host sends its own).
  { header: 'RSTs sent', value: (r) => kernelCounters(r)['TcpOutRsts'] ?? 0, text: (r) => int(kernelCounters(r)['TcpOutRsts'] ?? 0), path: null },
  { header: 'ports ran out at', value: () => null, text: (r) => (r.summary.ports.exhaustedAtMs === null ? 'never' : `${ms(exhaustedAfterMs(r))} ms`), path: null },
];

/**
 * HTTP runs: requests/s and requests per connection, after conn/s. Keep-alive against churn is
 * told by these two (many requests per connection, or one), which conn/s alone cannot show.
 */
const REQUEST_COLUMNS: Column[] = [
  {
    header: 'requests/s',
    value: (r) => r.summary.requests?.ratePerSec ?? null,
    text: (r) => (r.summary.requests ? int(r.summary.requests.ratePerSec) : '–'),
    path: 'summary.requests.ratePerSec',
  },
  {
    header: 'requests per connection',
    value: (r) => r.summary.requests?.perConnection ?? null,
    text: (r) => (r.summary.requests ? String(r.summary.requests.perConnection) : '–'),
    path: 'summary.requests.perConnection',
  },
  {
    header: 'request p99 (ms)',
    value: (r) => (r.summary.requests ? r.summary.latencyMs.total.p99 : null),
    text: (r) => (r.summary.requests ? ms(r.summary.latencyMs.total.p99) : '–'),
    path: 'summary.latencyMs.total.p99',
  },
  {
    header: 'requests failed',
    value: (r) => r.summary.requests?.failed ?? null,
    text: (r) => (r.summary.requests ? `${int(r.summary.requests.failed)} of ${int(r.summary.requests.total)}` : '–'),
    path: 'summary.requests.failed',
  },
];

/** Routed labs: packets of new flows the router refused (conntrack, an emulated full table); – for a run with no router. */
const ROUTER_COLUMN: Column = {
  header: 'router refused',
  value: routerRefusedPackets,
  text: (r) => {
    const n = routerRefusedPackets(r);
    return n === null ? '–' : int(n);
  },
  path: null,
};

/** The columns for these runs: the request columns only when some run has request figures, the router's when some run is a lab. */
function columnsFor(results: RunResult[]): Column[] {
  const router = results.some((r) => routerRefusedPackets(r) !== null) ? [ROUTER_COLUMN] : [];
  if (!results.some((r) => r.summary.requests !== undefined)) return [...COLUMNS, ...router];
  const at = COLUMNS.findIndex((c) => c.header === 'conn/s') + 1;
  return [...COLUMNS.slice(0, at), ...REQUEST_COLUMNS, ...COLUMNS.slice(at), ...router];
}

export function comparisonTable(results: RunResult[]): ComparisonTable {
  const columns = columnsFor(results);
  const ranks = columns.map((column) => (column.path === null ? results.map(() => null) : rankRuns(column.path, results, results.map(column.value))));
  const labels = runLabels(results);
  return {
    headers: ['run', ...columns.map((c) => c.header)],
    textual: columns.map((c) => c.textual === true),
    rows: results.map((r, i) => ({
      run: labels.get(r)!,
      cells: columns.map((column, j) => ({ text: column.text(r), rank: ranks[j]![i] ?? null })),
      change: oneChange(r).change,
    })),
  };
}
