// A scenario with a matrix is several runs: one per variant, one after the other, each in its
// own fresh namespace so no variant inherits another's TIME_WAIT sockets.
import type { Scenario, Variant } from '../scenario/index.js';
import { RunError, RunInterrupted, runScenario, type IsolationChoice, type RunControl, type RunOutcome } from './run-scenario.js';
import { resultStem } from '../scenario/matrix-values.js';
import { repeatCount, runRepeated } from './repeat.js';
import type { ShardInfo } from '../result/provenance.js';

export interface RunSetHooks {
  /** Called before each run with its position, e.g. to print a heading. */
  before?(index: number, total: number, variant: Variant | null): void;
  /** Called as each run finishes, e.g. to print its summary and write its report at once. */
  after?(outcome: RunOutcome, index: number, total: number): Promise<void> | void;
  /** Stop after the current run (Ctrl-C between runs). */
  stopRequested?(): boolean;
  /** `--shard i/N`: recorded in every result so `twstorm merge` can check the shares. */
  shard?: ShardInfo | null;
  /** Passed to each run: Ctrl-C, a second Ctrl-C, the progress line. */
  control?: RunControl;
  /**
   * A variant of a matrix that could not run at all (its server did not start, its run process
   * gave up before a result): said here, and the set goes on. Without it, such a failure ends the set.
   */
  couldNotRun?(index: number, total: number, variant: Variant | null, why: string): void;
}

export async function runSet(
  scenario: Scenario,
  variants: Variant[],
  outDir: string,
  choice: IsolationChoice,
  hooks: RunSetHooks = {},
): Promise<RunOutcome[]> {
  const plan: Array<Variant | null> = variants.length > 0 ? variants : [null];
  const outcomes: RunOutcome[] = [];
  for (const [index, variant] of plan.entries()) {
    if (hooks.stopRequested?.()) break;
    hooks.before?.(index, plan.length, variant);
    const one = variant?.scenario ?? scenario;
    const shard = shardFileTag(hooks.shard ?? null);
    let set: RunOutcome[];
    try {
      set = await runRepeated(
        repeatCount(one),
        resultStem(one, variant),
        (repeat) => runScenario(one, outDir, choice, variant, { shard, repeat }, hooks.control),
        () => hooks.stopRequested?.() ?? false,
        undefined,
        hooks.shard ?? null,
      );
    } catch (err) {
      // A Ctrl-C before this variant's run started, or a second one before its first result:
      // the variants before it stand. With none before it, the set was interrupted: not a
      // variant that "could not be made" while "the others go on" (they do not).
      if (err instanceof RunInterrupted) {
        if (outcomes.length > 0) break;
        throw err;
      }
      // One variant whose run could not be made (an audit: a server.port of 7200 that the
      // user's server never listened on) no longer costs the others theirs, nor the comparison
      // of those that ran; a crash mid-run already gave a failed result and went on.
      if (err instanceof RunError && plan.length > 1 && hooks.couldNotRun) {
        hooks.couldNotRun(index, plan.length, variant, err.message);
        continue;
      }
      throw err;
    }
    outcomes.push(...set);
    // Each run reported under its final file name (a repeat's carries its place in the set).
    for (const outcome of set) await hooks.after?.(outcome, index, plan.length);
    // An interrupted run means the user wants to stop: the remaining variants do not start.
    if (set.some((o) => o.result.interrupted)) break;
  }
  return outcomes;
}

/**
 * A shard's tag in every file name its process writes ("-shard2of4"): shards started in the same
 * second in one --out must not share a file, their results nor their comparison reports (an
 * audit: two shards' "HTML report comparing both runs" were one file, the second over the first).
 */
export function shardFileTag(shard: { index: number; count: number } | null): string {
  return shard ? `-shard${shard.index + 1}of${shard.count}` : '';
}
