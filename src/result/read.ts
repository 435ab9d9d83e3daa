// The one reader of result files: `report`, `compare`, `plan --from` (and `merge`) read results
// only through it. A file is trusted only after the schema (schema.ts) accepted it; anything
// else is a ResultFileError of one line that names the file and its first bad field, which the
// CLI prints and turns into exit 2.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeHistogram } from '../metrics/histogram-encoding.js';
import { RESULT_SCHEMA, type RunResult } from './model.js';
import { resultSchema } from './schema.js';
import { stripControl } from '../util/escape.js';
import { runLabel, sameRun } from './provenance.js';

export class ResultFileError extends Error {
  override name = 'ResultFileError';
  /** 'foreign': valid JSON that does not say it is a twstorm result (a directory scan skips it). */
  constructor(
    message: string,
    readonly kind: 'foreign' | 'invalid' | 'unreadable' = 'invalid',
  ) {
    super(message);
  }
}

/**
 * Larger than any result twstorm writes within READABLE_SERIES_SAMPLES (a day at the 100 ms
 * sample comes to ~200 MB: util/json-text.ts), small enough that a wrong file (a log, a
 * capture) is refused before it is read into memory.
 */
export const MAX_RESULT_BYTES = 256 * 1024 * 1024;

/**
 * Samples per series column a result can hold and still be read back: a run's 31 columns
 * stretched to 864,000 samples (24 h at the default 100 ms) came to 199 MB, so about 1,000,000
 * fit under MAX_RESULT_BYTES. The doctor warns before a run that could outgrow it.
 */
export const READABLE_SERIES_SAMPLES = 1_000_000;

const HINT = 'pass a result JSON written by "twstorm run"';

/** How a result file begins (write.ts puts "schema" first; `run --json` of several, in an array). */
const RESULT_START = /^\s*\[?\s*\{\s*"schema"\s*:\s*"twstorm\/result@/;

/** "summary.timeWait.peak", "series.census.t[3]". */
function pathWords(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(the document)' : out;
}

/** Printable, one line, short: a field value quoted in an error. */
function shortValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = doc;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/**
 * Validates one parsed result document. `name` says where it came from ("a.json",
 * "a.json[2]") and starts every error.
 */
export function parseResult(doc: unknown, name: string): RunResult {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ResultFileError(`${name}: not a twstorm result (a JSON ${doc === null ? 'null' : Array.isArray(doc) ? 'array' : typeof doc}, expected an object); ${HINT}`, 'foreign');
  }
  const schema = (doc as Record<string, unknown>)['schema'];
  if (schema !== RESULT_SCHEMA) {
    // No "schema" at all: some other JSON. A twstorm schema of another version: a newer twstorm wrote it.
    const why =
      schema === undefined
        ? `it has no "schema" field (a twstorm result says "${RESULT_SCHEMA}"); ${HINT}`
        : typeof schema === 'string' && schema.startsWith('twstorm/result@')
          ? `"schema" is ${shortValue(schema)}, this twstorm reads "${RESULT_SCHEMA}": a newer twstorm wrote it; read it with that version`
          : `"schema" is ${shortValue(schema)}, expected "${RESULT_SCHEMA}"; ${HINT}`;
    throw new ResultFileError(`${name}: not a twstorm result: ${why}`, 'foreign');
  }
  const parsed = resultSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = pathWords(issue.path);
    const value = valueAt(doc, issue.path);
    const got = value === undefined ? 'it is missing' : `got ${shortValue(value)}`;
    throw new ResultFileError(`${name}: bad result field ${where}: ${issue.message.replace(/\s+/g, ' ')} (${got}); ${HINT}`);
  }
  const result = parsed.data as unknown as RunResult;
  for (const [key, encoded] of Object.entries(result.histograms)) {
    if (!decodes(encoded)) {
      throw new ResultFileError(`${name}: bad result field histograms.${key}: not an encoded HdrHistogram; ${HINT}`);
    }
  }
  return result;
}

function decodes(encoded: string): boolean {
  try {
    const h = decodeHistogram(encoded);
    (h as { destroy?: () => void }).destroy?.();
    return true;
  } catch {
    return false;
  }
}

