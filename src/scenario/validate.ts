import { ScenarioError } from './errors.js';
import { crossFieldProblems, type CrossFieldIssue } from './cross-field.js';
import { describeIssue, expectedMessage, formatPath, show, type Problem } from './issues.js';
import { MAX_VARIANTS } from './limits.js';
import { matrixCombinations, tooManyVariants, variantCount, variantLabel, variantRaw, type MatrixValue } from './matrix-values.js';
import { parseOverride } from './overrides.js';
import { MATRIX_KEY_PATTERN, scenarioFields, scenarioSchema, type Scenario } from './schema.js';
import type { z } from 'zod';
import { sysctlNameProblem } from './sysctls.js';
import { knownKeysAt, schemaAt, type PathSegment } from './schema-walk.js';
import { closest } from '../util/suggest.js';
import { isMapping } from '../util/is-mapping.js';

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
 * Every problem at once: schema fields, the cross-field rules, matrix keys and every variant's
 * values, the extra checks and `earlier` (found by the loader), so a user fixes a file in one
 * pass instead of one round per kind of problem.
 */
export function validateScenario(
  raw: unknown,
  source: string,
  attributions: readonly Attribution[],
  checks: readonly ScenarioCheck[] = [],
  earlier: readonly string[] = [],
): Scenario {
  const problems = [...earlier];
  const origin = (path: readonly PathSegment[]): string => attributions.findLast((a) => isPrefix(a.path, path))?.source ?? source;
  const { data, found } = fieldProblems(raw);
  for (const { path, text } of found) problems.push(`${origin(path)}: ${formatPath(scenarioSchema, path)}: ${text}`);
  if (isMapping(raw)) {
    if (isMapping(raw['matrix'])) {
      const matrix = raw['matrix'];
      problems.push(...matrixKeyProblems(Object.keys(matrix), source));
      // The values of the keys that name a field are judged beside the ones that do not (a
      // newcomer audit: a misspelled `close.frist` hid `close.client: [fin, rts]` until it was fixed).
      const named = Object.keys(matrix).filter((key) => MATRIX_KEY_PATTERN.test(key) && matrixKeyProblems([key], source).length === 0);
      problems.push(...matrixValueProblems({ ...raw, matrix: Object.fromEntries(named.map((key) => [key, matrix[key]])) }, found, source, origin));
    }
    for (const check of checks) problems.push(...check(raw, source));
  }
  // Two checks can fail on one value the same way (zod's safe-integer bound and ours): say it once.
  if (problems.length > 0 || data === undefined) throw new ScenarioError([...new Set(problems)]);
  return data;
}

/**
 * The schema's problems with `raw`, each a path and its text: the fields, then the cross-field
 * rules (on the valid parts when a field is wrong). `data` when there are none.
 */
function fieldProblems(raw: unknown): { data?: Scenario; found: Problem[] } {
  const result = scenarioSchema.safeParse(raw, { error: expectedMessage, reportInput: true });
  if (result.success) return { data: result.data, found: [] };
  const found = result.error.issues.flatMap((issue) => describeIssue(scenarioSchema, issue));
  // The schema runs its cross-field rules only when every field is valid: run them here on
  // the fields that are (a stage longer than duration is said beside a misspelled close.first).
  for (const { path, message, input } of crossFieldOnValidParts(raw, result.error.issues)) found.push({ path, text: `${message}, got ${show(input)}` });
  return { found };
}

/**
 * Every variant of a matrix judged as it would run, with the file's other problems (an audit:
 * a bad matrix value was said only once the rest of the file was valid, and only the first bad
 * variant's). A problem at a field the matrix sets is the matrix value's, said once however
 * many variants hold that value; one a combination makes (close.first server with close.server
 * never) names the variant; one the file has without the matrix is said once, as the file's.
 * A value listed twice would run the same variant twice, its result under the same file name.
 */
function matrixValueProblems(raw: Record<string, unknown>, fileProblems: readonly Problem[], source: string, origin: (path: readonly PathSegment[]) => string): string[] {
  const parsed = scenarioFields.shape.matrix.safeParse(raw['matrix']);
  // A malformed matrix is the schema's problem, already said.
  if (!parsed.success) return [];
  const problems: string[] = [];
  const matrix: Record<string, MatrixValue[]> = {};
  for (const [key, values] of Object.entries(parsed.data as Record<string, MatrixValue[]>)) {
    const twice = new Set(values.filter((v, i) => values.indexOf(v) !== i));
    for (const value of twice) {
      problems.push(`${origin(['matrix', key])}: matrix.${key}: ${show(value)} is listed more than once: each variant runs once, so list each value once`);
    }
    // Each value once, so the variants are still judged beside the repeat (a newcomer audit:
    // `connections: [100, 100]` hid a bad value of another key until it was fixed).
    matrix[key] = values.filter((v, i) => values.indexOf(v) === i);
  }
  const count = variantCount(matrix);
  if (count > MAX_VARIANTS) return [...problems, tooManyVariants(source, count)];
  const said = new Set(fileProblems.map((p) => `${formatPath(scenarioSchema, p.path)}: ${p.text}`));
  const keyPaths = Object.keys(matrix).map((key) => ({ key, path: parseOverride(`${key}=0`).path }));
  const base = { ...raw, matrix: {} };
  for (const values of matrixCombinations(matrix)) {
    for (const { path, text } of fieldProblems(variantRaw(base, values)).found) {
      const where = formatPath(scenarioSchema, path);
      if (said.has(`${where}: ${text}`)) continue;
      const set = keyPaths.find((k) => isPrefix(k.path, path));
      problems.push(
        set === undefined
          ? `${origin(path)} (matrix variant ${variantLabel(values)}): ${where}: ${text}`
          : `${origin(['matrix', set.key])}: matrix.${set.key}: ${path.length > set.path.length ? `${where}: ` : ''}${text}`,
      );
    }
  }
  return problems;
}

