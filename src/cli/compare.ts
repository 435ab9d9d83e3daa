// `twstorm compare`: parse, call, print. Exit 4 on a regression so CI can gate on it.
import { appendFile, writeFile } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import {
  CompareInputError,
  checkSelectors,
  compareResults,
  pairResultSets,
  renderCompareJunit,
  renderCompareMarkdown,
  renderCompareTerminal,
} from '../compare/index.js';
import { EXIT } from './exit-codes.js';
import { continueOnClosedPipe } from './closed-pipe.js';
import { say } from '../util/say.js';
import { cannotWrite, makeParentDirectories } from '../run/out-dir.js';
import { jsonText } from '../util/json-text.js';
import { usageExit } from './usage.js';

interface CompareArgs {
  baseline: string;
  current: string;
  tolerance: string;
  metric: string[];
  'latency-floor': number;
  confidence: number;
  'single-run-tolerance': string;
  markdown: boolean;
  junit?: string;
  json: boolean;
}

/**
 * "10%", "10" or "2.5%" → 10, 10, 2.5 (percent). A bare number below 1 ("0.1") is refused:
 * it reads as a share (10 %) as plan --keep-alive and --confidence take one, and as a percent
 * (0.1 %) here, a gate 100 times stricter than meant (an audit); "0.1%" says which.
 */
export function parseTolerance(text: string): number | null {
  const match = /^\s*(\d*\.?\d+)\s*(%?)\s*$/.exec(text);
  if (!match) return null;
  const value = Number(match[1]);
  return value > 0 && value < 1 && match[2] === '' ? null : value;
}

/** Why a tolerance was refused, beyond "expected a percentage": a sign, or a share-like bare number. */
function signedHint(text: string): string {
  if (/^\s*[-+]/.test(text)) return ': a tolerance is a size, and a change either way is judged against it (worse fails, better is reported)';
  const bare = /^\s*(0?\.\d+)\s*$/.exec(text);
  if (!bare) return '';
  const share = Number(bare[1]);
  return `: a tolerance is in percent, so write ${Number((share * 100).toPrecision(12))}% for a share of ${share}, or ${share}% for ${share} percent`;
}

/** Writes one output file; false (and one line on stderr) when it cannot. */
async function written(file: string, flag: string, write: () => Promise<void>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    say(cannotWrite(file, err, `choose another path for ${flag}`));
    return false;
  }
}

/** Exit 2 with one line; an option's error points at the help, as every usage error does. */
function usage(message: string): never {
  usageExit(message, 'compare');
}

/** What each string option takes, for the line that says one was given no value (main.ts). */
const VALUE_HINTS: Record<string, string> = {
  tolerance: 'a percentage like 10%',
  'single-run-tolerance': 'a percentage like 30%',
  metric: 'a figure like latencyMs.connect',
  junit: 'a file like compare.xml',
};

