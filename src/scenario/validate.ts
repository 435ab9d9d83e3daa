import { ScenarioError } from './errors.js';
import { describeIssue, expectedMessage, formatPath } from './issues.js';
import { parseOverride } from './overrides.js';
import { MATRIX_KEY_PATTERN, scenarioSchema, type Scenario } from './schema.js';
import { sysctlNameProblem } from './sysctls.js';
import { knownKeysAt, schemaAt, type PathSegment } from './schema-walk.js';
import { closest } from '../util/suggest.js';

/** A field set from the command line, so its problems name the `--set` rather than the file. */
export interface Attribution {
  path: readonly PathSegment[];
  source: string;
}

/**
 * A check this package cannot make on its own (it would need the result model or the kernel):
 * given the raw scenario (after `--set`) and its source, the problem lines, each starting with
 * the source. It must accept anything, since the raw data is not validated yet.
 */
export type ScenarioCheck = (raw: Record<string, unknown>, source: string) => string[];

/** Validates an already-parsed object; `source` names it in problem lines (usually the file path). */
export function parseScenario(raw: unknown, source: string): Scenario {
  return validateScenario(raw, source, [], [], unusedFieldProblems(raw, source, []));
}

/**
 * A matrix variant: a parsed scenario (every default filled in, `connections` and `close` too)
 * with the variant's values set. Only what the user wrote is judged for unused fields.
 */
export function parseVariant(raw: unknown, source: string): Scenario {
  return validateScenario(raw, source, []);
}

/**
 * Every problem at once: schema fields, matrix keys, the extra checks and `earlier` (found by
 * the loader), so a user fixes a file in one pass instead of one round per kind of problem.
 */
export function validateScenario(
  raw: unknown,
  source: string,
  attributions: readonly Attribution[],
  checks: readonly ScenarioCheck[] = [],
  earlier: readonly string[] = [],
): Scenario {
  const result = scenarioSchema.safeParse(raw, { error: expectedMessage, reportInput: true });
  const problems = [...earlier];
  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const { path, text } of describeIssue(scenarioSchema, issue)) {
        const origin = attributions.findLast((a) => isPrefix(a.path, path))?.source ?? source;
        problems.push(`${origin}: ${formatPath(scenarioSchema, path)}: ${text}`);
      }
    }
  }
  if (isMapping(raw)) {
    if (isMapping(raw['matrix'])) problems.push(...matrixKeyProblems(Object.keys(raw['matrix']), source));
    for (const check of checks) problems.push(...check(raw, source));
  }
  // Two checks can fail on one value the same way (zod's safe-integer bound and ours): say it once.
  if (problems.length > 0 || !result.success) throw new ScenarioError([...new Set(problems)]);
  return result.data;
}

/**
 * Fields protocol http does not use, with what to set instead. Refused rather than ignored:
 * `--set connections=500` on an HTTP scenario ran its 20,000 requests without a word, and a
 * hand-written `close: { first: server }` under http left TIME_WAIT where the http block put it.
 * A matrix that varies `protocol` keeps both kinds of field, each for its variants, and a file
 * written for tcp that `--set protocol=http` switches keeps its own fields (a `--set` cannot
 * remove them): then only a field the `--set` gives is refused, and the file's matrix keys.
 */
const UNUSED_UNDER_HTTP: Record<string, string> = {
  connections: 'the run counts requests: set http.requests',
  payload: 'the response body is http.body; requests are GET /',
  close: 'who closes is http.client and http.policy',
};

export function unusedFieldProblems(raw: unknown, source: string, attributions: readonly Attribution[], file: unknown = raw): string[] {
  if (!isMapping(raw)) return [];
  const matrixKeys = isMapping(raw['matrix']) ? Object.keys(raw['matrix']) : [];
  if (raw['protocol'] !== 'http' || matrixKeys.includes('protocol')) return [];
  const fileIsHttp = isMapping(file) && file['protocol'] === 'http';
  const problems: string[] = [];
  for (const [field, instead] of Object.entries(UNUSED_UNDER_HTTP)) {
    const given = attributions.findLast((a) => a.path[0] === field)?.source;
    if (Object.hasOwn(raw, field) && (given !== undefined || fileIsHttp)) {
      problems.push(`${given ?? source}: ${field}: not used under protocol http; ${instead}`);
    }
    // A matrix key is refused whoever switched the protocol: every variant would run the same
    // load, and unlike a field, `--set "matrix={}"` can drop it.
    for (const key of matrixKeys.filter((k) => k === field || k.startsWith(`${field}.`))) {
      problems.push(`${source}: matrix.${key}: not used under protocol http; ${instead}${fileIsHttp ? '' : ' (or drop the matrix: --set "matrix={}")'}`);
    }
  }
  return problems;
}

/** Matrix keys must name a scenario field that a variant may change. */
export function matrixKeyProblems(keys: readonly string[], source: string): string[] {
  const problems: string[] = [];
  // A malformed key is already reported by the schema's pattern.
  for (const key of keys.filter((k) => MATRIX_KEY_PATTERN.test(k))) {
    if (key.startsWith('matrix') || key.startsWith('thresholds') || key === 'name') {
      problems.push(`${source}: matrix.${key}: cannot vary ${key.split('.')[0]} in a matrix`);
      continue;
    }
    let path: PathSegment[] | undefined;
    try {
      path = parseOverride(`${key}=0`).path;
    } catch {
      path = undefined;
    }
    if (path === undefined || schemaAt(scenarioSchema, path) === undefined) {
      problems.push(`${source}: matrix.${key}: no such scenario field${path === undefined ? '' : nearestField(path)}`);
    } else if (path[0] === 'environment' && path[1] === 'sysctls' && typeof path[2] === 'string') {
      const problem = sysctlNameProblem(path[2]);
      if (problem) problems.push(`${source}: matrix.${key}: ${problem}`);
    }
  }
  return problems;
}

/**
 * "; did you mean close.client?" for a path with one misspelled field: the first segment the
 * schema lacks, replaced by its nearest sibling, when the rest then names a field (a newcomer
 * audit: `matrix: { close.clinet: […] }` got only "no such scenario field").
 */
function nearestField(path: readonly PathSegment[]): string {
  const at = path.findIndex((_, i) => schemaAt(scenarioSchema, path.slice(0, i + 1)) === undefined);
  const typed = path[at];
  if (at < 0 || typeof typed !== 'string') return '';
  const near = closest(typed, knownKeysAt(scenarioSchema, path.slice(0, at)));
  if (near === undefined) return '';
  const fixed = [...path.slice(0, at), near, ...path.slice(at + 1)];
  return schemaAt(scenarioSchema, fixed) === undefined ? '' : `; did you mean ${fixed.join('.')}?`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}
