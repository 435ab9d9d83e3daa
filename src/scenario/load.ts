import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ScenarioError } from './errors.js';
import { applyParsedOverrides, parseOverride } from './overrides.js';
import type { Scenario } from './schema.js';
import { validateScenario } from './validate.js';

/**
 * Reads a YAML or JSON scenario file (YAML is a superset of JSON, so one parser serves both),
 * applies `--set` overrides and validates the result.
 */
export async function loadScenarioFile(path: string, overrides: readonly string[] = []): Promise<Scenario> {
  // Parse overrides first: a typo on the command line is reported even if the file is broken too.
  const parsed = overrides.map(parseOverride);
  const raw = parseScenarioText(await readScenarioText(path), path);
  const withOverrides = applyParsedOverrides(raw, parsed);
  return validateScenario(
    withOverrides,
    path,
    // The path after the source already names the field, so the source is just where it came from.
    parsed.map((o) => ({ path: o.path, source: '--set' })),
  );
}

async function readScenarioText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ScenarioError([`no such scenario file: ${path} (bundled ones are listed by "twstorm list")`]);
    }
    if (code === 'EISDIR') throw new ScenarioError([`${path}: is a directory, expected a scenario file`]);
    throw new ScenarioError([`${path}: cannot read: ${(err as Error).message}`]);
  }
}

/** Parses scenario text into a raw mapping; syntax errors carry line:column. */
export function parseScenarioText(text: string, source: string): Record<string, unknown> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? `${source}:${at.line}:${at.col}` : source;
        // The library appends "at line …" and a code excerpt; the location is already in front.
        return `${where}: YAML syntax error: ${e.message.split(' at line ')[0]}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new ScenarioError([`${source}: the file is empty, expected a mapping with at least "name"`]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    const what = Array.isArray(raw) ? 'a list' : JSON.stringify(raw);
    throw new ScenarioError([`${source}: expected a mapping of scenario fields at the top level, got ${what}`]);
  }
  return raw as Record<string, unknown>;
}
