// `twstorm doctor`: parse, call, print. The work is in src/doctor/.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { loadRunnableScenario } from '../run/load-scenario.js';
import { doctorScenario, formatChecks, runDoctor, wantsColor, worstStatus } from '../doctor/index.js';
import { EXIT } from './exit-codes.js';
import { jsonText } from '../util/json-text.js';
import { SCENARIO_VALUE_HINTS, scenarioFieldHint, ScenarioOverrides, scenarioOptions, type ScenarioArgs } from './scenario-options.js';

interface DoctorArgs extends ScenarioArgs {
  scenario?: string;
  json: boolean;
}

export const doctorCommand = {
  command: 'doctor [scenario]',
  describe: 'Check whether this machine can run each bundled scenario (or the one named), and how to fix what blocks it',
  /** What each string option takes, for the line that says one was given no value (main.ts). */
  valueHints: SCENARIO_VALUE_HINTS,
  optionHint: scenarioFieldHint,
  builder: (y: Argv) =>
    scenarioOptions(y.positional('scenario', { type: 'string', describe: 'Judge only this scenario (file or bundled name), line by line, as `run` with the same options would run it' }))
      .option('json', { type: 'boolean', default: false, describe: 'Print the checks as JSON' })
      // The bundled scenarios are judged as shipped: an override belongs to one scenario.
      .check((argv) => argv.scenario !== undefined || new ScenarioOverrides(argv).list.length === 0 || '--set, --isolation and --allow-remote-target change one scenario: name it (twstorm doctor <scenario> …)')
      .example('$0 doctor', 'every check, every scenario')
      .example('$0 doctor port-exhaustion', 'what its run checks')
      .example('$0 doctor tw-reuse --isolation host', 'as `run` with that flag would run it'),
  handler: async (argv: ArgumentsCamelCase<DoctorArgs>): Promise<void> => {
    const color = !argv.json && wantsColor(process.stdout);
    const overrides = new ScenarioOverrides(argv);
    if (argv.scenario !== undefined) {
      const { scenario } = await loadRunnableScenario(argv.scenario, overrides.list, overrides.flags);
      const checks = await doctorScenario(scenario);
      const status = worstStatus(checks);
      if (argv.json) process.stdout.write(jsonText({ schema: 'twstorm/doctor@1', scenario: scenario.name, status, checks }));
      else process.stdout.write(`${formatChecks(checks, { color })}\n\n${scenario.name}: ${verdictWord(status)}\n`);
      process.exitCode = status === 'fail' ? EXIT.RUN_FAILED : EXIT.OK;
      return;
    }
    const report = await runDoctor();
    if (argv.json) {
      process.stdout.write(jsonText(report));
    } else {
      const out = [
        'this machine',
        formatChecks(report.machine, { color }),
        '',
        'bundled scenarios',
        formatChecks(report.scenarios, { color }),
        ...report.unreadable.map((u) => `could not load ${u}`),
        '',
        `overall: ${verdictWord(report.status)}`,
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    }
    process.exitCode = report.status === 'fail' ? EXIT.RUN_FAILED : EXIT.OK;
  },
};

function verdictWord(status: 'ok' | 'warn' | 'fail'): string {
  if (status === 'ok') return '✓ ok — everything can run';
  if (status === 'warn') return '! warn — runs, with the caveats above';
  return '✗ FAIL — something above blocks a run; see its fix';
}
