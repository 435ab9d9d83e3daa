// The comparison as JUnit XML: one <testsuite> per scenario, one <testcase> per scenario ×
// metric, a <failure> for each regression. Each case carries, in its failure text or its
// <system-out>, both sides' median (min–max) over the repeats and why it was or was not called a
// regression (p-value, range rule, or "no noise estimate" for a single run). CI systems (GitHub via actions, GitLab, Jenkins)
// show these as test results. Everything user-supplied is escaped, and characters XML 1.0
// forbids (control characters other than tab, newline, carriage return) are dropped.
import { escapeXml as xmlEscape } from '../util/escape.js';
import type { CompareReport } from './compare.js';
import { reasonOf, shortMetric, spread, why } from './render-common.js';

export { xmlEscape };

const attr = (name: string, v: string | number): string => `${name}="${xmlEscape(String(v))}"`;

export function renderCompareJunit(report: CompareReport): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  for (const s of report.scenarios) {
    const cases = s.metrics.map((m) => {
      const name = attr('name', shortMetric(m.metric));
      const classname = attr('classname', `twstorm.compare.${s.scenario}`);
      const detail =
        `${shortMetric(m.metric)}: baseline ${spread(m.baselineSpread, m.baseline)} (${m.baselineSpread?.n ?? 0} run(s)), ` +
        `current ${spread(m.currentSpread, m.current)} (${m.currentSpread?.n ?? 0} run(s)), ${m.better} is better; ${reasonOf(m, s, report)}`;
      if (m.status === 'regression') {
        return `    <testcase ${classname} ${name} time="0">\n      <failure ${attr('message', why(m, report.tolerancePct))} type="regression">${xmlEscape(detail)}</failure>\n    </testcase>`;
      }
      if (m.status === 'n/a') {
        return `    <testcase ${classname} ${name} time="0">\n      <skipped ${attr('message', 'no value in one of the runs')}/>\n    </testcase>`;
      }
      return `    <testcase ${classname} ${name} time="0">\n      <system-out>${xmlEscape(detail)}</system-out>\n    </testcase>`;
    });
    const props = s.noise.map((n) => `      <property name="noise" ${attr('value', n)}/>`);
    tests += s.metrics.length;
    failures += s.regressions;
    const skipped = s.metrics.filter((m) => m.status === 'n/a').length;
    suites.push(
      `  <testsuite ${attr('name', s.scenario)} ${attr('tests', s.metrics.length)} ${attr('failures', s.regressions)} errors="0" ${attr('skipped', skipped)}>\n` +
        (props.length > 0 ? `    <properties>\n${props.join('\n')}\n    </properties>\n` : '') +
        `${cases.join('\n')}\n  </testsuite>`,
    );
  }
  for (const name of report.missing) {
    tests++;
    failures++;
    suites.push(
      `  <testsuite ${attr('name', name)} tests="1" failures="1" errors="0" skipped="0">\n` +
        `    <testcase ${attr('classname', `twstorm.compare.${name}`)} name="result present" time="0">\n` +
        `      <failure message="in the baseline but no current result" type="missing">${xmlEscape(`no current result for scenario ${name}; did its run fail?`)}</failure>\n` +
        `    </testcase>\n  </testsuite>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="twstorm compare" ${attr('tests', tests)} ${attr('failures', failures)} errors="0">\n${suites.join('\n')}\n</testsuites>\n`
  );
}
