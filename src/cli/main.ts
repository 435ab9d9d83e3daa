// The twstorm CLI: yargs commands, each thin (parse, call, print).
// First, before anything slow loads: signals (interrupt.ts) and closed pipes (closed-pipe.ts).
import './interrupt.js';
import './closed-pipe.js';
import type { CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import path from 'node:path';
import { closest, didYouMean } from '../util/suggest.js';
import { camelCase } from '../util/camel-case.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { say } from '../util/say.js';
import { ExpectedError } from '../util/expected-error.js';
import { usageExit } from './usage.js';

// Each command's module loads the machinery it runs (the scenario schema, undici, the report
// renderers, the engine…), so the CLI loads only the command the command line names: `twstorm
// list` or the run process inside a namespace (`__inside`) does not pay for every other one.
// All of them load only when no command is named (top-level help, completion): `twstorm run
// --help` loads run's alone, as yargs shows that command's help only (25 help, version and usage
// lines compared byte for byte against loading all; run --help 0.41 -> 0.31 CPU-s).
/** A command module; `valueHints` says what its string options take, for the line that says one was given none. */
type Command = CommandModule<any, any> & { valueHints?: Record<string, string>; optionHint?: (name: string, value: string | undefined) => string | undefined };
const LOADERS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).runCommand as Command,
  list: async () => (await import('./list.js')).listCommand as Command,
  serve: async () => (await import('./serve.js')).serveCommand as Command,
  compare: async () => (await import('./compare.js')).compareCommand as Command,
  plan: async () => (await import('./plan.js')).planCommand as Command,
  report: async () => (await import('./report.js')).reportCommand as Command,
  states: async () => (await import('./states.js')).statesCommand as Command,
  doctor: async () => (await import('./doctor.js')).doctorCommand as Command,
  merge: async () => (await import('./merge.js')).mergeCommand as Command,
  __inside: async () => (await import('./inside.js')).insideCommand as Command,
};
/** The commands a user is offered, in the order messages list them (completion is yargs' own). */
const COMMAND_NAMES = ['run', 'list', 'serve', 'compare', 'merge', 'plan', 'report', 'states', 'doctor', 'completion'];

const COMPLETION_HELP = `twstorm completion

Print a shell completion script (bash, zsh): commands, options and the bundled
scenarios (run, doctor) complete on TAB.
  twstorm completion >> ~/.bashrc
  twstorm completion >> ~/.zshrc
`;

// Laid out by hand for 80 columns, where yargs would rewrap each longer line on its own into
// fragments ("…or it failed" / "(the server died…" / "asked to").
const EPILOGUE = `Exit codes:
  0    success
  1    the run could not be carried out (environment, server, --out, crash), or
       it failed (the server died, every connection failed — unless the bundled
       server was asked to reset them, as in rst-data-loss): the partial result
       says "failed": why; doctor: a check failed; states: it could not look;
       compare, merge, report: an output file could not be written; merge: a
       result it merged had failed
  2    bad command line, scenario file or result file (report, compare,
       plan --from, merge): nothing ran
  3    run, merge: a scenario threshold failed (the result was written)
  4    compare: a regression beyond the tolerance, or a baseline scenario with
       no current result
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP); the partial result was written.
       A second Ctrl-C stops at once
When several apply, 130 wins over 1, and 1 over 3.

Runs happen in a fresh network namespace (unshare -n as root, unshare -rn
otherwise), so the host's sockets and sysctls are untouched. Docs: README.md,
scenarios/README.md and docs/.`;

async function fail(err: unknown): Promise<never> {
  // The scenario's errors load with the code that throws them: by the time one is caught here
  // its module is loaded, and importing it again costs nothing.
  const { ScenarioError } = await import('../scenario/index.js');
  if (err instanceof ScenarioError) {
    for (const problem of err.problems) say(`${problem}`);
    process.exit(EXIT.USAGE);
  }
  // The environment, a sysctl, the server, --out, the native layer: its message says what to do.
  if (err instanceof ExpectedError) {
    say(`${err.message}`);
    process.exit(EXIT.RUN_FAILED);
  }
  say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(EXIT.RUN_FAILED);
}

