// Shared wording for the comparison renderers, so terminal, Markdown and JUnit say the same.
import type { MetricComparison } from './compare.js';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

export const value = (v: number | null): string => (v === null ? '–' : number.format(v));

export function change(m: MetricComparison): string {
  if (m.baseline === null || m.current === null) return '–';
  if (m.changePct === null) return m.current === m.baseline ? '0%' : m.current > m.baseline ? 'new' : 'gone';
  return `${m.changePct > 0 ? '+' : ''}${m.changePct.toFixed(1)}%`;
}

export const shortMetric = (metric: string): string => metric.replace(/^summary\./, '');

export function why(m: MetricComparison, tolerancePct: number): string {
  const direction = m.better === 'higher' ? 'fell' : 'rose';
  return `${shortMetric(m.metric)} ${direction} from ${value(m.baseline)} to ${value(m.current)} (${change(m)}), beyond the ${tolerancePct}% tolerance`;
}
