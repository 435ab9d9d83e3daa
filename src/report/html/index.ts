// renderHtmlReport: one result → the single-run report; several (matrix variants, or any saved
// results) → the comparison report. Pure rendering: reads the results, never re-runs anything.
import type { RunResult } from '../../result/model.js';
import { VERSION } from '../../version.js';
import { verdict } from '../verdict.js';
import { loadChartAssets } from './assets.js';
import { comparisonTable } from './compare.js';
import { latencyCharts, percentileRows } from './latency.js';
import { renderPage, scenarioNames } from './page.js';
import { reuseChart } from './reuse.js';
import { shareTimeAxis, timelineCharts } from './timeline.js';
import { labCharts } from './lab.js';
import { downsampleForDrawing } from './chart-spec.js';
import { connectFillCharts } from './connect-fill.js';
import { runLabels } from '../../result/provenance.js';

export interface HtmlReportOptions {
  /** Page title; defaults to the scenario name(s). */
  title?: string;
  /** Timestamp printed in the footer; defaults to now (tests pin it for stable output). */
  generatedAt?: Date;
}

export async function renderHtmlReport(results: RunResult[], options: HtmlReportOptions = {}): Promise<string> {
  if (results.length === 0) throw new Error('renderHtmlReport: no result to render (pass at least one RunResult)');
  const names = scenarioNames(results);
  const title =
    options.title ??
    (results.length === 1 ? `twstorm: ${names[0]}` : `twstorm: ${names.join(', ')} — ${results.length} runs compared`);
  const [assets, latency, reuse] = await Promise.all([loadChartAssets(), latencyCharts(results), reuseChart(results)]);
  const timeline = timelineCharts(results);
  const lab = labCharts(results);
  const connect = connectFillCharts(results);
  shareTimeAxis([...timeline, ...lab, ...connect.time]);
  return renderPage({
    title,
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    version: VERSION,
    results,
    labels: runLabels(results),
    verdicts: results.map(verdict),
    comparison: results.length > 1 ? comparisonTable(results) : null,
    // Long runs hold more points than a screen has pixels; draw a min/max-preserving subset.
    timeline: timeline.map((c) => downsampleForDrawing(c)),
    lab: lab.map((c) => downsampleForDrawing(c)),
    latency: latency.charts,
    latencyNotes: latency.notes,
    reuse,
    connect: { time: connect.time.map((c) => downsampleForDrawing(c)), held: connect.held },
    percentiles: percentileRows(results),
    assets,
  });
}


export type { ChartSpec } from './chart-spec.js';
