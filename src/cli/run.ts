// `twstorm run`: parse, call, print.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { expandMatrix, type Scenario, type Variant } from '../scenario/index.js';
import { loadRunnableScenario } from '../run/load-scenario.js';
import { evaluateThresholds, formatThresholds } from '../thresholds/index.js';
import { chooseIsolation, RunError, RunInterrupted, type RunOutcome } from '../run/run-scenario.js';
import { resultStem } from '../scenario/matrix-values.js';
import { timestamp } from '../util/timestamp.js';
import { runSet, shardFileTag } from '../run/run-set.js';
import { renderComparisonBlock, renderRunBlock } from '../report/terminal.js';
import { stripControl } from '../util/escape.js';
import { renderHtmlReport } from '../report/html/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { formatChecks, preflight, wantsColor } from '../doctor/index.js';
import { requireSocketFeatures } from '../run/native-needs.js';
import type { RunResult } from '../result/model.js';
import { describeWriteError, prepareOutDir, removeEmptyCreated } from '../run/out-dir.js';
import { releaseResultPath, reserveFilePath } from '../run/result-name.js';
import { onInterrupt } from './interrupt.js';
import { continueOnClosedPipe } from './closed-pipe.js';
import { EXIT } from './exit-codes.js';
import { applyShard, shardFrom, shardIsolation, ShardError } from '../run/shard.js';
import { renderSpreadTerminal } from '../report/terminal-spread.js';
import { repeatCount } from '../run/repeat.js';
import { say, sayBlock } from '../util/say.js';
import { jsonText } from '../util/json-text.js';
import { SCENARIO_VALUE_HINTS, scenarioFieldHint, ScenarioOverrides, scenarioOptions, type ScenarioArgs } from './scenario-options.js';
import { usageExit } from './usage.js';

interface RunArgs extends ScenarioArgs {
  scenario: string;
  out: string;
  json: boolean;
  thresholds: boolean;
  repeat?: number;
  shard?: string;
}

/** What each string option takes, for the line that says one was given no value (main.ts). */
const VALUE_HINTS: Record<string, string> = {
  ...SCENARIO_VALUE_HINTS,
  out: 'a directory like reports/',
  shard: 'a share i/N like 2/4',
};

