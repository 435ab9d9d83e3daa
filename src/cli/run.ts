// `twstorm run`: parse, call, print.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { expandMatrix, loadScenarioFile, ScenarioError } from '../scenario/index.js';
import { missingSysctlProblems } from '../environment/sysctl.js';
import { evaluateThresholds, formatThresholds, validateThresholds } from '../thresholds/index.js';
import path from 'node:path';
import { chooseIsolation, RunError, type RunOutcome } from '../run/run-scenario.js';
import { runSet } from '../run/run-set.js';
import { renderRunOutput } from '../report/terminal.js';
import { renderHtmlReport } from '../report/html/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { timestamp } from '../run/run-scenario.js';
import { formatChecks, preflight, wantsColor } from '../doctor/index.js';
import { requireSocketFeatures } from '../run/native-needs.js';
import { resolveScenarioPath } from '../scenario/bundled.js';
import { EXIT } from './exit-codes.js';
import { applyShard, shardFrom, ShardError } from '../run/shard.js';
import { renderSpreadTerminal } from '../report/terminal-spread.js';

interface RunArgs {
  scenario: string;
  out: string;
  set: string[];
  isolation?: 'auto' | 'netns' | 'host';
  json: boolean;
  thresholds: boolean;
  repeat?: number;
  shard?: string;
  'allow-remote-target': boolean;
}

