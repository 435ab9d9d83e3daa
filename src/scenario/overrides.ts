// `--set key.path=value` edits the raw scenario before validation, so an override is checked by
// exactly the same rules (and produces the same problem lines) as the file itself.
import { parse as parseYaml } from 'yaml';
import { ScenarioError } from './errors.js';
import { dataShapeProblem, FORBIDDEN_KEYS } from './parse.js';
import { MAX_ALIAS_COUNT } from './limits.js';
import { scenarioSchema } from './schema.js';
import { isRecordAt, type PathSegment } from './schema-walk.js';
import { isMapping } from '../util/is-mapping.js';

export interface ParsedOverride {
  text: string;
  path: PathSegment[];
  value: unknown;
}

/** Applies `--set` overrides to a copy of `raw`; the input object is left untouched. */
export function applyOverrides(raw: unknown, overrides: readonly string[]): unknown {
  return applyParsedOverrides(raw, overrides.map(parseOverride));
}

export function applyParsedOverrides(raw: unknown, overrides: readonly ParsedOverride[]): unknown {
  let root: unknown = raw === undefined || raw === null ? {} : structuredClone(raw);
  for (const { text, path, value } of overrides) {
    if (!isMapping(root)) throw new ScenarioError([`--set ${text}: the scenario is not a mapping`]);
    let node: Record<string, unknown> = root;
    for (let i = 0; i < path.length - 1; i++) {
      const key = String(path[i]);
      const next = node[key];
      if (next === undefined || next === null) node[key] = {};
      else if (!isMapping(next)) {
        throw new ScenarioError([`--set ${text}: ${path.slice(0, i + 1).join('.')} is ${JSON.stringify(next)}, not a mapping`]);
      }
      node = node[key] as Record<string, unknown>;
    }
    node[String(path[path.length - 1])] = value;
  }
  return root;
}

/**
 * Parses `a.b.c=value`. Keys of string-keyed records (sysctl names) contain dots themselves, so
 * once the path reaches a record the rest of it is one key: `environment.sysctls.net.ipv4.x=1`.
 * `a["x.y"]` is accepted too, matching how problem lines print such keys.
 */
export function parseOverride(text: string): ParsedOverride {
  const malformed = new ScenarioError([`--set ${text}: expected key.path=value`]);
  const eq = text.indexOf('=');
  if (eq <= 0) throw malformed;
  const segments = splitPath(text.slice(0, eq).trim());
  if (!segments || segments.length === 0 || segments.some((s) => s === '')) throw malformed;
  const forbidden = segments.find((s) => FORBIDDEN_KEYS.has(s));
  if (forbidden !== undefined) {
    throw new ScenarioError([`--set ${text}: ${JSON.stringify(forbidden)} is not a scenario field (it would change an object's prototype)`]);
  }

  const path: PathSegment[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (isRecordAt(scenarioSchema, path)) {
      path.push(segments.slice(i).join('.'));
      break;
    }
    path.push(segments[i]!);
  }
  return { text, path, value: parseValue(text, text.slice(eq + 1)) };
}

/** `a.b`, `a["x.y"]` or a mix; undefined when the text is not such a path (e.g. `a..b`, `.a`). */
function splitPath(key: string): string[] | undefined {
  const segments: string[] = [];
  const name = /[^.[\]"=]+/y;
  const quoted = /\["((?:[^"\\]|\\.)*)"\]/y;
  let at = 0;
  while (at < key.length) {
    // A dot must follow a segment and precede a name; brackets may follow directly.
    const dotted = segments.length > 0 && key[at] === '.';
    if (dotted) at++;
    quoted.lastIndex = at;
    const q = dotted ? null : quoted.exec(key);
    if (q) {
      segments.push(JSON.parse(`"${q[1]}"`) as string);
      at = quoted.lastIndex;
      continue;
    }
    if (segments.length > 0 && !dotted) return undefined;
    name.lastIndex = at;
    const n = name.exec(key);
    if (!n) return undefined;
    segments.push(n[0]);
    at = name.lastIndex;
  }
  return segments;
}

/** YAML scalars and flow collections, so numbers, null and `{a: 1}` mean what they mean in a file. */
function parseValue(text: string, source: string): unknown {
  // An empty YAML document is null; on the command line `--set description=` means "empty".
  if (source.trim() === '') return '';
  let value: unknown;
  try {
    value = parseYaml(source, { maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // A value is one YAML value: a "---" in it starts a second document, which yaml words for its API's users.
    const reason = (err as { code?: string }).code === 'MULTIPLE_DOCS' ? 'it holds more than one YAML document ("---")' : err instanceof Error ? err.message.split(' at line ')[0] : String(err);
    throw new ScenarioError([`--set ${text}: value is not valid YAML: ${reason}`]);
  }
  const problem = dataShapeProblem(value);
  if (problem) throw new ScenarioError([`--set ${text}: ${problem}`]);
  // A mapping written without braces is YAML's reading of a ": " or a trailing ":" inside a plain
  // value (a command line ending in "--bind ::"), never what a --set means: the documented form
  // of a mapping is the flow one, {a: 1}. Said here, with the fix, instead of "got a mapping".
  if (isMapping(value) && !source.trimStart().startsWith('{')) {
    const key = text.slice(0, text.indexOf('='));
    throw new ScenarioError([
      `--set ${text}: YAML reads the value as a mapping (it holds ": " or ends with ":"); quote it to keep it a string: --set '${key}="${source.replaceAll('"', '\\"')}"', or write a mapping as {key: value}`,
    ]);
  }
  return value;
}

