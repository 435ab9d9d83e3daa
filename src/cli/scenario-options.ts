// The options that change the scenario a command loads: --set, and the flags that become
// overrides (--isolation, --allow-remote-target). `run` and `doctor <scenario>` share them, so
// doctor judges the scenario run would run (an audit: doctor said "pass --allow-remote-target"
// and then refused the flag).
import type { Argv } from 'yargs';

export interface ScenarioArgs {
  set: string[];
  isolation?: 'auto' | 'netns' | 'host';
  'allow-remote-target': boolean;
}

export function scenarioOptions<T>(y: Argv<T>) {
  return y
    .option('set', {
      type: 'string',
      array: true,
      default: [] as string[],
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
    });
}

/** The overrides the options make, and for each one a flag made, its name: a problem with it names the flag, not "--set". */
export class ScenarioOverrides {
  readonly list: string[];
  readonly flags = new Map<string, string>();

  constructor(argv: ScenarioArgs) {
    this.list = [...argv.set];
    if (argv.isolation) this.flag(`environment.isolation=${argv.isolation}`, '--isolation');
    if (argv['allow-remote-target']) this.flag('allowRemoteTarget=true', '--allow-remote-target');
  }

  flag(text: string, name: string): void {
    this.list.push(text);
    this.flags.set(text, name);
  }
}