export const runCommand = {
  command: 'run <scenario>',
  describe: 'Run a scenario (every matrix variant) in fresh network namespaces and write result JSON',
  builder: (y: Argv) =>
    y
      .positional('scenario', {
        type: 'string',
        demandOption: true,
        describe: 'Scenario file (YAML or JSON), or the name of a bundled one (see "twstorm list")',
      })
      .option('out', { alias: 'o', type: 'string', default: 'reports', describe: 'Directory for the result JSON and HTML reports' })
      .option('set', {
        type: 'string',
        array: true,
        default: [],
        describe: 'Override a scenario field: --set connections=20000 --set close.first=server',
      })
      .option('isolation', {
        choices: ['auto', 'netns', 'host'] as const,
        describe: 'Override environment.isolation (auto: namespace if possible, else host with a warning)',
      })
      .option('allow-remote-target', {
        type: 'boolean',
        default: false,
        describe: 'Let the scenario\'s `target:` be an address outside loopback (a machine you own); without it a typo cannot load-test someone else\'s',
      })
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
        describe: 'Run it N times, each in a fresh namespace, as one set (sets `repeat:`); the summary shows the spread, compare judges against it',
      })
      .option('shard', {
        type: 'string',
        describe: 'Run share i of N ("i/N", 1-based) of the count, rate, concurrency and port range; also TWSTORM_SHARD, or JOB_COMPLETION_INDEX with TWSTORM_SHARDS',
      })
      .example('$0 run client-closes-first', 'the default storm')
      .example('$0 run client-closes-first --repeat 5 --out baseline/', 'a baseline the compare gate can judge noise against')
      .example('$0 run client-closes-first --shard 2/4', 'the second of four copies; "twstorm merge" combines them')
      .example('$0 run scenarios/server-closes-first.yaml --out reports/ --set connections=20000', '')
      .example('$0 run client-closes-first --isolation host --set target=127.0.0.1:8080', 'load a server already running on this host')
      .example('$0 run port-exhaustion --set "environment.sysctls.net.ipv4.ip_local_port_range=40000 40999"', ''),
  handler: async (argv: ArgumentsCamelCase<RunArgs>): Promise<void> => {
    const overrides = [...argv.set];
    if (argv.isolation) overrides.push(`environment.isolation=${argv.isolation}`);
    if (argv.repeat !== undefined) overrides.push(`repeat=${argv.repeat}`);
    if (argv['allow-remote-target']) overrides.push('allowRemoteTarget=true');
    const file = resolveScenarioPath(argv.scenario);
    // Threshold figure paths (found only after the whole run otherwise) and sysctls this kernel
    // lacks are checked with the file's other problems, so all of them come in one go.
    let scenario = await loadScenarioFile(file, overrides, {
      checks: [(raw, source) => validateThresholds(raw['thresholds'], source), missingSysctlProblems],
    });
    let shardInfo = null;
    try {
      const shard = shardFrom(argv.shard);
      if (shard) ({ scenario, info: shardInfo } = applyShard(scenario, shard));
    } catch (err) {
      if (err instanceof ShardError) throw new ScenarioError([err.message]);
      throw err;
    }
    const variants = expandMatrix(scenario, file);
    // The doctor's checks for this scenario, before anything starts: refusing now beats
    // failing half-way (an open-file limit below the concurrency, no namespace for netns).
    const checks = await preflight(scenario);
    const failed = checks.filter((c) => c.status === 'fail');
    const warned = checks.filter((c) => c.status === 'warn');
    if (failed.length + warned.length > 0) {
      process.stderr.write(`${formatChecks([...failed, ...warned], { color: wantsColor(process.stderr) })}\n`);
    }
    if (failed.length > 0) {
      throw new RunError(`not started: ${failed.length} pre-flight check(s) failed (see above; "twstorm doctor" shows them all)`);
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
    // Between two matrix runs no child is there to receive a Ctrl-C: remember it and stop.
    let stop = false;
    const onSignal = (): void => {
      stop = true;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const outcomes = await runSet(scenario, variants, argv.out, choice, {
        before: (index, total, variant) => {
          if (variant && !argv.json) process.stderr.write(`twstorm: run ${index + 1}/${total}: ${variant.label}\n`);
        },
        stopRequested: () => stop,
        shard: shardInfo,
      });
      const results = outcomes.map((o) => o.result);
      if (results.length === 0) {
        process.stderr.write('twstorm: interrupted before the first run started; nothing was written\n');
        process.exitCode = EXIT.INTERRUPTED;
        return;
      }
      const reports = await writeHtmlReports(outcomes, argv.out, scenario.name);
      if (argv.json) {
        process.stdout.write(`${JSON.stringify(variants.length > 0 || results.length > 1 ? results : results[0], null, 1)}\n`);
      } else {
        process.stdout.write(renderRunOutput(outcomes, reports));
        const spread = renderSpreadTerminal(results);
        if (spread) process.stdout.write(`\n${spread}\n`);
      }
      let thresholdsFailed = false;
      if (Object.keys(scenario.thresholds).length > 0) {
        for (const result of results) {
          const outcomes = evaluateThresholds(result.scenario.thresholds, result);
          thresholdsFailed ||= outcomes.some((o) => !o.pass);
          const heading = result.variant ? `${result.variant.label}\n` : '';
          // With --json, stdout carries only the JSON; the verdicts go to stderr.
          (argv.json ? process.stderr : process.stdout).write(`${heading}${formatThresholds(outcomes)}\n`);
        }
      }
      if (stop || results.some((r) => r.interrupted)) process.exitCode = EXIT.INTERRUPTED;
      else if (thresholdsFailed && argv.thresholds) process.exitCode = EXIT.THRESHOLDS_FAILED;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

/**
 * One HTML report beside each result JSON, and for a matrix one comparison over all variants
 * (named like the scenario). Returns the paths, the most useful one (comparison) last.
 */
async function writeHtmlReports(outcomes: RunOutcome[], outDir: string, name: string): Promise<string[]> {
  const paths: string[] = [];
  for (const { result, resultPath } of outcomes) {
    const htmlPath = resultPath.replace(/\.json$/, '.html');
    await writeFileAtomic(htmlPath, await renderHtmlReport([result]));
    paths.push(htmlPath);
  }
  if (outcomes.length > 1) {
    const comparison = path.resolve(outDir, `${name}-${timestamp()}.html`);
    await writeFileAtomic(comparison, await renderHtmlReport(outcomes.map((o) => o.result)));
    paths.push(comparison);
  }
  return paths;
}