// `twstorm help run` is `twstorm run --help`, as git and npm read it.
const given = hideBin(process.argv);
const args = given[0] === 'help' && given.length > 1 ? [...given.slice(1), '--help'] : given;
// `twstorm --version` (what a CI log or a bug report asks first) is one line: said before
// yargs and every command load, which are ~0.3 s of CPU and nothing this answer needs.
if (args.length === 1 && args[0] === '--version') {
  process.stdout.write(`${VERSION}\n`);
  process.exit(EXIT.OK);
}
const named = args.find((a) => !a.startsWith('-'));
const asksHelp = args.some((a) => a === '--help' || a === '-h' || a === '--version');
// yargs' completion command prints its script whatever follows; the shell's own calls come as
// --get-yargs-completions, never through here.
if (args[0] === 'completion' && args.length > 1) {
  if (args.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(COMPLETION_HELP);
    process.exit(EXIT.OK);
  }
  usageExit('completion takes no arguments or options: it prints the script', 'completion');
}

/** A command line that starts with a word twstorm does not know: one line, and a guess only when it is a likely one. */
function unknownCommand(given: string): never {
  usageExit(`unknown command "${given}"${didYouMean(given, COMMAND_NAMES)}`);
}

// yargs' own commands: `completion` (registered below) and `help` (its default).
const YARGS_COMMANDS = new Set(['completion', 'help']);
// A first word that is no command is a typo: said before yargs and every command load (~0.3 s
// of CPU), with the guess from suggest.ts — yargs' recommendCommands offers its nearest command
// however far it is ("xyz": "did you mean run?").
const first = args[0];
if (first !== undefined && !first.startsWith('-') && !(first in LOADERS) && !YARGS_COMMANDS.has(first) && !asksHelp) unknownCommand(first);
// Options before the command: twstorm has no top-level option but --help and --version, and
// yargs would read `--json list` as --json="list" and ask for a command that was given.
if (first !== undefined && first.startsWith('-') && named !== undefined && named in LOADERS && !asksHelp) {
  usageExit(`options go after the command: twstorm ${[named, ...args.filter((a) => a !== named)].join(' ')}`, named);
}
// -v and -V are --version in many tools; here they are nothing, and "name a command" would not say so.
if (args.length === 1 && (first === '-v' || first === '-V')) {
  usageExit(`unknown option ${first}; did you mean --version?`);
}
const everything = named === undefined || !(named in LOADERS);
const loaded = new Map<string, Command>();
for (const [name, load] of Object.entries(LOADERS)) if (everything || name === named) loaded.set(name, await load());


/** What yargs knows of the options being parsed (public, though not in its typings). */
interface ParsedOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  choices: Record<string, unknown[]>;
  number: string[];
}

/** The option that `name` (as typed: -o, --output) stands for (out). */
function optionNamed(name: string, options: ParsedOptions): string {
  return Object.keys(options.alias).find((key) => options.alias[key]!.includes(name)) ?? name;
}

/**
 * What an option's value should be, for the line that says it is missing: its choices, "a
 * number", or the command's own words for a string (`valueHints` in its module: "--set" takes
 * "a field=value like connections=20000").
 */
function expectedValue(option: string, options: ParsedOptions, command: string | undefined): string {
  const choices = options.choices[option];
  if (choices !== undefined && choices.length > 0) return `one of ${choices.join(', ')}`;
  if (options.number.includes(option)) return 'a number';
  return (command ? loaded.get(command)?.valueHints?.[option] : undefined) ?? 'a value';
}

/** The value typed after an option, `--name value` or `--name=value`; undefined when none. */
function typedValue(option: string): string | undefined {
  const at = args.findIndex((a) => a === option || a.startsWith(`${option}=`));
  if (at < 0) return undefined;
  if (args[at] !== option) return args[at]!.slice(option.length + 1);
  const next = args[at + 1];
  return next === undefined || next.startsWith('-') ? undefined : next;
}

/**
 * A usage error is one line, a "did you mean" when a near name exists, and where to read more —
 * not the whole help with the error at the bottom, where nobody looks.
 */
