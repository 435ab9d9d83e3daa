// `twstorm states` on its own: the same command (states.ts) without yargs and without the rest
// of the CLI (the run machinery, undici, the scenario schema, the report renderers). Why:
// `states` is what people run in a loop while a storm is on, and at 100,000 sockets loading
// yargs and the whole CLI cost more than reading the kernel table (bench/states.bench.ts).
// bin/twstorm.js comes here for `twstorm states …` without --help or --version. The command line
// is read by node:util's parseArgs in its plain forms only (parseStatesArgvLean); anything else
// is handed to the full CLI (main.ts), so help, usage errors and exit codes read exactly the same.
// This entry is bundled as one file apart from the full CLI (scripts/bundle.mjs), so nothing with
// a side effect (the signal and closed-pipe handlers) is loaded before that hand-over: the full
// CLI installs its own, and two of each would answer every signal twice.
import { parseStatesArgvLean, runStates } from './states.js';
import { EXIT } from './exit-codes.js';
import { say } from '../util/say.js';

const args = process.argv[2] === 'states' ? parseStatesArgvLean(process.argv.slice(3)) : null;
if (args === null) await import('./main.js');
else {
  await import('./interrupt.js');
  await import('./closed-pipe.js');
  try {
    await runStates(args);
  } catch (err) {
    // As main.ts words an unexpected error from a command.
    say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(EXIT.RUN_FAILED);
  }
}
