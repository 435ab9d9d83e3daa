// Threshold outcomes as terminal lines: a PASS/FAIL word (greppable in CI logs), the
// threshold as written, and what was measured.
import type { ThresholdOutcome } from './evaluate.js';
import { decimalFormat } from '../util/format.js';

const number = decimalFormat(3);

export function formatThresholds(outcomes: ThresholdOutcome[]): string {
  if (outcomes.length === 0) return 'thresholds    none';
  const failed = outcomes.filter((o) => !o.pass).length;
  const head = failed === 0 ? `all ${outcomes.length} passed` : `${failed} of ${outcomes.length} FAILED`;
  const width = Math.max(...outcomes.map((o) => `${o.path} ${o.expression.trim()}`.length));
  const lines = outcomes.map((o) => {
    const text = `${o.path} ${o.expression.trim()}`.padEnd(width);
    const measured = o.measured === null ? 'measured –' : `measured ${number(o.measured)}`;
    return `  ${o.pass ? 'PASS' : 'FAIL'}  ${text}  ${measured}${o.reason ? `  (${o.reason})` : ''}`;
  });
  return [`thresholds    ${head}`, ...lines].join('\n');
}