function usageError(message: string, options: ParsedOptions, command: string | undefined): never {
  const knownOptions = Object.keys(options.key);
  let line = message;
  if (/^Did you mean \S+\?$/.test(message)) unknownCommand(named ?? '');
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  // `--tolerance -5%`: a value that starts with "-" is parsed as short options (-5, -%), which
  // yargs then calls unknown; the user typed a value, and `=` is how to give it.
  // Only when every unknown name is a piece of that value: `--latency-floor -1 --bogus` is about --bogus.
  const unknownNames = unknown ? unknown[1]!.split(', ') : [];
  const dashValue = args.findIndex(
    (a, i) => i > 0 && /^-[\d.]/.test(a) && /^--[^=]+$/.test(args[i - 1]!) && unknownNames.every((n) => a.slice(1).includes(n)),
  );
  if (unknown && dashValue > 0) {
    const option = args[dashValue - 1]!;
    const value = args[dashValue]!;
    line = `${option} ${JSON.stringify(value)}: a value that starts with "-" reads as options; write ${option}=${value}`;
  } else if (unknown) {
    const names = unknown[1]!.split(', ');
    if (!command && names.length === 1) {
      // A positional the top level did not know: a mistyped command.
      line = `unknown command "${names[0]}"${didYouMean(names[0]!, COMMAND_NAMES)}`;
    } else {
      // yargs calls a surplus positional an unknown "argument", as it does an option; shown as
      // an option (--extra) it would send the user looking for a flag they never typed.
      const positionals = names.filter((name) => args.includes(name));
      // yargs lists `--connect-timeout` twice, as typed and camel-cased (connectTimeout): once.
      const typed = names.filter((name) => !args.includes(name));
      const options = typed.filter((name) => !typed.some((other) => other.includes('-') && camelCase(other) === name));
      const parts: string[] = [];
      if (options.length > 0) {
        const hints = options.map((name) => {
          const shown = name.length === 1 ? `-${name}` : `--${name}`;
          // A flag named after a scenario field (`--connections 10`) is what --set is for.
          const instead = command ? loaded.get(command)?.optionHint?.(name, typedValue(shown)) : undefined;
          if (instead !== undefined) return `${shown} (${instead})`;
          const guess = closest(name, knownOptions.filter((k) => k.length > 1));
          return guess ? `${shown} (did you mean --${guess}?)` : shown;
        });
        parts.push(`unknown option${options.length > 1 ? 's' : ''}: ${hints.join(', ')}`);
      }
      if (positionals.length > 0) {
        const declared = command ? loaded.get(command)?.command : undefined;
        const takes = typeof declared === 'string' ? declared.split(' ').slice(1).join(' ') : '';
        parts.push(
          `unexpected argument${positionals.length > 1 ? 's' : ''} ${positionals.map((n) => `"${n}"`).join(', ')}: ` +
            (command ? `${command} takes ${takes === '' ? 'no arguments, only options' : takes}` : `name one command: ${COMMAND_NAMES.join(', ')}`),
        );
      }
      line = parts.join('; ');
    }
  }
  // yargs words a value outside `choices` on a line of its own per option, its values as JSON
  // ("Invalid values:\n  Argument: by, Given: \"port\", Choices: \"local-port\", …"): one
  // line, each bad value with a guess from suggest.ts, also when two options (or one given twice)
  // have bad values. A number is never a misspelling of another: --tw-reuse 3 gets no "did you mean 0?".
  const invalid = [...message.matchAll(/^\s*Argument: (.+?), Given: (.*), Choices: (.*)$/gm)];
  const jsonList = (text: string): unknown[] | null => {
    try {
      return JSON.parse(`[${text}]`) as unknown[];
    } catch {
      return null;
    }
  };
  // Only as yargs words it (each list JSON), else its own words stay.
  if (message.startsWith('Invalid values:') && invalid.length > 0 && invalid.every(([, , given, choices]) => jsonList(given!) && jsonList(choices!))) {
    line = invalid
      .flatMap(([, option, given, choices]) => {
        const allowed = jsonList(choices!)!.map(String);
        return jsonList(given!)!.map((value) =>
          value === true
            ? `--${option}: expected one of ${allowed.join(', ')} after it, got none`
            : typeof value === 'number'
              ? `--${option} ${value}: expected one of ${allowed.join(', ')}`
              : `--${option} ${JSON.stringify(String(value))}: expected one of ${allowed.join(', ')}${didYouMean(String(value), allowed)}`,
        );
      })
      .join('; ');
  }
  const missing = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (missing && command) {
    const declared = loaded.get(command)?.command;
    const usage = typeof declared === 'string' ? declared : command;
    line = `${command} needs ${usage.split(' ').slice(1).join(' ')}; got ${missing[1]} argument${missing[1] === '1' ? '' : 's'}`;
  }
  // An option with nothing after it (`--set` last, or `--out --json`): yargs says "Not enough
  // arguments following: set". Named as typed (-o, --output), with what its value should be, in
  // the words plan's own check had for a bare --rate ("expected a number after it, got none").
  const noValue = /^Not enough arguments following: (.+)$/.exec(message);
  if (noValue) {
    const typed = noValue[1]!;
    line = `${typed.length === 1 ? '-' : '--'}${typed}: expected ${expectedValue(optionNamed(typed, options), options, command)} after it, got none`;
  }
  // A required option left out (merge's -o): yargs names it bare ("Missing required argument: out").
  const required = /^Missing required arguments?: (.+)$/.exec(message);
  if (required && command) {
    line = required[1]!
      .split(', ')
      .map((name) => {
        const short = (options.alias[name] ?? []).filter((a) => a.length === 1).map((a) => `-${a}/`).join('');
        return `${command} needs ${short}--${name}: ${expectedValue(name, options, command)}`;
      })
      .join('; ');
  }
  usageExit(line, command);
}

