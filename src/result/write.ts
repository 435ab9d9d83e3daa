// Writing a result file: how every result lands on disk (a run's, a repeat's, a merge's) —
// whole or not at all (util/atomic-write.ts), as util/json-text.ts writes JSON.
import { writeFileAtomic } from '../util/atomic-write.js';
import { jsonText } from '../util/json-text.js';
import type { RunResult } from './model.js';

export async function writeResult(result: RunResult, path: string): Promise<void> {
  await writeFileAtomic(path, jsonText(result));
}
