// Repeats: the same scenario N times, each run in its own fresh namespace (so none inherits
// another's TIME_WAIT sockets), written as one set. The set is what the compare gate needs:
// the spread of identical runs is the noise a real change has to stand out from.
import { rm } from 'node:fs/promises';
import type { Scenario } from '../scenario/index.js';
import type { RepeatInfo, StoredResult } from '../result/provenance.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { timestamp, type RunOutcome } from './run-scenario.js';

/** How many runs a scenario asks for: `repeat:` in the file, or `--repeat N` (which sets it). */
export function repeatCount(scenario: Scenario): number {
  const n = (scenario as Scenario & { repeat?: number }).repeat;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/**
 * Runs `once` up to `count` times. With count > 1 each result is marked with its place in
 * the set (index, count, set id) and its file renamed "<stem>-r<i>of<N>.json" so the set is
 * recognisable on disk. Stops early when a run is interrupted or `stop()` says so.
 */
export async function runRepeated(
  count: number,
  setName: string,
  once: () => Promise<RunOutcome>,
  stop: () => boolean = () => false,
  before: (index: number) => void = () => {},
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  const set = `${setName}-${timestamp()}`;
  for (let i = 0; i < count; i += 1) {
    if (i > 0 && stop()) break;
    before(i);
    const outcome = await once();
    outcomes.push(count > 1 ? await markRepeat(outcome, { index: i + 1, count, set }) : outcome);
    if (outcome.result.interrupted) break;
  }
  return outcomes;
}

async function markRepeat(outcome: RunOutcome, repeat: RepeatInfo): Promise<RunOutcome> {
  const result: StoredResult = { ...outcome.result, repeat };
  const resultPath = outcome.resultPath.replace(/\.json$/, `-r${repeat.index}of${repeat.count}.json`);
  await writeFileAtomic(resultPath, `${JSON.stringify(result, null, 1)}\n`);
  await rm(outcome.resultPath, { force: true });
  return { result, resultPath };
}