/**
 * A number option given a word (`--top abc`) reaches a command as NaN, which its checks then
 * print as "NaN": refused here, as the user typed it.
 */
function refuseNotANumber(argv: Record<string, unknown>): void {
  const bad = new Set(Object.keys(argv).filter((key) => typeof argv[key] === 'number' && Number.isNaN(argv[key])));
  if (bad.size === 0) return;
  const command = typeof (argv['_'] as unknown[])[0] === 'string' ? ((argv['_'] as string[])[0]) : undefined;
  for (const [i, arg] of args.entries()) {
    const flag = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!flag) continue;
    const name = flag[1]!;
    if (!bad.has(name) && !bad.has(camelCase(name))) continue;
    const value = flag[2] ?? args[i + 1];
    usageExit(`--${name} ${value === undefined ? '(no value)' : JSON.stringify(value)}: expected a number`, command && command in LOADERS ? command : undefined);
  }
}

/**
 * yargs reads a boolean option given any word (`--json=maybe`, `--thresholds=no`) as false and
 * runs on: a typo that quietly flips a switch. `--name=true`/`--name=false` (and `--no-name`)
 * are the ways to set one; any other value is refused here, as the user typed it.
 */
function refuseNotABoolean(command: string | undefined, options: ParsedOptions & { boolean: string[] }): void {
  // yargs takes each name camel-cased too (--perSocketRange=yes for --per-socket-range, as the
  // scenario field allowRemoteTarget invites): a spelling left out here slipped through as false.
  const booleans = new Set(options.boolean.flatMap((name) => [name, ...(options.alias[name] ?? [])].flatMap((n) => [n, camelCase(n)])));
  for (const arg of args) {
    const flag = /^--?([^=]+)=(.*)$/s.exec(arg);
    if (!flag || !booleans.has(flag[1]!) || flag[2] === 'true' || flag[2] === 'false') continue;
    const shown = flag[1]!.length === 1 ? `-${flag[1]}` : `--${flag[1]}`;
    usageExit(`${shown}=${flag[2]}: ${shown} is a switch; give it alone, or =true / =false`, command && command in LOADERS ? command : undefined);
  }
}

/** The commands whose first argument is a scenario, which TAB completes with the bundled names. */
const TAKES_SCENARIO = new Set(['run', 'doctor']);
// Read before yargs runs, and only for TAB: yargs goes on to validate the command line unless
// the completion answers at once, and would then refuse its own --get-yargs-completions.
const bundledNames = args[0] === '--get-yargs-completions'
  ? (await (await import('../scenario/bundled.js')).bundledScenarioFiles().catch(() => [])).map((f) => path.basename(f).replace(/\.(ya?ml|json)$/, ''))
  : [];

