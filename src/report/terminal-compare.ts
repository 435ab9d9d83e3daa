// The terminal table for several runs of one scenario (matrix variants): one row each, the
// figures that tell variants apart.
import type { RunResult } from '../result/model.js';
import { int, ms } from '../util/format.js';
import { stripControl } from './escape.js';

const HEADERS = ['variant', 'established', 'failed', 'TIME_WAIT client', 'server', 'conn/s', 'connect p99 ms', 'errors'];

export function renderTerminalComparison(results: RunResult[]): string {
  const rows = results.map((r) => {
    const s = r.summary;
    const errors = stripControl(Object.entries(s.errors).map(([code, n]) => `${code} ${int(n)}`).join(', ')) || '–';
    return [
      stripControl(r.variant?.label ?? r.scenario.name),
      int(s.connections.established),
      int(s.connections.failed),
      int(s.timeWait.peakClient),
      int(s.timeWait.peakServer),
      int(s.connections.ratePerSec),
      ms(s.latencyMs.connect.p99),
      errors,
    ];
  });
  const widths = HEADERS.map((h, i) => rows.reduce((w, row) => Math.max(w, row[i]!.length), h.length));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(HEADERS), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}
