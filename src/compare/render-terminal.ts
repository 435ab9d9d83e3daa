// The comparison as a terminal table: one block per scenario, regressions marked so they
// stand out in a CI log, each side's median with its min–max over the repeats, why each figure
// got its status (p-value, range rule, or "no noise estimate" for a single run), then the
// environment notes.
import { stripControl } from '../util/escape.js';
import type { CompareReport } from './compare.js';
import { change, reasonOf, rowMetric, spread } from './render-common.js';

const MARK = { regression: 'REGRESSION', improvement: 'improved', unchanged: '', 'n/a': 'n/a' } as const;

export function renderCompareTerminal(report: CompareReport): string {
  const out: string[] = [];
  out.push(`twstorm compare · baseline ${stripControl(report.baseline)} · current ${stripControl(report.current)} · tolerance ${report.tolerancePct}%`);
  for (const s of report.scenarios) {
    const sides = `${s.baselineFiles.length} vs ${s.currentFiles.length} run${s.currentFiles.length === 1 ? '' : 's'}`;
    out.push('', `${stripControl(s.scenario)}  (${sides}; ${s.regressions === 0 ? 'no regression' : `${s.regressions} regression${s.regressions > 1 ? 's' : ''}`})`);
    const rows = s.metrics.map((m) => [
      stripControl(rowMetric(m)),
      spread(m.baselineSpread, m.baseline),
      spread(m.currentSpread, m.current),
      change(m),
      MARK[m.status],
      stripControl(reasonOf(m, s, report)),
    ]);
    const header = ['metric', 'baseline', 'current', 'change', '', 'why'];
    const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
    const line = (cells: string[]): string =>
      `  ${cells.map((c, i) => (i === 0 || i >= 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd();
    out.push(`  baseline and current: median over the runs, (min–max) when they differ`);
    out.push(line(header));
    for (const r of rows) out.push(line(r));
    for (const note of s.noise) out.push(`  note: ${stripControl(note)}`);
  }
  for (const name of report.missing) out.push('', `${stripControl(name)}: MISSING — in the baseline but no current result (did its run fail?)`);
  for (const name of report.added) out.push('', `${stripControl(name)}: new — no baseline to compare with`);
  out.push('');
  out.push(
    report.failed
      ? `FAILED: ${report.regressions} regression${report.regressions === 1 ? '' : 's'}${report.missing.length ? `, ${report.missing.length} scenario(s) missing` : ''}`
      : `OK: no regression beyond ${report.tolerancePct}% in ${report.scenarios.length} scenario${report.scenarios.length === 1 ? '' : 's'}`,
  );
  return out.join('\n');
}