export const runCommand = {
  command: 'run <scenario>',
  describe: 'Run a scenario (every matrix variant) in fresh network namespaces and write result JSON',
  valueHints: VALUE_HINTS,
  optionHint: scenarioFieldHint,
  builder: (y: Argv) =>
    scenarioOptions(
      y
        .positional('scenario', {
          type: 'string',
          demandOption: true,
          describe: 'Scenario file (YAML or JSON), or the name of a bundled one (see "twstorm list")',
        })
        // -o/--out is where output goes, in every command; --output too, as report and merge take it.
        // requiresArg on every option with a value: a bare `--out` (last, or before another option)
        // was the default, and the run wrote into ./reports; a bare --repeat ran once.
        .option('out', { alias: ['o', 'output'], type: 'string', requiresArg: true, default: 'reports', describe: 'Directory for the result JSON and HTML reports' }),
    )
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'Print the result JSON to stdout instead of the summary (an array for a matrix or --repeat)',
      })
      .option('thresholds', {
        type: 'boolean',
        default: true,
        describe: 'Gate on the scenario\'s thresholds (exit 3 when one fails); --no-thresholds only reports them',
      })
      .option('repeat', {
        type: 'number',
        requiresArg: true,
        describe: 'Run it N times, each in a fresh namespace, as one set (sets `repeat:`); the summary shows the spread, compare judges against it',
      })
      // Checked as the flag it is: passed on as --set repeat=N, the schema would blame --set.
      .check((argv) => argv['repeat'] === undefined || (Number.isInteger(argv['repeat']) && (argv['repeat'] as number) >= 1 && (argv['repeat'] as number) <= 100) || `--repeat ${argv['repeat']}: expected a whole number from 1 to 100`)
      .option('shard', {
        type: 'string',
        requiresArg: true,
        // "host isolation", not "--isolation host": wrapped at 80 columns that read "--isolation" / "host".
        describe: 'Run share i of N ("i/N", 1-based) of the count, rate, concurrency and port range (under host isolation the port slice goes on each socket, IP_LOCAL_PORT_RANGE, Linux 6.3+); also TWSTORM_SHARD, or JOB_COMPLETION_INDEX with TWSTORM_SHARDS',
      })
      .example('$0 run client-closes-first', 'the default storm')
      .example('$0 run client-closes-first --repeat 5 --out baseline/', '')
      .example('$0 run client-closes-first --shard 2/4', '')
      .example('$0 run server-closes-first --set connections=20000', '')
      .example('$0 run my-scenario.yaml --out /tmp/reports', '')
      .example('$0 run client-closes-first --isolation host --set target=127.0.0.1:8080', ''),
  handler: async (argv: ArgumentsCamelCase<RunArgs>): Promise<void> => {
    // Results are files: a pager that closed early silences the summary, not the run.
    continueOnClosedPipe();
    // The first Ctrl-C (or SIGTERM) stops the load and keeps the partial result; a second one
    // stops at once. The run process hears of it from this process (run-scenario.ts). Taken
    // over first thing, so a Ctrl-C during the checks below still ends with one clear line.
    const stop = new AbortController();
    const force = new AbortController();
    // Before the first run there is nothing to keep: say so. Once one started, this process
    // cannot tell whether its load has begun (a user's server may still be coming up), so the
    // line promises only what it measured, and the lines after it say what that was.
    const started = { run: false };
    const unsubscribe = onInterrupt((signal, count) => {
      if (count === 1) {
        const what = started.run ? 'the run ends, keeping what it measured' : 'no run has started';
        process.stderr.write(`\ntwstorm: stopping: ${what} (interrupt again to quit at once)\n`);
        // The signal goes with the stop to the run process, whose result says what interrupted it.
        stop.abort(signal);
      } else {
        force.abort();
      }
    });
    try {
      await runHandler(argv, stop, force, started);
    } finally {
      unsubscribe();
    }
  },
};

