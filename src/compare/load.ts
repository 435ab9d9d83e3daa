// What a comparison reads: result files through the one validating reader, and the key results
// are matched on. Finding them in files or directories is sets.ts.
import { ResultFileError, readResult, type RunResult } from '../result/index.js';

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
