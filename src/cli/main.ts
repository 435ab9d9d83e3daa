// The twstorm CLI: yargs commands, each thin (parse, call, print).
// First, before anything slow loads: signals (interrupt.ts) and closed pipes (closed-pipe.ts).
import './interrupt.js';
import './closed-pipe.js';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ScenarioError } from '../scenario/index.js';
import { RunError } from '../run/run-scenario.js';
import { SysctlError } from '../environment/sysctl.js';
import { ServerProcessError, ServerStartError } from '../server/process.js';
import { EnvironmentError } from '../environment/namespace.js';
import { OutDirError } from '../run/out-dir.js';
import { closest } from './suggest.js';
import { SocketFeatureError } from '../sockets/index.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';
import { insideCommand } from './inside.js';
import { listCommand } from './list.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { compareCommand } from './compare.js';
import { planCommand } from './plan.js';
import { reportCommand } from './report.js';
import { statesCommand } from './states.js';
import { doctorCommand } from './doctor.js';
import { mergeCommand } from './merge.js';
import { say } from '../report/say.js';

const EPILOGUE = `Exit codes:
  0    success
  1    the run could not be carried out (environment, server, --out, crash), or it failed
       (the server died, every connection failed): the partial result says "failed": why
  2    bad command line or scenario file: nothing ran
  3    run, merge: a scenario threshold failed (the result was written)
  4    compare: a regression beyond the tolerance, or a baseline scenario with no current result
  130  interrupted (Ctrl-C, SIGTERM); the partial result was written. A second Ctrl-C stops at once

Runs happen in a fresh network namespace (unshare -n as root, unshare -rn otherwise), so the
host's sockets and sysctls are untouched. Docs: README.md, scenarios/README.md and docs/.`;

function fail(err: unknown): never {
  if (err instanceof ScenarioError) {
    for (const problem of err.problems) say(`${problem}`);
    process.exit(EXIT.USAGE);
  }
  if (
    err instanceof RunError ||
    err instanceof SysctlError ||
    err instanceof EnvironmentError ||
    err instanceof ServerStartError ||
    err instanceof ServerProcessError ||
    err instanceof SocketFeatureError ||
    err instanceof OutDirError
  ) {
    say(`${err.message}`);
    process.exit(EXIT.RUN_FAILED);
  }
  say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(EXIT.RUN_FAILED);
}

const COMMANDS = [runCommand, listCommand, serveCommand, compareCommand, mergeCommand, planCommand, reportCommand, statesCommand, doctorCommand];
const COMMAND_NAMES = COMMANDS.map((c) => c.command.split(' ')[0]!);

/**
 * A usage error is one line, a "did you mean" when a near name exists, and where to read more —
 * not the whole help with the error at the bottom, where nobody looks.
 */
function usageError(message: string, knownOptions: string[], command: string | undefined): never {
  const helpFor = command ? `twstorm ${command} --help` : 'twstorm --help';
  let line = message;
  const typo = /^Did you mean (\S+)\?$/.exec(message);
  if (typo) {
    const given = hideBin(process.argv).find((a) => !a.startsWith('-')) ?? '';
    line = `unknown command "${given}"; did you mean ${typo[1]}?`;
  }
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown) {
    const names = unknown[1]!.split(', ');
    if (!command && names.length === 1) {
      // A positional the top level did not know: a mistyped command.
      const guess = closest(names[0]!, COMMAND_NAMES);
      line = `unknown command "${names[0]}"${guess ? `; did you mean ${guess}?` : ''}`;
    } else {
      const hints = names.map((name) => {
        const shown = name.length === 1 ? `-${name}` : `--${name}`;
        const guess = closest(name, knownOptions.filter((k) => k.length > 1));
        return guess ? `${shown} (did you mean --${guess}?)` : shown;
      });
      line = `unknown option${names.length > 1 ? 's' : ''}: ${hints.join(', ')}`;
    }
  }
  const missing = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (missing && command) {
    const usage = COMMANDS.find((c) => c.command.split(' ')[0] === command)?.command ?? command;
    line = `${command} needs ${usage.split(' ').slice(1).join(' ')}; got ${missing[1]} argument${missing[1] === '1' ? '' : 's'}`;
  }
  say(`${line} (see "${helpFor}")`);
  process.exit(EXIT.USAGE);
}

const cli = yargs(hideBin(process.argv));
try {
  await cli
    .scriptName('twstorm')
    .version(VERSION)
    .command(runCommand)
    .command(listCommand)
    .command(serveCommand)
    .command(compareCommand)
    .command(planCommand)
    .command(reportCommand)
    .command(statesCommand)
    .command(doctorCommand)
    .command(mergeCommand)
    .command(insideCommand)
    .completion('completion', 'Print a shell completion script (bash, zsh): twstorm completion >> ~/.bashrc')
    .demandCommand(1, `name a command: ${COMMAND_NAMES.join(', ')}`)
    .recommendCommands()
    .strict()
    .epilogue(EPILOGUE)
    .fail((message, err) => {
      // yargs' own validation failures arrive as a YError, or as the string a .check returned:
      // usage, exit 2. Anything else is a real error from a handler.
      if (err instanceof Error && err.name !== 'YError') throw err;
      // Not in yargs' typings, but public: the options and the command being parsed.
      const inside = cli as unknown as { getInternalMethods(): { getContext(): { commands: string[] } }; getOptions(): { key: object } };
      const command = inside.getInternalMethods().getContext().commands[0];
      usageError(message ?? err?.message ?? 'bad command line', Object.keys(inside.getOptions().key), command);
    })
    // Help is laid out for 100 columns at most; examples are kept short enough for 80.
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .parseAsync();
} catch (err) {
  fail(err);
}