async function runHandler(argv: ArgumentsCamelCase<RunArgs>, stop: AbortController, force: AbortController, started: { run: boolean }): Promise<void> {
  const overrides = new ScenarioOverrides(argv);
  if (argv.repeat !== undefined) overrides.flag(`repeat=${argv.repeat}`, '--repeat');
  const loaded = await loadRunnableScenario(argv.scenario, overrides.list, overrides.flags);
  const file = loaded.file;
  let scenario = loaded.scenario;
  let shardInfo = null;
  try {
    const shard = shardFrom(argv.shard);
    if (shard) {
      // Under host isolation the shard's port slice goes on each socket (IP_LOCAL_PORT_RANGE).
      const split = applyShard(scenario, shard, { isolation: shardIsolation(scenario.environment.isolation) });
      ({ scenario, info: shardInfo } = split);
      if (split.notice) say(split.notice);
    }
  } catch (err) {
    // --shard (or TWSTORM_SHARD) is the command line's: its help says how to write it.
    if (err instanceof ShardError) usageExit(err.message, 'run');
    throw err;
  }
  const variants = expandMatrix(scenario, file);
  // The doctor's checks for this scenario, before anything starts: refusing now beats
  // failing half-way (an open-file limit below the concurrency, no namespace for netns).
  const checks = await preflight(scenario);
  const failed = checks.filter((c) => c.status === 'fail');
  const warned = checks.filter((c) => c.status === 'warn');
  // One failed check is the error, in one line (what, why, the fix); several are listed as the
  // doctor lists them, above one line that counts them. Warnings are listed either way.
  const listed = failed.length === 1 ? warned : [...failed, ...warned];
  if (listed.length > 0) process.stderr.write(`${formatChecks(listed, { color: wantsColor(process.stderr) })}\n`);
  if (failed.length === 1) {
    const [c] = failed as [(typeof failed)[number]];
    throw new RunError(`not started: ${c.title}: ${c.detail}${c.fix ? `; ${c.fix}` : ''}`);
  }
  if (failed.length > 1) {
    throw new RunError(`not started: ${failed.length} pre-flight checks failed (see above; "twstorm doctor" shows them all)`);
  }
  // Options Node lacks come from the native socket layer: refuse now, naming the option.
  for (const v of variants.length > 0 ? variants.map((x) => x.scenario) : [scenario]) requireSocketFeatures(v);
  const choice = chooseIsolation(scenario.environment.isolation);
  if (choice.fallbackReason) {
    process.stderr.write(
      `twstorm: WARNING: no network namespace could be made (${choice.fallbackReason}); ` +
        `running on the HOST network instead. Sysctls will not be applied.\n`,
    );
  }
  // --out is created and written to before any traffic: a long run that cannot save its
  // result (read-only, full, a name too long, a file in the way) is refused now, not after.
  // After the pre-flight checks, so that a run they refuse leaves no empty directory behind.
  const { dir: outDir, created } = await prepareOutDir(argv.out, probeNames(scenario, variants, shardInfo));
  let exitCode: number = EXIT.OK;
  const worse = (code: number): void => {
    // 130 (interrupted) beats 1 (failed) beats 3 (a threshold failed).
    const rank = (c: number): number => [EXIT.OK, EXIT.THRESHOLDS_FAILED, EXIT.RUN_FAILED, EXIT.INTERRUPTED].indexOf(c as 0);
    if (rank(code) > rank(exitCode)) exitCode = code;
  };
  const matrix = variants.length > 0;
  // Several blocks (a matrix, repeats) are set apart by a blank line.
  const several = matrix || repeatCount(scenario) > 1;
  let outcomes: RunOutcome[];
  // Runs, not variants: each variant runs its scenario's repeat count.
  const planned = matrix ? variants.reduce((n, v) => n + repeatCount(v.scenario), 0) : repeatCount(scenario);
  try {
    outcomes = await runSet(scenario, variants, outDir, choice, {
      control: { stop: stop.signal, force: force.signal, progress: !argv.json && process.stderr.isTTY === true },
      stopRequested: () => stop.signal.aborted,
      shard: shardInfo,
      before: (index, total, variant) => {
        started.run = true;
        if (variant && !argv.json) say(`run ${index + 1}/${total}: ${variant.label}`);
      },
      couldNotRun: (index, total, variant, why) => {
        say(`run ${index + 1}/${total}${variant ? ` (${variant.label})` : ''} could not be made, the others go on: ${why}`);
        worse(EXIT.RUN_FAILED);
      },
      // Each variant's summary and report as soon as it is done: a matrix takes minutes.
      after: async (outcome) => {
        const html = await writeHtmlReport([outcome.result], outcome.resultPath.replace(/\.json$/, '.html'), outcome.resultPath);
        if (html === null) worse(EXIT.RUN_FAILED);
        if (!argv.json) {
          process.stdout.write(renderRunBlock(outcome.result, outcome.resultPath, html ?? undefined, several));
        } else {
          // stdout is the JSON alone: where the files went goes to stderr, for a CI log.
          say(`result: ${stripControl(outcome.resultPath)}${html === null ? '' : `; HTML report: ${stripControl(html)}`}`);
        }
        if (outcome.result.failed) {
          say(`the run failed: ${outcome.result.failed}; the partial result is in ${outcome.resultPath}`);
          worse(EXIT.RUN_FAILED);
        }
      },
    });
  } catch (err) {
    // Whatever ended the runs (an interrupt, a run process killed before its result), a
    // directory this run made and left empty goes too.
    await removeEmptyCreated(created);
    if (!(err instanceof RunInterrupted)) throw err;
    say(`${err.message}`);
    process.exitCode = EXIT.INTERRUPTED;
    return;
  }
  const results = outcomes.map((o) => o.result);
  if (results.length === 0 && !stop.signal.aborted) {
    // Every variant said why it could not be made (couldNotRun).
    await removeEmptyCreated(created);
    say('no run of the set could be made; nothing was measured or written');
    process.exitCode = EXIT.RUN_FAILED;
    return;
  }
  if (results.length === 0) {
    await removeEmptyCreated(created);
    process.stderr.write('twstorm: interrupted before the first run started; nothing was measured or written\n');
    process.exitCode = EXIT.INTERRUPTED;
    return;
  }
  if (outcomes.length > 1) {
    // Reserved as the results are (result-name.ts): a set started in the same second in this
    // --out takes "-2", not this one's file.
    const time = timestamp();
    const kept = outcomes.map((o) => o.resultPath).join(' ');
    const comparison = await reserveFilePath(outDir, (n) => `${scenario.name}${shardFileTag(shardInfo)}-${time}${n > 1 ? `-${n}` : ''}`, '.html').catch((err: unknown) => {
      say(`the comparison report could not be named in ${outDir} (${describeWriteError(err)}); the results are kept: ${kept}`);
      return null;
    });
    const html = comparison === null ? null : await writeHtmlReport(results, comparison, kept);
    if (html === null) {
      if (comparison !== null) await releaseResultPath(comparison);
      worse(EXIT.RUN_FAILED);
    }
    // An interrupt can end a matrix early: say how many of the planned runs the report holds.
    const cut = stop.signal.aborted ? ' before the interrupt' : '';
    // "both runs", not "all 2 runs".
    const all = results.length === 2 ? 'both runs' : `all ${results.length} runs`;
    const which = results.length < planned ? `the ${results.length} of ${planned} runs made${cut}` : all;
    if (!argv.json) {
      process.stdout.write(renderComparisonBlock(results, html, which));
    } else if (html !== null) {
      say(`HTML report comparing ${which}: ${stripControl(html)}`);
    }
  }
  if (argv.json) process.stdout.write(jsonText(matrix || results.length > 1 ? results : results[0]));
  else {
    // Repeats: the spread of each figure over the set.
    const spread = renderSpreadTerminal(results);
    if (spread) process.stdout.write(`\n${spread}\n`);
  }
  if (Object.keys(scenario.thresholds).length > 0) {
    let thresholdsFailed = false;
    for (const result of results) {
      const verdicts = evaluateThresholds(result.scenario.thresholds, result);
      thresholdsFailed ||= verdicts.some((o) => !o.pass);
      const heading = result.variant ? `${stripControl(result.variant.label)}\n` : '';
      // With --json, stdout carries only the JSON; the verdicts go to stderr.
      sayBlock(`${heading}${formatThresholds(verdicts)}\n`, argv.json ? process.stderr : process.stdout);
    }
    if (thresholdsFailed && argv.thresholds) worse(EXIT.THRESHOLDS_FAILED);
  }
  if (stop.signal.aborted || results.some((r) => r.interrupted)) worse(EXIT.INTERRUPTED);
  process.exitCode = exitCode;
}

