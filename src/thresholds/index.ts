/** Thresholds: k6-style pass/fail gates over a result's summary figures. */
export { evaluateThresholds, validateThresholds, type ThresholdOutcome } from './evaluate.js';
export { formatThresholds } from './format.js';
export { OPERATORS, parseExpression, type Comparison, type Operator } from './expression.js';
export { allFigurePaths, readFigure, resolvePath, SUMMARY_SHAPE, type ResolvedPath } from '../result/figure-paths.js';
