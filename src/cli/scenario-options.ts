// The options that change the scenario a command loads: --set, and the flags that become
// overrides (--isolation, --allow-remote-target). `run` and `doctor <scenario>` share them, so
// doctor judges the scenario run would run (an audit: doctor said "pass --allow-remote-target"
// and then refused the flag).
import type { Argv } from 'yargs';
import { knownKeysAt } from '../scenario/schema-walk.js';
import { scenarioSchema } from '../scenario/schema.js';
import { camelCase } from '../util/camel-case.js';

export interface ScenarioArgs {
  set: string[];
  isolation?: 'auto' | 'netns' | 'host';
  'allow-remote-target': boolean;
}

/** What --set takes, for the line that says it was given none (main.ts reads a command's `valueHints`). */
export const SCENARIO_VALUE_HINTS: Record<string, string> = { set: 'a field=value like connections=20000' };

/**
 * `--connections 10` is a newcomer's first guess at `--set connections=10` (an audit: "unknown
 * option: --connections" with nothing to go on): the --set to write, when the unknown option
 * names a top-level scenario field (main.ts reads a command's `optionHint`).
 */
export function scenarioFieldHint(name: string, value: string | undefined): string | undefined {
  const field = camelCase(name);
  if (!knownKeysAt(scenarioSchema, []).includes(field)) return undefined;
  return `a scenario field: write --set ${field}=${value ?? '…'}`;
}

export function scenarioOptions<T>(y: Argv<T>) {
  return y
    .option('set', {
      type: 'string',
      array: true,
      // One value per --set, and one is required: an array option otherwise takes every word after
      // it (`--set connections=200 client-closes-first` swallowed the scenario), and a bare --set
      // was an empty list (the default run, with the override silently dropped).
      nargs: 1,
      requiresArg: true,
      default: [] as string[],
      // An example value, not a command line: yargs wraps a description anywhere, and a command
      // cut in two ("--set connections=20000 --set" / "close.first=server") cannot be copied.
      describe: 'Override a scenario field, as field=value (like connections=20000); once per field',
    })
    .option('isolation', {
      choices: ['auto', 'netns', 'host'] as const,
      requiresArg: true,
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
