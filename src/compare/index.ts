/** Comparing runs against a baseline: pairing, figure-by-figure comparison, renderers. */
export { CompareInputError, readResultFile, resultKey, type Pairing, type LoadedResult } from './load.js';
export { pairResults, pairResultSets, type SetPairing } from './sets.js';
export { mannWhitneyGreaterP, median, spreadOf, type Spread } from './stats.js';
export { compareResults, compareFigure, judge, DEFAULT_CONFIDENCE, DEFAULT_TOLERANCE_PCT, DEFAULT_SINGLE_RUN_TOLERANCE_PCT, type CompareReport, type CompareOptions, type MetricComparison, type ScenarioComparison, type Status } from './compare.js';
export { DEFAULT_METRICS, HTTP_METRICS, checkSelectors, betterOf, kindOf, specOf, type MetricKind, type MetricSpec } from './metrics.js';
export { environmentNotes } from './noise.js';
export { renderCompareTerminal } from './render-terminal.js';
export { renderCompareMarkdown } from './render-markdown.js';
export { renderCompareJunit, xmlEscape } from './render-junit.js';
