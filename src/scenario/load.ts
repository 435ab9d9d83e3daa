import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ScenarioError } from './errors.js';
import { MAX_FILE_BYTES } from './limits.js';
import { matrixOverrideProblems } from './matrix.js';
import { applyParsedOverrides, parseOverride, type ParsedOverride } from './overrides.js';
import { parseScenarioText } from './parse.js';
import type { Scenario } from './schema.js';
import { unusedFieldProblems, validateScenario, type ScenarioCheck } from './validate.js';

export { parseScenarioText };

export interface LoadOptions {
  /**
   * Checks that need knowledge outside this package (threshold figure paths, the kernel's
   * sysctls). They run on the raw data even when fields are wrong, so every problem of a file
   * is reported in one go.
   */
  checks?: readonly ScenarioCheck[];
  /**
   * Where an override came from when not `--set`: a CLI flag that becomes one (`--isolation`
   * sets environment.isolation), keyed by the override's text, so its problem names the flag
   * the user typed.
   */
  sources?: ReadonlyMap<string, string>;
}

/**
 * Reads a YAML or JSON scenario file (YAML is a superset of JSON, so one parser serves both),
 * applies `--set` overrides and validates the result.
 */
export async function loadScenarioFile(path: string, overrides: readonly string[] = [], options: LoadOptions = {}): Promise<Scenario> {
  // Parse overrides first: a typo on the command line is reported even if the file is broken too.
  const parsed = parseOverrides(overrides);
  const raw = parseScenarioText(await readScenarioText(path), path);
  const conflicts = matrixOverrideProblems(raw, parsed, options.sources);
  const withOverrides = applyParsedOverrides(raw, parsed);
  // The path after the source already names the field, so the source is just where it came from.
  const attributions = parsed.map((o) => ({ path: o.path, source: options.sources?.get(o.text) ?? '--set' }));
  try {
    return validateScenario(withOverrides, path, attributions, options.checks, [...conflicts, ...unusedFieldProblems(withOverrides, path, attributions, raw)]);
  } catch (err) {
    if (!(err instanceof ScenarioError) || parsed.length === 0) throw err;
    throw new ScenarioError(blameOverrides(err.problems, raw, path, parsed, options));
  }
}

/**
 * A problem on a field no override set is still the overrides' doing when the file alone is
 * valid: `--set faults=…` on a file with `isolation: host` is refused at environment.isolation,
 * which the file set (an audit: the message blamed the file, which was fine). Those problems
 * name the flag.
 */
function blameOverrides(problems: readonly string[], raw: Record<string, unknown>, path: string, parsed: readonly ParsedOverride[], options: LoadOptions): string[] {
  // The problems of the file with these overrides, all as the file's.
  const problemsWith = (overrides: readonly ParsedOverride[]): Set<string> => {
    try {
      validateScenario(applyParsedOverrides(raw, overrides), path, [], options.checks, []);
      return new Set();
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      return new Set(err.problems);
    }
  };
  if (problemsWith([]).size > 0) return [...problems]; // The file has problems of its own: each keeps its source.
  // Without each override in turn: the ones whose absence clears a problem made it (a review:
  // "--set/--isolation" where only --isolation did). Named as typed, once each.
  const without = parsed.map((_, i) => problemsWith(parsed.filter((__, j) => j !== i)));
  const source = (o: ParsedOverride): string => options.sources?.get(o.text) ?? '--set';
  const file = `${path}: `;
  return problems.map((p) => {
    if (!p.startsWith(file)) return p;
    const causes = parsed.filter((_, i) => !without[i]!.has(p));
    const blame = [...new Set((causes.length > 0 ? causes : parsed).map(source))].join('/');
    return `${blame}: ${p.slice(file.length)}`;
  });
}

/** Every malformed `--set` at once, like the file's problems. */
function parseOverrides(overrides: readonly string[]): ParsedOverride[] {
  const problems: string[] = [];
  const parsed = overrides.flatMap((text) => {
    try {
      return [parseOverride(text)];
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      problems.push(...err.problems);
      return [];
    }
  });
  if (problems.length > 0) throw new ScenarioError(problems);
  return parsed;
}

/**
 * Reads at most MAX_FILE_BYTES + 1 bytes of a regular file: a scenario path that names a huge
 * file, /dev/zero or a FIFO is refused instead of read without end.
 */
async function readScenarioText(path: string): Promise<string> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a file.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ScenarioError([unreadable(path, err)]);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new ScenarioError([`${path}: is a directory, expected a scenario file`]);
    if (!info.isFile()) throw new ScenarioError([`${path}: not a regular file, expected a scenario file`]);
    if (info.size > MAX_FILE_BYTES) {
      throw new ScenarioError([`${path}: the file is ${info.size} bytes, larger than ${MAX_FILE_BYTES / 1024} KiB, the most a scenario may be (scenarios are a few KB)`]);
    }
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) {
        throw new ScenarioError([`${path}: the file is larger than ${MAX_FILE_BYTES / 1024} KiB, the most a scenario may be (scenarios are a few KB)`]);
      }
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError([unreadable(path, err)]);
  } finally {
    await handle.close();
  }
}

function unreadable(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `no such scenario file: ${path} (bundled ones are listed by "twstorm list")`;
  if (code === 'EISDIR') return `${path}: is a directory, expected a scenario file`;
  return `${path}: cannot read: ${(err as Error).message}`;
}
