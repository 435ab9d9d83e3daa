// Repeats: the same scenario N times, each run in its own fresh namespace (so none inherits
// another's TIME_WAIT sockets), written as one set. The set is what the compare gate needs:
// the spread of identical runs is the noise a real change has to stand out from.
import os from 'node:os';
import type { Scenario } from '../scenario/index.js';
import type { RepeatInfo, ShardInfo, StoredResult } from '../result/provenance.js';
import { RunInterrupted, type RunOutcome } from './run-scenario.js';
import { timestamp } from '../util/timestamp.js';
import { writeResult } from '../result/write.js';

/** How many runs a scenario asks for: `repeat:` in the file, or `--repeat N` (which sets it). */
export function repeatCount(scenario: Scenario): number {
  const n = (scenario as Scenario & { repeat?: number }).repeat;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/**
 * Runs `once` up to `count` times. With count > 1 each result is marked with its place in
 * the set (index, count, set id), and `once` is given the tag its file is named with
 * ("-r<i>of<N>", after the time) so the set is recognisable on disk, and so is the server log
 * named after each result. Stops early when a run is interrupted or `stop()` says so; a run
 * interrupted before it wrote a result ends the set with the runs before it.
 */
export async function runRepeated(
  count: number,
  setName: string,
  once: (repeatTag: string) => Promise<RunOutcome>,
  stop: () => boolean = () => false,
  before: (index: number) => void = () => {},
  shard: ShardInfo | null = null,
): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  const set = `${setName}-${timestamp()}`;
  for (let i = 0; i < count; i += 1) {
    if (i > 0 && stop()) break;
    before(i);
    let outcome: RunOutcome;
    try {
      outcome = await once(count > 1 ? `-r${i + 1}of${count}` : '');
    } catch (err) {
      // A second Ctrl-C cut a later run off before it wrote a result: the runs before it did,
      // and they are the set (were they thrown away here, their files would be left unreported).
      if (err instanceof RunInterrupted && outcomes.length > 0) break;
      throw err;
    }
    outcomes.push(count > 1 || shard ? await mark(outcome, count > 1 ? { index: i + 1, count, set } : null, shard) : outcome);
    if (outcome.result.interrupted) break;
  }
  return outcomes;
}

/** Adds where the result came from (its repeat, its shard) to its file, already named for both. */
async function mark(outcome: RunOutcome, repeat: RepeatInfo | null, shard: ShardInfo | null): Promise<RunOutcome> {
  const result: StoredResult = { ...outcome.result, ...(repeat ? { repeat } : {}), ...(shard ? { shard: { ...shard, host: os.hostname() } } : {}) };
  await writeResult(result, outcome.resultPath);
  return { result, resultPath: outcome.resultPath };
}
