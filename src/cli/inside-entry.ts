// The run process's entry point (`node inside-entry.js __inside`, started by run/run-scenario.ts
// and the routed lab inside their namespaces). Why not `twstorm __inside` through main.ts: every
// run boots this process once (a matrix or a routed lab, several times), and loading yargs,
// every command and the report renderers there cost more CPU than a small run's whole load.
// This loads the signal and closed-pipe handlers first, then only the run machinery. The
// `__inside` argument is only a name for ps and tests: nothing parses it.
import './interrupt.js';
import { continueOnClosedPipe } from './closed-pipe.js';
import { EXIT } from './exit-codes.js';
import { say } from '../util/say.js';

// What this process says is for the user; what it produces is the result it hands the parent.
// A closed stderr (`run … 2>&1 | head`) or a hung-up terminal must not cost that result.
continueOnClosedPipe();

try {
  // Dynamic, so the handlers above are live while the run machinery loads.
  const { runInside } = await import('./inside.js');
  await runInside();
} catch (err) {
  // As main.ts words an unexpected error from a command.
  say(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(EXIT.RUN_FAILED);
}
