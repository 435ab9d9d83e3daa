// Finding the results to compare: two files, or two directories whose results are matched
// by scenario name and matrix variant (the newest result per key, by startedAt, wins — a CI job that re-ran a
// scenario compares its last attempt).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { RESULT_SCHEMA, ResultFileError, readResult, type RunResult } from '../result/index.js';

export class CompareInputError extends Error {}

export interface LoadedResult {
  file: string;
  result: RunResult;
}

export interface Pairing {
  pairs: Array<{ name: string; baseline: LoadedResult; current: LoadedResult }>;
  /** Scenario names with a baseline but no current result: the run that should have made it did not. */
  missing: string[];
  /** Scenario names new in the current set: nothing to compare them with yet. */
  added: string[];
}

/** One result file, through the one validating reader (result/read.ts); its error becomes compare's input error. */
export async function readResultFile(file: string): Promise<RunResult> {
  try {
    return await readResult(file);
  } catch (err) {
    if (err instanceof ResultFileError) throw new CompareInputError(err.message);
    throw err;
  }
}

/**
 * What a result is matched on: its scenario name and, for a matrix run, its variant — every
 * variant of close-matrix shares the name, and keying on it alone would keep only one.
 */
export function resultKey(result: RunResult): string {
  return result.variant ? `${result.scenario.name} [${result.variant.label}]` : result.scenario.name;
}

/**
 * Every result in a directory (not recursive). JSON files that do not say they are twstorm
 * results are skipped; one that says so but is damaged is an error, so a broken result cannot
 * silently drop out of a CI gate.
 */
async function resultsIn(dir: string): Promise<Map<string, LoadedResult>> {
  const newest = new Map<string, LoadedResult>();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    let result: RunResult;
    try {
      result = await readResult(file);
    } catch (err) {
      if (err instanceof ResultFileError && err.kind === 'foreign') continue;
      if (err instanceof ResultFileError) throw new CompareInputError(err.message);
      throw err;
    }
    const key = resultKey(result);
    const seen = newest.get(key);
    if (!seen || seen.result.startedAt < result.startedAt) newest.set(key, { file, result });
  }
  return newest;
}

async function kindOf(p: string): Promise<'file' | 'dir'> {
  try {
    return (await stat(p)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    throw new CompareInputError(`cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function pairResults(baseline: string, current: string): Promise<Pairing> {
  const [bKind, cKind] = await Promise.all([kindOf(baseline), kindOf(current)]);
  if (bKind !== cKind) {
    throw new CompareInputError(`${baseline} is a ${bKind === 'dir' ? 'directory' : 'file'} but ${current} is a ${cKind === 'dir' ? 'directory' : 'file'}: compare two result files or two directories`);
  }
  if (bKind === 'file') {
    const [b, c] = await Promise.all([readResultFile(baseline), readResultFile(current)]);
    // Two files are compared whatever their names: the user chose them.
    return { pairs: [{ name: resultKey(c), baseline: { file: baseline, result: b }, current: { file: current, result: c } }], missing: [], added: [] };
  }
  const [b, c] = await Promise.all([resultsIn(baseline), resultsIn(current)]);
  if (b.size === 0) throw new CompareInputError(`no twstorm results (*.json with "schema": "${RESULT_SCHEMA}") in ${baseline}`);
  if (c.size === 0) throw new CompareInputError(`no twstorm results (*.json with "schema": "${RESULT_SCHEMA}") in ${current}`);
  const pairs: Pairing['pairs'] = [];
  const missing: string[] = [];
  for (const [name, base] of [...b].sort(([x], [y]) => x.localeCompare(y))) {
    const cur = c.get(name);
    if (cur) pairs.push({ name, baseline: base, current: cur });
    else missing.push(name);
  }
  const added = [...c.keys()].filter((name) => !b.has(name)).sort();
  return { pairs, missing, added };
}