/**
 * The longest file names the run will write in --out (the HTML report's `.partial` is the
 * longest per run), for the probe before the load. The timestamp is now's: same length.
 */
function probeNames(scenario: Scenario, variants: Variant[], shard: { index: number; count: number } | null): string[] {
  const stems = variants.length > 0 ? variants.map((v) => resultStem(v.scenario, v)) : [resultStem(scenario, null)];
  const shardTag = shardFileTag(shard);
  const repeats = Math.max(1, ...(variants.length > 0 ? variants.map((v) => repeatCount(v.scenario)) : [repeatCount(scenario)]));
  const repeatTag = repeats > 1 ? `-r${repeats}of${repeats}` : '';
  return [...new Set(stems)].map((stem) => `${stem}${shardTag}-${timestamp()}${repeatTag}.html.partial`);
}

/**
 * Writes one HTML report; returns its path, or null when it could not be written (a disk that
 * filled during the run): the result JSON is kept, and the message says where and how to render
 * it later.
 */
async function writeHtmlReport(results: RunResult[], htmlPath: string, kept: string): Promise<string | null> {
  try {
    await writeFileAtomic(htmlPath, await renderHtmlReport(results));
    return htmlPath;
  } catch (err) {
    say(
      `the HTML report could not be written (${describeWriteError(err, htmlPath)}); ` +
        `the result JSON is kept: ${kept}; render it elsewhere with "twstorm report ${kept} --out <file.html>"`,
    );
    return null;
  }
}
