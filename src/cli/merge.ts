// `twstorm merge`: parse, call, print. Combines results from several processes or machines
// into one exact result (see src/result/merge.ts), writes it with its HTML report, and gates
// on the scenario's thresholds evaluated on the merged figures (exit 3).
import path from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { readResultFile, CompareInputError } from '../compare/load.js';
import { mergeResults, MergeError } from '../result/merge.js';
import { evaluateThresholds, formatThresholds } from '../thresholds/index.js';
import { renderHtmlReport } from '../report/html/index.js';
import { renderTerminalSummary } from '../report/terminal.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { EXIT } from './exit-codes.js';
import { usageExit } from './usage.js';
import { continueOnClosedPipe } from './closed-pipe.js';
import { say, sayBlock } from '../util/say.js';
import { cannotWrite, makeDirectories, makeParentDirectories, namesDirectory, rethrow } from '../run/out-dir.js';
import { releaseResultPath, reserveResultPath } from '../run/result-name.js';
import type { RunResult } from '../result/model.js';
import { writeResult } from '../result/write.js';
import { timestamp } from '../util/timestamp.js';
import { resultStem, variantSlug } from '../scenario/matrix-values.js';
import { allInOrder } from '../util/all-in-order.js';

interface MergeArgs {
  /** Never empty: `<results..>` is required (typed optional only to keep yargs' default out of the help). */
  results: string[] | undefined;
  out: string;
  html: boolean;
  thresholds: boolean;
  partial: boolean;
}

function usage(message: string): never {
  say(`${message}`);
  process.exit(EXIT.USAGE);
}

/** What each string option takes, for the line that says one was given no value or left out (main.ts). */
const VALUE_HINTS: Record<string, string> = { out: 'a file for the merged result like merged.json (or a directory)' };

/**
 * Where a merge is written: `out` itself, or in a directory (an existing one, or a path ending in
 * "/") a name of its own, reserved as a run's is (run/result-name.ts): the name carries the time to
 * the second, and the merges of a --repeat split, run i after run i in one CI step, come seconds
 * apart or less — the second of one second replaced the first without a word, and compare then
 * read a set with a run missing. The next free name takes "-2", "-3" … after the time.
 */
export async function mergedPathFor(out: string, merged: RunResult, count: number, now = new Date()): Promise<string> {
  if (!(await namesDirectory(out))) {
    await makeParentDirectories(out);
    return out;
  }
  await makeDirectories(path.resolve(out), rethrow);
  // Named as a run's file is: scenario, then the variant's values, so two variants never share one.
  const stem = resultStem(merged.scenario, merged.variant ? { slug: variantSlug(merged.variant.values) } : null);
  const time = timestamp(now);
  return reserveResultPath(out, (n) => `${stem}-merged-${count}-${time}${n > 1 ? `-${n}` : ''}`);
}

export const mergeCommand = {
  command: 'merge <results..>',
  describe: 'Merge results of several processes or machines (e.g. the shards of one run) exactly: counts add, histograms add, series align on wall-clock time',
  valueHints: VALUE_HINTS,
  builder: (y: Argv) =>
    y
      // `<results..>` already makes them required; demandOption and yargs' default [] would only
      // add "[required] [default: []]" to the help, a contradiction.
      .positional('results', { type: 'string', array: true, default: undefined, describe: 'Result JSON files to merge (two or more)' })
      // -o/--out is where output goes, in every command; --output, merge's old name, is still accepted.
      // A bare -o is refused (requiresArg): it was "", and the write failed as "cannot write : ENOENT".
      .option('out', { alias: ['o', 'output'], type: 'string', requiresArg: true, demandOption: true, describe: 'The merged result JSON to write, or a directory to write it in (its HTML report goes beside it)' })
      .option('html', { type: 'boolean', default: true, describe: 'Write the HTML report beside the merged JSON (--no-html to skip)' })
      .option('thresholds', { type: 'boolean', default: true, describe: "Gate on the scenario's thresholds over the merged figures (exit 3); --no-thresholds only reports them" })
      .option('partial', { type: 'boolean', default: false, describe: 'Merge the shards given when some of the split are missing, or results that were interrupted (warned); without it either is refused (exit 2)' })
      // No description beside it: at 80 columns one pushed the command onto two lines.
      .example('$0 merge shards/*.json -o merged.json', ''),
  handler: async (argv: ArgumentsCamelCase<MergeArgs>): Promise<void> => {
    // Its output is files and a gate (exit 3): a pager that closed early silences the summary only.
    continueOnClosedPipe();
    const files = (argv.results ?? []).map(String);
    // A mistake on the command line, not in a file: said with the pointer to the help.
    if (files.length < 2) usageExit(`merge needs at least two results to merge, got ${files.length}`, 'merge');
    let merged;
    try {
      const inputs = await allInOrder(files.map(async (file) => ({ file, result: await readResultFile(file) })));
      merged = await mergeResults(inputs, { partial: argv.partial });
    } catch (err) {
      if (err instanceof CompareInputError || err instanceof MergeError) usage(err.message);
      throw err;
    }
    for (const w of merged.merged?.warnings ?? []) say(`WARNING: ${w}`);
    let out = argv.out;
    try {
      out = await mergedPathFor(argv.out, merged, files.length);
      await writeResult(merged, out);
    } catch (err) {
      if (out !== argv.out) await releaseResultPath(out);
      say(cannotWrite(out, err, 'choose another place with --out'));
      process.exitCode = EXIT.RUN_FAILED;
      return;
    }
    // Where the merge went, said once (the summary's "result:" line and then "merged 2 results
    // into" the same path said it twice), with how many results it holds.
    sayBlock(`${renderTerminalSummary(merged)}\n\nresult: ${out} (${files.length} results merged)\n`);
    if (argv.html) {
      const htmlPath = out.replace(/(\.json)?$/, '.html');
      try {
        await writeFileAtomic(htmlPath, await renderHtmlReport([merged]));
        process.stdout.write(`HTML report: ${htmlPath}\n`);
      } catch (err) {
        // The merged result is written; the gate below still runs (a failed threshold's exit 3
        // wins over this exit 1, as compare's 4 does), so a report that cannot be written never hides it.
        say(cannotWrite(htmlPath, err, 'choose another place with --out, or skip it with --no-html'));
        process.exitCode = EXIT.RUN_FAILED;
      }
    }
    const thresholds = merged.scenario.thresholds;
    if (Object.keys(thresholds).length > 0) {
      const outcomes = evaluateThresholds(thresholds, merged);
      process.stdout.write(`${formatThresholds(outcomes)}\n`);
      if (outcomes.some((o) => !o.pass) && argv.thresholds) process.exitCode = EXIT.THRESHOLDS_FAILED;
    }
    // A contributor that failed (its server down, every connection refused) makes the merge
    // failed, and exits 1 as its run did, whatever the thresholds said (an audit: exit 0, so a
    // CI merge step passed a split whose shard never reached the server). 1 beats 3, as in run.
    if (merged.failed !== undefined) {
      say(`the merge holds a run that failed: ${merged.failed}; the merged result is in ${out}`);
      process.exitCode = EXIT.RUN_FAILED;
    }
  },
};
