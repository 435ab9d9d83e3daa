// The comparison as GitHub-flavoured Markdown, for a CI job summary ($GITHUB_STEP_SUMMARY).
// Only regressions and improvements are listed in full per scenario, with each side's median
// and (min–max) over its repeats and why the figure was called what it was (p-value, range rule,
// or "no noise estimate" for a single run); unchanged figures are counted, so a summary of twenty
// scenarios stays readable.
// Every name, path and note is escaped (escapeMarkdown): a scenario name from a result file must
// not add HTML, a link or a table column to a CI job summary.
import { escapeMarkdown as cell } from '../util/escape.js';
import type { CompareReport } from './compare.js';
import { change, reasonOf, rowMetric, spread } from './render-common.js';

export function renderCompareMarkdown(report: CompareReport): string {
  const out: string[] = [];
  out.push(`## twstorm compare: ${report.failed ? '❌ regression' : '✅ no regression'}`, '');
  // Paths as escaped text, not code spans: a backtick in a path would end a code span, and
  // inside one a backslash escape does not work.
  out.push(
    `Baseline ${cell(report.baseline)}, current ${cell(report.current)}, tolerance ${report.tolerancePct}% ` +
      `(${report.singleRunTolerancePct}% for rates and latencies where a side is a single run), confidence ${report.confidence}. ` +
      'Baseline and current are medians over the runs, with (min–max) when they differ.',
    '',
  );
  out.push('| scenario | metric | baseline | current | change | status | why |', '| --- | --- | ---: | ---: | ---: | --- | --- |');
  for (const s of report.scenarios) {
    const shown = s.metrics.filter((m) => m.status === 'regression' || m.status === 'improvement');
    for (const m of shown) {
      const status = m.status === 'regression' ? '❌ regression' : '✅ improved';
      out.push(
        `| ${cell(s.scenario)} | ${cell(rowMetric(m))} | ${cell(spread(m.baselineSpread, m.baseline))} | ` +
          `${cell(spread(m.currentSpread, m.current))} | ${cell(change(m))} | ${status} | ${cell(reasonOf(m, s, report))} |`,
      );
    }
    // Not "within tolerance": a figure can move beyond it and still not count (within the noise,
    // moved with the runner's load, too few repeats to reach the confidence); the notes say which
    // limits apply (an audit: conn/s −46 % listed among "29 other figures … within tolerance").
    const quiet = s.metrics.length - shown.length;
    const single = s.noiseEstimate ? '' : `; ${s.baselineFiles.length} vs ${s.currentFiles.length} run(s): no noise estimate, single-run tolerance ${report.singleRunTolerancePct}% applies to rates and latencies`;
    const why = single !== '' ? single.slice(2) : s.noise.length > 0 ? 'see the notes below' : '';
    if (quiet > 0) out.push(`| ${cell(s.scenario)} | ${quiet} other figure${quiet === 1 ? '' : 's'} | | | | not flagged | ${cell(why)} |`);
  }
  for (const name of report.missing) out.push(`| ${cell(name)} | — | | | | ❌ missing from current | |`);
  for (const name of report.added) out.push(`| ${cell(name)} | — | | | | new, no baseline | |`);
  const noisy = report.scenarios.filter((s) => s.noise.length > 0);
  if (noisy.length > 0) {
    out.push('', '**Notes** — what limits these verdicts (runs not made the same way, too few repeats):', '');
    for (const s of noisy) for (const note of s.noise) out.push(`- ${cell(s.scenario)}: ${cell(note)}`);
  }
  return `${out.join('\n')}\n`;
}
