// The spread of a repeat set: for every headline figure, the median and the min–max over the
// repeats. One place defines the headline figures, so the terminal summary and the HTML report
// show the same rows.
import type { RunResult } from './model.js';
import { figureAt } from './figure-paths.js';
import { repeatOf } from './provenance.js';
import { costUnit } from './figures.js';

export const HEADLINE_FIGURES: ReadonlyArray<{ path: string; label: string; http?: boolean; tcp?: boolean }> = [
  { path: 'summary.connections.ratePerSec', label: 'connections/s' },
  { path: 'summary.requests.ratePerSec', label: 'requests/s', http: true },
  { path: 'summary.latencyMs.connect.p50', label: 'connect p50 ms' },
  { path: 'summary.latencyMs.connect.p99', label: 'connect p99 ms' },
  { path: 'summary.latencyMs.firstByte.p50', label: 'first byte p50 ms' },
  { path: 'summary.latencyMs.firstByte.p99', label: 'first byte p99 ms' },
  { path: 'summary.latencyMs.total.p50', label: 'total p50 ms' },
  { path: 'summary.latencyMs.total.p99', label: 'total p99 ms' },
  { path: 'summary.connections.failed', label: 'failed connections' },
  { path: 'summary.errors.total', label: 'client errors' },
  { path: 'summary.timeWait.peakClient', label: 'TIME_WAIT peak, client' },
  { path: 'summary.timeWait.peakServer', label: 'TIME_WAIT peak, server' },
  { path: 'summary.ports.distinct', label: 'distinct ports', tcp: true },
  // Per connection, or per request under HTTP: the label is the runs' load.costUnit.
  { path: 'summary.driver.cpuMsPer1000', label: 'driver CPU ms / 1k' },
];

export interface SpreadRow {
  path: string;
  label: string;
  median: number;
  min: number;
  max: number;
  /** Half the min–max range relative to the median, in percent: how much identical runs moved. */
  spreadPct: number | null;
}

export interface RepeatSpread {
  /** Scenario name and, for a matrix, the variant label. */
  key: string;
  runs: number;
  rows: SpreadRow[];
}

const keyOf = (r: RunResult): string => (r.variant ? `${r.scenario.name} [${r.variant.label}]` : r.scenario.name);


const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One spread per repeat set among `results` (results that are not repeats are left out). */
export function repeatSpreads(results: RunResult[]): RepeatSpread[] {
  const sets = new Map<string, RunResult[]>();
  for (const r of results) {
    const repeat = repeatOf(r);
    if (!repeat || repeat.count < 2) continue;
    const id = `${repeat.set}\u0000${keyOf(r)}`;
    sets.set(id, [...(sets.get(id) ?? []), r]);
  }
  return [...sets.values()].filter((runs) => runs.length >= 2).map((runs) => spreadOf(keyOf(runs[0]!), runs));
}

export function spreadOf(key: string, runs: RunResult[]): RepeatSpread {
  const http = runs.some((r) => r.summary.requests !== undefined);
  const rows: SpreadRow[] = [];
  for (const f of HEADLINE_FIGURES) {
    if ((f.http && !http) || (f.tcp && http)) continue;
    const values = runs.map((r) => figureAt(r, f.path)).filter((v): v is number => v !== null);
    if (values.length === 0) continue;
    const med = median(values);
    const min = Math.min(...values);
    const max = Math.max(...values);
    const label = f.path === 'summary.driver.cpuMsPer1000' ? `${f.label} ${costUnit(runs[0]!) === 'requests' ? 'req' : 'conn'}` : f.label;
    rows.push({ path: f.path, label, median: med, min, max, spreadPct: med === 0 ? null : Math.round(((max - min) / 2 / Math.abs(med)) * 1000) / 10 });
  }
  return { key, runs: runs.length, rows };
}
