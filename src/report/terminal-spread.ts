// The spread of each repeat set in the terminal summary: median and min–max of every headline
// figure, so a reader sees how much identical runs moved before trusting a difference.
import type { RunResult } from '../result/model.js';
import { repeatSpreads } from '../result/spread.js';
import { decimalFormat } from '../util/format.js';

const num = decimalFormat(3);

/** Empty string when `results` hold no repeat set. */
export function renderSpreadTerminal(results: RunResult[]): string {
  const out: string[] = [];
  for (const set of repeatSpreads(results)) {
    out.push(`${set.key}: spread over ${set.runs} repeats`);
    const rows = set.rows.map((r) => [r.label, num(r.median), `${num(r.min)} – ${num(r.max)}`, r.spreadPct === null ? '' : `±${r.spreadPct}%`]);
    const header = ['figure', 'median', 'min – max', 'spread'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd();
    out.push(line(header), ...rows.map(line), '');
  }
  return out.join('\n').trimEnd();
}