export const compareCommand = {
  command: 'compare <baseline> <current>',
  describe: 'Compare results against a baseline (two files, or two directories matched by scenario name); exit 4 on regression',
  valueHints: VALUE_HINTS,
  // requiresArg on every option with a value: without it a bare `--junit` wrote no file, and a bare
  // `--tolerance` was the default, silently.
  builder: (y: Argv) =>
    y
      .positional('baseline', { type: 'string', demandOption: true, describe: 'Baseline result JSON, or a directory of them' })
      .positional('current', { type: 'string', demandOption: true, describe: 'Current result JSON, or a directory of them' })
      .option('tolerance', { type: 'string', requiresArg: true, default: '10%', describe: 'Change (relative to the baseline) allowed before it counts, in percent: "10%" or 10 (a bare number below 1 is refused: write "0.5%")' })
      .option('metric', {
        type: 'string',
        array: true,
        // One figure per --metric, as --set takes one field: an array option otherwise takes every
        // word after it (`--metric x a b` swallowed both results).
        nargs: 1,
        requiresArg: true,
        default: [],
        // An example value, not a command line, which yargs' wrapping would cut in two.
        describe: 'Only this figure (a path or a prefix, "summary." optional, like latencyMs.connect); once per figure',
      })
      .option('latency-floor', {
        type: 'number',
        requiresArg: true,
        default: 0.1,
        describe: 'Latency changes smaller than this many ms are never regressions (loopback percentiles are jittery)',
      })
      .option('confidence', {
        type: 'number',
        requiresArg: true,
        default: 0.99,
        describe: 'With repeats on both sides: a rate or latency change counts only if a one-sided rank test over the repeats is this sure (0.5–0.9999)',
      })
      .option('single-run-tolerance', {
        type: 'string',
        requiresArg: true,
        default: '30%',
        describe: 'Rates and latencies when a side is a single run (no noise estimate): the change allowed before it counts',
      })
      .option('markdown', { type: 'boolean', default: false, describe: 'Markdown table: appended to $GITHUB_STEP_SUMMARY when set, else printed' })
      .option('junit', { type: 'string', requiresArg: true, describe: 'Write JUnit XML here: one test case per scenario × metric' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON instead of the table' })
      .example('$0 compare baseline/ reports/', 'gate: sets made with --repeat 5')
      .example('$0 compare old.json new.json', 'one run a side: a loose gate (30%)')
      .example('$0 compare baseline/ reports/ --junit compare.xml', ''),
  handler: async (argv: ArgumentsCamelCase<CompareArgs>): Promise<void> => {
    // Its verdict is the exit code (4) and the --junit file: a pager that closed early silences the table only.
    continueOnClosedPipe();
    const tolerancePct = parseTolerance(argv.tolerance);
    if (tolerancePct === null) usage(`--tolerance: expected a percentage like "10%", got ${JSON.stringify(argv.tolerance)}${signedHint(argv.tolerance)}`);
    if (!(argv.latencyFloor >= 0)) usage(`--latency-floor: expected milliseconds ≥ 0, got ${argv.latencyFloor}`);
    const singleRunTolerancePct = parseTolerance(argv.singleRunTolerance);
    if (singleRunTolerancePct === null) usage(`--single-run-tolerance: expected a percentage like "30%", got ${JSON.stringify(argv.singleRunTolerance)}${signedHint(argv.singleRunTolerance)}`);
    if (!(argv.confidence >= 0.5 && argv.confidence <= 0.9999)) usage(`--confidence: expected a level from 0.5 to 0.9999, like 0.99; got ${argv.confidence}`);
    const summaryFile = process.env['GITHUB_STEP_SUMMARY'];
    if (argv.markdown && argv.json && !summaryFile) usage('--markdown with --json needs $GITHUB_STEP_SUMMARY to write to (stdout carries the JSON)');
    const problems = checkSelectors(argv.metric);
    // One line, with the pointer to the help, as every usage error (cli/usage.ts).
    if (problems.length > 0) usage(problems.join('; '));
    let report;
    try {
      const pairing = await pairResultSets(argv.baseline, argv.current);
      report = compareResults(argv.baseline, argv.current, pairing, {
        tolerancePct,
        latencyFloorMs: argv.latencyFloor,
        metrics: argv.metric,
        confidence: argv.confidence,
        singleRunTolerancePct: Math.max(singleRunTolerancePct, tolerancePct),
      });
    } catch (err) {
      // A result that cannot be read: the message says what to pass; the help would add nothing.
      if (err instanceof CompareInputError) {
        say(err.message);
        process.exit(EXIT.USAGE);
      }
      throw err;
    }
    // Markdown goes to the job summary when there is one; otherwise it takes the table's
    // place on stdout. --json keeps stdout pure JSON, so it needs the job summary file.
    if (argv.json) process.stdout.write(jsonText(report));
    else if (argv.markdown && !summaryFile) process.stdout.write(renderCompareMarkdown(report));
    else process.stdout.write(`${renderCompareTerminal(report)}\n`);
    // A file that cannot be written is one line and exit 1, but never hides a regression's exit 4:
    // that is the answer the CI job asked for.
    const unwritten = [
      argv.markdown && summaryFile ? await written(summaryFile, '$GITHUB_STEP_SUMMARY', () => appendFile(summaryFile, `${renderCompareMarkdown(report)}\n`)) : true,
      // Missing directories are made, as merge -o and report -o make theirs.
      argv.junit
        ? await written(argv.junit, '--junit', async () => {
            await makeParentDirectories(argv.junit!);
            await writeFile(argv.junit!, renderCompareJunit(report));
          })
        : true,
    ].includes(false);
    if (report.failed) process.exitCode = EXIT.REGRESSION;
    else if (unwritten) process.exitCode = EXIT.RUN_FAILED;
  },
};
