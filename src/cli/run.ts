// `twstorm run`: parse, call, print.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { loadScenarioFile } from '../scenario/index.js';
import { chooseIsolation, runScenario } from '../run/run-scenario.js';
import { renderTerminalSummary } from '../report/terminal.js';
import { resolveScenarioPath } from './bundled.js';
import { EXIT } from './exit-codes.js';

interface RunArgs {
  scenario: string;
  out: string;
  set: string[];
  isolation?: 'auto' | 'netns' | 'host';
  json: boolean;
}

export const runCommand = {
  command: 'run <scenario>',
  describe: 'Run a scenario in a fresh network namespace and write its result JSON',
  builder: (y: Argv) =>
    y
      .positional('scenario', {
        type: 'string',
        demandOption: true,
        describe: 'Scenario file (YAML or JSON), or the name of a bundled one (see "twstorm list")',
      })
      .option('out', { alias: 'o', type: 'string', default: 'reports', describe: 'Directory for the result JSON' })
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
      .option('json', { type: 'boolean', default: false, describe: 'Print the result JSON to stdout instead of the summary' })
      .example('$0 run client-closes-first', 'the default storm')
      .example('$0 run scenarios/server-closes-first.yaml --out reports/ --set connections=20000', '')
      .example('$0 run port-exhaustion --set "environment.sysctls.net.ipv4.ip_local_port_range=40000 40999"', ''),
  handler: async (argv: ArgumentsCamelCase<RunArgs>): Promise<void> => {
    const overrides = [...argv.set];
    if (argv.isolation) overrides.push(`environment.isolation=${argv.isolation}`);
    const scenario = await loadScenarioFile(resolveScenarioPath(argv.scenario), overrides);
    const choice = chooseIsolation(scenario.environment.isolation);
    if (choice.fallbackReason) {
      process.stderr.write(
        `twstorm: WARNING: no network namespace could be made (${choice.fallbackReason}); ` +
          `running on the HOST network instead. Sysctls will not be applied.\n`,
      );
    }
    const { result, resultPath } = await runScenario(scenario, argv.out, choice);
    process.stdout.write(argv.json ? `${JSON.stringify(result, null, 1)}\n` : `${renderTerminalSummary(result, resultPath)}\n`);
    if (result.interrupted) process.exitCode = EXIT.INTERRUPTED;
  },
};
