// Turns zod issues into the one-line problems users read: `<source>: <path>: expected …, got …`.
import { z } from 'zod';
import { isRecordAt, knownKeysAt, type PathSegment } from './schema-walk.js';
import { didYouMean } from '../util/suggest.js';

const TYPE_NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'null',
};

/**
 * Used as the per-parse error map so every message is phrased "expected …"; messages set on a
 * field in the schema take precedence and already follow the same phrasing.
 */
export const expectedMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NOUNS[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${show(issue.values[0])}`
        : `expected one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) === 1
        ? 'expected a non-empty string'
        : `expected a ${issue.origin} ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `expected a ${issue.origin} ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_format':
      return issue.pattern ? `expected a string matching ${issue.pattern}` : `expected a valid ${issue.format}`;
    case 'invalid_union': {
      const types = new Set(
        issue.errors.flat().flatMap((inner) => (inner.code === 'invalid_type' ? [TYPE_NOUNS[inner.expected] ?? inner.expected] : [])),
      );
      return types.size ? `expected ${[...types].join(' or ')}` : 'expected a valid value';
    }
    case 'invalid_key':
      return issue.issues[0]?.message ?? 'expected a valid key';
    default:
      return undefined;
  }
};

/** Past this, a value after "got" is cut: a problem line stays one readable line. */
const SHOWN_MAX = 80;

/** One value as it appears after "got": strings quoted so `"30"` and 30 are told apart. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) {
    const text = JSON.stringify(value);
    return text.length <= SHOWN_MAX ? `a list (${text})` : `a list of ${value.length} items`;
  }
  if (value !== null && typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    return value.length <= SHOWN_MAX ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, SHOWN_MAX))}… (${value.length} characters)`;
  }
  return String(value);
}

/** `a.b[2].c`, with keys of string-keyed records (sysctl names contain dots) bracketed. */
export function formatPath(schema: z.ZodType, path: readonly PathSegment[]): string {
  let out = '';
  path.forEach((segment, i) => {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (isRecordAt(schema, path.slice(0, i)) || !/^[A-Za-z_$][\w$-]*$/.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += i === 0 ? segment : `.${segment}`;
  });
  return out || '(top level)';
}

export interface Problem {
  path: PathSegment[];
  text: string;
}

/** Unknown keys are reported one per key, so each typo gets its own line and path. */
export function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(schema, path);
    const hint = known.length ? ` (known: ${known.join(', ')})` : '';
    return issue.keys.map((key) => ({ path: [...path, key], text: `unknown field${didYouMean(key, known)}${hint}` }));
  }
  // A bad record key is the last segment of the path already: "got <key>" would repeat it.
  if (issue.code === 'invalid_key') return [{ path, text: issue.message }];
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined) {
    return [{ path, text: `required field is missing: ${issue.message}` }];
  }
  // A misspelled choice gets its guess after what was typed, as a misspelled field does (a
  // newcomer audit: --set close.first=sever got none).
  const guess = issue.code === 'invalid_value' && typeof issue.input === 'string' && issue.values.length > 1 ? didYouMean(issue.input, issue.values.map(String)) : '';
  return [{ path, text: `${issue.message}, got ${show(issue.input)}${guess}` }];
}
