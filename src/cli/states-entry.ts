// `twstorm states` on its own: the same command (states.ts) under yargs, without loading the run
// machinery (undici, the scenario schema, the report renderers, every other command). Why:
// `states` is what people run in a loop while a storm is on, and at 100,000 sockets loading the
// whole CLI cost more than reading the kernel table (bench/states.bench.ts). bin/twstorm.js
// comes here for `twstorm states …` without --help or --version; anything this entry cannot
// parse is handed to the full CLI (main.ts), so usage errors and help read exactly the same.
import './interrupt.js';
import './closed-pipe.js';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { statesCommand } from './states.js';
import { EXIT } from './exit-codes.js';

let handOver = false;
try {
  await yargs(hideBin(process.argv))
    .scriptName('twstorm')
    .command(statesCommand)
    .strict()
    .help(false)
    .version(false)
    .fail((_message, err) => {
      // A yargs validation failure: the full CLI words it (and suggests the option meant).
      if (err instanceof Error && err.name !== 'YError') throw err;
      handOver = true;
    })
    .parseAsync();
} catch (err) {
  // As main.ts words an unexpected error from a command.
  process.stderr.write(`twstorm: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(EXIT.RUN_FAILED);
}
if (handOver) await import('./main.js');
