// Scenario text → a plain mapping, safely. A scenario file may come from anywhere (a pull
// request, a colleague, a fuzzer), so parsing is bounded before the schema sees the data:
// size, nesting, number of keys and alias expansion have ceilings (limits.ts), cycles and
// prototype-changing keys are refused, and every failure is one line naming the file.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ScenarioError } from './errors.js';
import { MAX_ALIAS_COUNT, MAX_DEPTH, MAX_FILE_BYTES, MAX_KEYS } from './limits.js';

/** Keys that would change an object's prototype when copied into a plain object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * yaml's messages that speak to a programmer of its API, said to a scenario's author instead
 * (an audit: a second document got "please use YAML.parseAllDocuments()").
 */
const AUTHOR_MESSAGES: Readonly<Record<string, string>> = {
  MULTIPLE_DOCS: 'a second YAML document starts here ("---"), but a scenario file holds one scenario: put each in a file of its own',
};

/** Shown at most; the rest are counted, so binary junk cannot print a screenful per byte. */
const MAX_SYNTAX_ERRORS = 10;

/** Parses scenario text into a raw mapping; syntax errors carry line:column. */
export function parseScenarioText(text: string, source: string): Record<string, unknown> {
  const fail = (what: string): never => {
    throw new ScenarioError([`${source}: ${what}`]);
  };
  if (text.length > MAX_FILE_BYTES || Buffer.byteLength(text) > MAX_FILE_BYTES) {
    fail(`the file is larger than ${MAX_FILE_BYTES / 1024} KiB, the most a scenario may be (scenarios are a few KB)`);
  }
  if (text.includes('\0')) fail('contains NUL bytes: expected a YAML or JSON text file');

  let doc: Document.Parsed;
  const lines = new LineCounter();
  try {
    // uniqueKeys: false because yaml's own duplicate-key check compares every pair of keys
    // (80,000 keys took 34 s); checkTree below does it with one Set per mapping.
    doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
  } catch (err) {
    // The parser recurses per nesting level: a deep enough flow collection overflows the stack.
    return fail(`cannot be parsed (${err instanceof RangeError ? 'nested too deeply' : (err as Error).message})`);
  }
  // The parser recurses per nesting level and reports a stack overflow as a syntax error.
  if (doc.errors.some((e) => /call stack/i.test(e.message))) fail(`nested too deeply to parse (more than ${MAX_DEPTH} levels; a scenario has 4)`);
  // Warnings too (an unknown tag like `!custom` would otherwise pass as a plain string): a
  // scenario is plain data, and anything the parser had to guess about is refused.
  const issues = [...doc.errors.map((e) => ({ e, kind: 'YAML syntax error' })), ...doc.warnings.map((e) => ({ e, kind: 'YAML' }))];
  if (issues.length > 0) {
    const problems = issues.slice(0, MAX_SYNTAX_ERRORS).map(({ e, kind }) => {
      const at = e.linePos?.[0];
      const where = at ? `${source}:${at.line}:${at.col}` : source;
      const own = 'code' in e ? AUTHOR_MESSAGES[e.code] : undefined;
      if (own !== undefined) return `${where}: ${own}`;
      // The library appends "at line …" and a code excerpt on further lines: keep the first.
      return `${where}: ${kind}: ${e.message.split(' at line ')[0]!.split('\n')[0]}`;
    });
    const more = issues.length - MAX_SYNTAX_ERRORS;
    if (more > 0) problems.push(`${source}: … and ${more} more YAML syntax errors (is this a YAML or JSON file?)`);
    throw new ScenarioError(problems);
  }
  const treeProblem = checkTree(doc.contents);
  if (treeProblem) {
    const at = treeProblem.offset === undefined ? undefined : lines.linePos(treeProblem.offset);
    throw new ScenarioError([`${at ? `${source}:${at.line}:${at.col}` : source}: ${treeProblem.text}`]);
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const why =
      err instanceof ReferenceError && /alias/i.test(err.message)
        ? `YAML aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT}): a scenario needs few, a "billion laughs" file needs millions`
        : err instanceof RangeError
          ? 'nested too deeply'
          : (err as Error).message;
    return fail(`cannot be read: ${why}`);
  }
  const dataProblem = dataShapeProblem(raw);
  if (dataProblem) fail(dataProblem);

  if (raw === null || raw === undefined) fail('the file is empty, expected a mapping with at least "name"');
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail(`expected a mapping of scenario fields at the top level, got ${Array.isArray(raw) ? 'a list' : JSON.stringify(raw)}`);
  }
  return raw as Record<string, unknown>;
}

/**
 * One pass over the syntax tree: duplicate keys (one Set per mapping: linear), key count,
 * key types and nesting depth. Recursion stops at MAX_DEPTH, so it cannot overflow.
 */
function checkTree(root: Node | null): { offset?: number; text: string } | undefined {
  let keys = 0;
  const walk = (node: unknown, depth: number): { offset?: number; text: string } | undefined => {
    if (depth > MAX_DEPTH) return { offset: offsetOf(node), text: `nested more than ${MAX_DEPTH} levels deep (a scenario has 4)` };
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        const offset = offsetOf(key);
        if (++keys > MAX_KEYS) return { offset, text: `more than ${MAX_KEYS} keys, the most a scenario may have (a full one has under 300)` };
        if (!isScalar(key) || (key.value !== null && typeof key.value === 'object')) {
          return { offset, text: 'a key must be a plain name, not a list, mapping or alias' };
        }
        const name = String(key.value);
        if (FORBIDDEN_KEYS.has(name)) return { offset, text: `key ${JSON.stringify(name)} is not allowed (it would change the object's prototype)` };
        if (seen.has(name)) return { offset, text: `duplicate key ${JSON.stringify(name)}: a key may appear once per mapping` };
        seen.add(name);
        const problem = walk(pair.value, depth + 1);
        if (problem) return problem;
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const problem = walk(isPair(item) ? item.value : item, depth + 1);
        if (problem) return problem;
      }
    }
    // Scalars need no check; aliases are judged after expansion, by checkData.
    return undefined;
  };
  return walk(root, 0);
}

function offsetOf(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/**
 * Checks parsed data (a file after alias expansion, or a `--set` value): an alias to its own
 * ancestor is a cycle, aliases can nest deeper than the text, and keys must not touch prototypes.
 */
export function dataShapeProblem(value: unknown): string | undefined {
  return checkData(value, 0, new Set());
}

function checkData(value: unknown, depth: number, ancestors: Set<object>): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (ancestors.has(value)) return 'a YAML alias refers to a mapping or list that contains it (a cycle): expected plain data';
  if (depth >= MAX_DEPTH) return `nested more than ${MAX_DEPTH} levels deep once YAML aliases are expanded (a scenario has 4)`;
  // Buffers (!!binary), dates (!!timestamp), sets and maps (!!set, !!omap) are left to the schema,
  // which expects plain strings, numbers and mappings and says so.
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  ancestors.add(value);
  for (const [key, child] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) return `key ${JSON.stringify(key)} is not allowed (it would change an object's prototype)`;
    const problem = checkData(child, depth + 1, ancestors);
    if (problem) return problem;
  }
  ancestors.delete(value);
  return undefined;
}
