// The process-wide answer to SIGINT, SIGTERM and SIGHUP, installed before anything else loads
// (main.ts imports it first). Without it a signal in the first few hundred milliseconds — while
// yargs and the commands load, or while a pre-flight check blocks in spawnSync — killed the
// process with no message and no result. A command that can stop cleanly (run, the run
// process) subscribes; while nobody has, a signal ends the process at once with 130, the code a
// shell reports for Ctrl-C. Commands with their own handlers (serve, states) keep them: this
// one then steps aside.
import { EXIT } from './exit-codes.js';
import { say } from '../util/say.js';
import { leaveHungUpTerminal } from './hangup.js';

export type InterruptListener = (signal: NodeJS.Signals, count: number) => void;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const listeners = new Set<InterruptListener>();
let received = 0;
let firstSignal: NodeJS.Signals | null = null;

function onSignal(signal: NodeJS.Signals): void {
  // The terminal closing sends SIGHUP: what is still to be said goes nowhere, quietly.
  if (signal === 'SIGHUP') leaveHungUpTerminal();
  received++;
  firstSignal ??= signal;
  if (listeners.size === 0) {
    // Another handler for this signal (serve prints its counts) decides what happens.
    if (process.listenerCount(signal) > 1) return;
    say(`interrupted (${signal})`);
    process.exit(EXIT.INTERRUPTED);
  }
  for (const listener of [...listeners]) listener(signal, received);
}

for (const signal of SIGNALS) process.on(signal, onSignal);

/**
 * Calls `listener` on every stop signal from now on (with how many arrived so far, so a second
 * Ctrl-C can mean "now"); a signal that came before subscribing is replayed at once. Returns
 * the unsubscribe function.
 */
export function onInterrupt(listener: InterruptListener): () => void {
  listeners.add(listener);
  if (firstSignal !== null) listener(firstSignal, received);
  return () => listeners.delete(listener);
}
