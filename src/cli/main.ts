// The twstorm CLI: yargs commands, each thin (parse, call, print).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ScenarioError } from '../scenario/index.js';
import { RunError } from '../run/run-scenario.js';
import { SysctlError } from '../environment/sysctl.js';
import { ServerProcessError, ServerStartError } from '../server/process.js';
import { EnvironmentError } from '../environment/namespace.js';
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

const EPILOGUE = `Exit codes:
  0    success
  1    the run could not be carried out (environment, server, crash)
  2    bad command line or scenario file: nothing ran
  3    run, merge: a scenario threshold failed (the result was written)
  4    compare: a regression beyond the tolerance, or a baseline scenario with no current result
  130  interrupted (Ctrl-C); the partial result was written

Runs happen in a fresh network namespace (unshare -n as root, unshare -rn otherwise), so the
host's sockets and sysctls are untouched. Docs: README.md, scenarios/README.md and docs/.`;

function fail(err: unknown): never {
  if (err instanceof ScenarioError) {
    for (const problem of err.problems) process.stderr.write(`twstorm: ${problem}\n`);
    process.exit(EXIT.USAGE);
  }
  if (
    err instanceof RunError ||
    err instanceof SysctlError ||
    err instanceof EnvironmentError ||
    err instanceof ServerStartError ||
    err instanceof ServerProcessError ||
    err instanceof SocketFeatureError
  ) {
    process.stderr.write(`twstorm: ${err.message}\n`);
    process.exit(EXIT.RUN_FAILED);
  }
  process.stderr.write(`twstorm: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(EXIT.RUN_FAILED);
}

try {
  await yargs(hideBin(process.argv))
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
    .demandCommand(1, 'Name a command: run, report, compare, merge, plan, states, doctor, list or serve (twstorm --help).')
    .strict()
    .epilogue(EPILOGUE)
    .fail((message, err, y) => {
      // yargs' own validation failures arrive as a YError, or as the string a .check returned:
      // usage, exit 2. Anything else is a real error from a handler.
      if (err instanceof Error && err.name !== 'YError') throw err;
      y.showHelp('error');
      process.stderr.write(`\ntwstorm: ${message}\n`);
      process.exit(EXIT.USAGE);
    })
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .parseAsync();
} catch (err) {
  fail(err);
}
