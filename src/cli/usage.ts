// A usage error — a mistake on the command line — is one line that ends by saying where the
// options are explained: `(see "twstorm run --help")`. yargs' own failures are worded in main.ts
// and a command's handler finds others (--shard 3/2, --rate -5); both end here, so no check words
// the pointer its own way or forgets it. A bad input file (a result, a scenario) is not one: its
// line says what to pass instead, and the help would add nothing.
import { say } from '../util/say.js';
import { EXIT } from './exit-codes.js';

/** ` (see "twstorm <command> --help")`, or the top-level help's when no command is named. */
export function seeHelp(command?: string): string {
  return ` (see "twstorm${command ? ` ${command}` : ''} --help")`;
}

/** Says the one line, with the pointer to `command`'s help. */
export function sayUsage(message: string, command?: string): void {
  say(`${message}${seeHelp(command)}`);
}

/** The one line, then exit 2: nothing ran. */
export function usageExit(message: string, command?: string): never {
  sayUsage(message, command);
  process.exit(EXIT.USAGE);
}