/** Parses a result file's text: one result, or an array of them (`run --json` of a matrix). */
export function parseResultText(text: string, name: string): RunResult[] {
  // `run` reserves its result's name with an empty file when it starts (run/result-name.ts) and
  // renames the result over it at the end: an empty file is a run still going, or one killed
  // before it got there (SIGKILL, a CI job's timeout). "Unexpected end of JSON input" said none
  // of that. A directory scan skips it, as any file that is not a result.
  if (text.trim() === '') {
    throw new ResultFileError(`${name}: is empty: a run creates its result file empty when it starts and fills it at the end, so that run is still going or was stopped first; wait for it, or pass a finished result`, 'foreign');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // JSON.parse quotes the text around the fault as it is: its newlines would break the
    // one-line message and its control characters a terminal, so they are flattened. A text that
    // begins as a result does (its "schema" first) is a damaged result, not some other file: a
    // directory scan must not skip it (an audit: a truncated repeat left a set of 3 as 2, unsaid).
    const damaged = RESULT_START.test(text.slice(0, 200));
    throw new ResultFileError(`${name}: not JSON (${stripControl(err instanceof Error ? err.message : String(err))})${damaged ? ': a damaged result (cut short?)' : ''}; ${HINT}`, damaged ? 'invalid' : 'foreign');
  }
  if (!Array.isArray(doc)) return [parseResult(doc, name)];
  if (doc.length === 0) throw new ResultFileError(`${name}: an empty array holds no result; ${HINT}`);
  return doc.map((item, i) => parseResult(item, `${name}[${i}]`));
}

async function readText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new ResultFileError(`${file}: is a directory; ${HINT}`);
    if (info.size > MAX_RESULT_BYTES) {
      throw new ResultFileError(`${file}: ${Math.round(info.size / 1048576)} MB is larger than any result (at most ${MAX_RESULT_BYTES / 1048576} MB); ${HINT}`);
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ResultFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ResultFileError(`${file}: cannot read it (${code ?? String(err)}); ${HINT}`, 'unreadable');
  }
}

/** Every result in a file: one, or each of an array. */
export async function readResults(file: string): Promise<RunResult[]> {
  return parseResultText(await readText(file), file);
}

/** The one result in a file (an array of several is refused: name the file of one run). */
export async function readResult(file: string): Promise<RunResult> {
  return onlyRun(file, await readResults(file));
}

/** The one run of a file's results; a file of several is refused (name the file of one run). */
export function onlyRun(file: string, results: RunResult[]): RunResult {
  if (results.length !== 1) {
    throw new ResultFileError(`${file}: holds ${results.length} results; pass the file of one run (each run writes its own)`);
  }
  return results[0]!;
}

/**
 * Every result file in a directory (not recursive), by name: a directory of runs may hold other
 * JSON too (a scenario, a compare report), which is skipped; a file that says it is a result but
 * does not validate is an error, so a damaged result never drops out unnoticed.
 */
export async function readResultDirectory(dir: string): Promise<Array<{ file: string; runs: RunResult[] }>> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new ResultFileError(`${dir}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); ${HINT}`, 'unreadable');
  }
  const names = entries.filter((n) => n.endsWith('.json')).sort();
  const out: Array<{ file: string; runs: RunResult[] }> = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      out.push({ file, runs: await readResults(file) });
    } catch (err) {
      if (err instanceof ResultFileError && err.kind === 'foreign') continue;
      throw err;
    }
  }
  return out;
}

/**
 * A run read twice would be ranked against itself and counted twice (report's comparison, a
 * compare set's rank test, where an audit's copies took a p of 0.100 to 0.048): a file named
 * twice (a shell glob that overlaps another), or the same run in two files (a copy).
 */
export function refuseDuplicates(read: Array<{ file: string; runs: RunResult[] }>): void {
  const files = new Map<string, string>();
  const seen: Array<{ file: string; run: RunResult }> = [];
  for (const { file, runs: inFile } of read) {
    const resolved = path.resolve(file);
    const earlier = files.get(resolved);
    if (earlier !== undefined) throw new ResultFileError(`${file} is given twice${earlier === file ? '' : ` (as ${earlier} too)`}: its runs would be shown and ranked twice; name each result once`);
    files.set(resolved, file);
    for (const run of inFile) {
      const twin = seen.find((s) => s.file !== file && sameRun(s.run, run));
      if (twin) throw new ResultFileError(`${file} and ${twin.file} hold the same run (${runLabel(run)}, started ${run.startedAt}): it would be shown and ranked twice; name one of them`);
    }
    for (const run of inFile) seen.push({ file, run });
  }
}
