// The terminal table for several runs of one scenario (matrix variants): one row each, the
// figures that tell variants apart, the best (▲) and worst (▼) of each ranked column marked by
// the same rule as the HTML table and the compare gate (src/compare/metrics.ts, rankRuns).
// HTTP runs show requests/s and request latency, the figures they are ranked on.
import { rankRuns, type Rank } from '../compare/metrics.js';
import type { RunResult } from '../result/model.js';
import { int, ms } from '../util/format.js';
import { stripControl } from '../util/escape.js';
import { runLabel } from '../result/provenance.js';
import { routerRefusedPackets } from '../result/lab.js';

interface Column {
  header: string;
  /** The summary figure, ranked by the shared rule; null: shown, not ranked. */
  path: string | null;
  value: (r: RunResult) => number | null;
  text: (r: RunResult) => string;
}

const num = (header: string, path: string | null, value: (r: RunResult) => number | null, format: (v: number) => string): Column => ({
  header,
  path,
  value,
  text: (r) => {
    const v = value(r);
    return v === null ? '–' : format(v);
  },
});

const BEFORE_RATES: Column[] = [
  num('established', null, (r) => r.summary.connections.established, int),
  num('failed', 'summary.connections.failed', (r) => r.summary.connections.failed, int),
  num('TIME_WAIT client', 'summary.timeWait.peakClient', (r) => r.summary.timeWait.peakClient, int),
  num('server', 'summary.timeWait.peakServer', (r) => r.summary.timeWait.peakServer, int),
];
const TCP_RATES: Column[] = [
  num('conn/s', 'summary.connections.ratePerSec', (r) => r.summary.connections.ratePerSec, int),
  num('connect p99 ms', 'summary.latencyMs.connect.p99', (r) => r.summary.latencyMs.connect.p99, ms),
];
const HTTP_RATES: Column[] = [
  num('conn/s', 'summary.connections.ratePerSec', (r) => r.summary.connections.ratePerSec, int),
  num('req/s', 'summary.requests.ratePerSec', (r) => r.summary.requests?.ratePerSec ?? null, int),
  num('req/conn', 'summary.requests.perConnection', (r) => r.summary.requests?.perConnection ?? null, String),
  num('request p99 ms', 'summary.latencyMs.total.p99', (r) => (r.summary.requests ? r.summary.latencyMs.total.p99 : null), ms),
];

const MARK: Record<'best' | 'worst', string> = { best: ' ▲', worst: ' ▼' };
const marked = (text: string, rank: Rank): string => (rank === null ? text : `${text}${MARK[rank]}`);

/** Routed labs: what the router refused, the figure a matrix over router.nat or conntrack is about. */
const ROUTER: Column = num('router refused', null, routerRefusedPackets, int);

export function renderTerminalComparison(results: RunResult[]): string {
  const http = results.some((r) => r.summary.requests !== undefined);
  const columns = [...BEFORE_RATES, ...(http ? HTTP_RATES : TCP_RATES), ...(results.some((r) => routerRefusedPackets(r) !== null) ? [ROUTER] : [])];
  const ranks = columns.map((c) => (c.path === null ? results.map(() => null) : rankRuns(c.path, results, results.map(c.value))));
  const headers = ['variant', ...columns.map((c) => c.header), 'errors'];
  const rows = results.map((r, i) => {
    const errors = stripControl(Object.entries(r.summary.errors).map(([code, n]) => `${code} ${int(n)}`).join(', ')) || '–';
    return [stripControl(runLabel(r)), ...columns.map((c, j) => marked(c.text(r), ranks[j]![i] ?? null)), errors];
  });
  const widths = headers.map((h, i) => rows.reduce((w, row) => Math.max(w, row[i]!.length), h.length));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const legend = ranks.some((col) => col.some((x) => x !== null))
    ? [
        `▲ best ▼ worst of a column (rates higher is better, the rest lower${http ? '; HTTP runs are ranked on requests, not conn/s' : ''}; ` +
          'TIME_WAIT per 1,000 units of work when the runs did different amounts)',
      ]
    : [];
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line), ...legend].join('\n');
}
