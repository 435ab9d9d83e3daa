// Thresholds: validate before a run (from the scenario alone), evaluate after it (against the
// result). Validation and evaluation share one parser, so a threshold that validated cannot
// fail to evaluate for a reason validation would have caught.
import type { RunResult } from '../result/model.js';
import { compare, parseExpression } from './expression.js';
import { readFigure, resolvePath, unrecordedBy, type RunKind } from '../result/figure-paths.js';
import { isMapping } from '../util/is-mapping.js';

export interface ThresholdOutcome {
  path: string;
  expression: string;
  /** The figure as measured; null when it did not happen (e.g. no exhaustion) or is not in the result. */
  measured: number | null;
  pass: boolean;
  /** Why it failed without a comparison (bad path or expression, no measured value). */
  reason?: string;
}

/**
 * One line per problem, in the scenario loader's style ("FILE: field: what is wrong"),
 * empty when every threshold is valid. Needs no result, so `run` can refuse before starting.
 * Takes the raw, not yet validated value (the loader runs it alongside the schema, so a typo
 * here is reported with the file's other problems): what is not a mapping of strings is the
 * schema's to report. Given the raw scenario too, a figure its runs never record (requests
 * under tcp, close latency under an undici client) is refused as well, in any matrix variant.
 */
export function validateThresholds(thresholds: unknown, source: string, scenario?: unknown): string[] {
  const problems: string[] = [];
  if (typeof thresholds !== 'object' || thresholds === null || Array.isArray(thresholds)) return problems;
  const kinds = runKinds(scenario);
  for (const [path, expression] of Object.entries(thresholds)) {
    if (typeof expression !== 'string') continue;
    const resolved = resolvePath(path);
    if (!resolved.ok) problems.push(`${source}: thresholds.${path}: ${resolved.problem}`);
    else {
      const never = kinds.map((kind) => unrecordedBy(resolved.segments, kind)).find((why) => why !== null);
      if (never) problems.push(`${source}: thresholds.${path}: ${never}${kinds.length > 1 ? ' (in a matrix variant)' : ''}`);
    }
    const parsed = parseExpression(String(expression));
    if (!parsed.ok) problems.push(`${source}: thresholds.${path}: ${parsed.problem}`);
  }
  return problems;
}

/**
 * The kinds of run a raw scenario makes: its protocol and HTTP client, each taken from the
 * matrix when it varies them. Values the schema refuses are left out (it says so itself).
 */
function runKinds(raw: unknown): RunKind[] {
  if (!isMapping(raw)) return [];
  const matrix = isMapping(raw['matrix']) ? raw['matrix'] : {};
  const http = isMapping(raw['http']) ? raw['http'] : {};
  const values = (key: string, single: unknown): unknown[] => (Array.isArray(matrix[key]) ? matrix[key] : [single]);
  const environment = isMapping(raw['environment']) ? raw['environment'] : {};
  const protocols = values('protocol', raw['protocol'] ?? 'tcp').filter((p): p is RunKind['protocol'] => p === 'tcp' || p === 'http');
  const clients = values('http.client', http['client'] ?? 'keepalive').filter((c): c is string => typeof c === 'string');
  const topologies = values('environment.topology', environment['topology'] ?? 'loopback').filter((t) => t === 'loopback' || t === 'routed');
  return topologies.flatMap((topology) =>
    protocols.flatMap((protocol): RunKind[] =>
      (protocol === 'tcp' ? ['keepalive'] : clients).map((httpClient) => ({ protocol, httpClient, routed: topology === 'routed' })),
    ),
  );
}

export function evaluateThresholds(thresholds: Record<string, string>, result: RunResult): ThresholdOutcome[] {
  return Object.entries(thresholds).map(([path, expression]) => {
    const resolved = resolvePath(path);
    if (!resolved.ok) return { path, expression, measured: null, pass: false, reason: resolved.problem };
    const parsed = parseExpression(String(expression));
    if (!parsed.ok) return { path, expression, measured: null, pass: false, reason: parsed.problem };
    const measured = readFigure(result, resolved);
    if (measured === null) {
      // A gate on something that did not happen cannot be said to pass: "exhaustedAtMs > 5000"
      // with no exhaustion at all is ambiguous, so it fails and says why.
      return { path, expression, measured, pass: false, reason: 'no value in this result (it did not happen, or the result predates this figure)' };
    }
    return { path, expression, measured, pass: compare(measured, parsed.comparison) };
  });
}