/**
 * What TAB offers (the shell's `--get-yargs-completions twstorm run client-c`): yargs' commands
 * and options, and for run's and doctor's scenario the bundled ones, as `twstorm list` names
 * them (a file path is the shell's own completion). yargs offers a one-letter alias as "--o"
 * after "--": a name that does not exist, dropped (it offers "-o" after "-").
 */
function complete(current: string, argv: { _: Array<string | number> }, defaults: (done: (err: Error | null, list: string[] | undefined) => void) => void, done: (list: string[]) => void): void {
  defaults((_err, list) => {
    const offered = (list ?? []).filter((c) => !/^--[^-\s:\t](?=$|[:\t])/.test(c));
    // argv._ is the program's name, the command, then the positionals, the word being completed
    // last when it is one (an option's value is not).
    const words = argv._.map(String);
    const scenario = words.length === 3 && TAKES_SCENARIO.has(words[1]!) && words[2] === current && !current.startsWith('-');
    done(scenario ? [...offered, ...bundledNames.filter((name) => name.startsWith(current))] : offered);
  });
}

// Loaded here, after the typo check above: yargs and its layout helpers are ~90 ms of a start.
const { default: yargs } = await import('yargs');
const cli = yargs(args);
// Registered in LOADERS' order: the order `twstorm --help` lists them in.
for (const command of loaded.values()) cli.command(command);
// yargs lays out the whole help of a command as it starts the command's handler
// (cacheHelpMessage, kept for a failure it would print with the help), measuring every line with
// string-width and ICU's grapheme segmenter: ~45 ms of a `twstorm run`'s ~360 ms of CLI CPU
// (--cpu-prof). twstorm's errors are one line and never print that help; --help builds its own
// text (usage.help() lays it out afresh when nothing is cached). The same internal handle as
// the .fail() below, which yargs documents nowhere but keeps public.
(cli as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } })
  .getInternalMethods()
  .getUsageInstance().cacheHelpMessage = () => undefined;
try {
  await cli
    .scriptName('twstorm')
    // yargs' own words (Options, default, required) in English, as all of twstorm's text is,
    // whatever LANG says: without this it would look for translations (none are bundled).
    .detectLocale(false)
    .version(VERSION)
    // -h is --help everywhere, as every other CLI has it.
    .help('help')
    .alias('help', 'h')
    // No command inside a description: yargs wraps it wherever the width falls ("…: twstorm" /
    // "completion >> ~/.bashrc"), and a wrapped command cannot be copied. It goes in an example.
    .completion('completion', 'Print a shell completion script (bash, zsh) to add to ~/.bashrc or ~/.zshrc', complete)
    .example('$0 completion >> ~/.bashrc', '')
    .demandCommand(1, `name a command: ${COMMAND_NAMES.join(', ')}`)
    .recommendCommands()
    .strict()
    .epilogue(EPILOGUE)
    // Before the commands' own checks, which would otherwise name the NaN it became.
    .middleware((argv) => {
      refuseNotANumber(argv);
      const inside = cli as unknown as { getOptions(): ParsedOptions & { boolean: string[] } };
      const command = typeof argv._[0] === 'string' ? argv._[0] : undefined;
      refuseNotABoolean(command, inside.getOptions());
    }, true)
    .fail((message, err) => {
      // yargs' own validation failures arrive as a YError, or as the string a .check returned:
      // usage, exit 2. Anything else is a real error from a handler.
      if (err instanceof Error && err.name !== 'YError') throw err;
      // Not in yargs' typings, but public: the options and the command being parsed.
      const inside = cli as unknown as { getInternalMethods(): { getContext(): { commands: string[] } }; getOptions(): ParsedOptions };
      const command = inside.getInternalMethods().getContext().commands[0];
      usageError(message ?? err?.message ?? 'bad command line', inside.getOptions(), command);
    })
    // Help is laid out for 100 columns at most; examples are kept short enough for 80. Off a
    // terminal (a pipe, a file) COLUMNS says the width, as it does for other tools.
    .wrap(Math.min(100, process.stdout.columns ?? (Number(process.env['COLUMNS']) || 100)))
    .parseAsync();
} catch (err) {
  await fail(err);
}
