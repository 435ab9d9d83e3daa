/** Comparing runs against a baseline: pairing, figure-by-figure comparison, renderers. */
export { CompareInputError, pairResults, readResultFile, type Pairing, type LoadedResult } from './load.js';
export { compareResults, compareFigure, type CompareReport, type CompareOptions, type MetricComparison, type ScenarioComparison, type Status } from './compare.js';
export { DEFAULT_METRICS, checkSelectors, betterOf } from './metrics.js';
export { environmentNotes } from './noise.js';
export { renderCompareTerminal } from './render-terminal.js';
export { renderCompareMarkdown } from './render-markdown.js';
export { renderCompareJunit, xmlEscape } from './render-junit.js';