/**
 * The cross-field problems of a file with wrong fields, judged on the rest: each wrong field is
 * taken out (its default stands in; a wrong list item takes its whole list, whose items shift),
 * the fields parse again, and the rules that read none of the wrong ones run (cross-field.ts).
 * Taking a field out can uncover another problem (a { min, max } delay without its min); a few
 * rounds settle it, and a file that does not settle gets no cross-field lines rather than wrong ones.
 */
function crossFieldOnValidParts(raw: unknown, issues: readonly z.core.$ZodIssue[]): CrossFieldIssue[] {
  if (!isMapping(raw)) return [];
  const invalid: PathSegment[][] = [];
  let repaired: Record<string, unknown> = structuredClone(raw);
  let pending = issues;
  for (let round = 0; round < 4; round++) {
    const fresh = pending.flatMap(wrongPaths).filter((p) => p.length > 0 && !invalid.some((bad) => isPrefix(bad, p)));
    if (fresh.length === 0) return [];
    for (const path of fresh) {
      invalid.push(path);
      repaired = withoutField(repaired, path);
    }
    const again = scenarioFields.safeParse(repaired);
    if (again.success) return crossFieldProblems(again.data, invalid);
    pending = again.error.issues;
  }
  return [];
}

/** The field paths an issue condemns, each cut at its first list index (the whole list goes). */
function wrongPaths(issue: z.core.$ZodIssue): PathSegment[][] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...path, key]) : [path];
  return paths.map((p) => {
    const index = p.findIndex((segment) => typeof segment === 'number');
    return index < 0 ? p : p.slice(0, index);
  });
}

/** A copy of `raw` without the field at `path`; `name`, the one required field, gets a stand-in (no rule reads it). */
function withoutField(raw: Record<string, unknown>, path: readonly PathSegment[]): Record<string, unknown> {
  if (path.length === 1 && path[0] === 'name') return { ...raw, name: 'x' };
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (isMapping(node) ? node[String(key)] : undefined), raw);
  if (isMapping(parent)) delete parent[String(path.at(-1))];
  return raw;
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
  payload: 'the response body is http.body; the request is GET http.path',
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
  return [...problems, ...rawOnlyProblems(raw, source, attributions, matrixKeys)];
}

/**
 * http.requestsPerConnection is the raw client's alone: undici's profiles leave the connections
 * to the pool. A value other than its default 1 with an undici client is refused, as the unused
 * fields above are (an audit: a setting that did nothing without a word). A matrix over
 * http.client with raw among its values keeps it.
 */
const POOL_DECIDES = 'the undici pool decides how many requests a connection carries (http.client keepalive reuses, connection-close and reset close after each)';

function rawOnlyProblems(raw: Record<string, unknown>, source: string, attributions: readonly Attribution[], matrixKeys: readonly string[]): string[] {
  const http = isMapping(raw['http']) ? raw['http'] : {};
  const varied = isMapping(raw['matrix']) ? raw['matrix']['http.client'] : undefined;
  const clients = Array.isArray(varied) ? varied : [http['client'] ?? 'keepalive'];
  const client = clients[0];
  if (clients.includes('raw') || typeof client !== 'string') return [];
  const problems: string[] = [];
  const value = http['requestsPerConnection'];
  if (Object.hasOwn(http, 'requestsPerConnection') && value !== 1 && (typeof value === 'string' || Number.isInteger(value))) {
    const given = attributions.findLast((a) => a.path[0] === 'http' && (a.path.length === 1 || a.path[1] === 'requestsPerConnection'))?.source;
    problems.push(`${given ?? source}: http.requestsPerConnection: used by http.client raw only, not ${client}: ${POOL_DECIDES}; set http.client: raw, or leave http.requestsPerConnection out`);
  }
  if (matrixKeys.includes('http.requestsPerConnection')) problems.push(`${source}: matrix.http.requestsPerConnection: used by http.client raw only, not ${client}: ${POOL_DECIDES}`);
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

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}
