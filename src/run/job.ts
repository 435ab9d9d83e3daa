// What the outer process hands to the run process it starts inside the namespace, and the
// messages on the IPC channel between them. The job travels over the channel, not in a temp
// file: nothing is left in /tmp when either side is killed, and the channel doubles as a
// lifeline (the run process stops when it closes).
import type { Scenario } from '../scenario/index.js';
import type { Isolation } from '../environment/namespace.js';
import type { InterruptCause, RunResult, RunVariant } from '../result/model.js';

export interface RunJob {
  scenario: Scenario;
  variant: RunVariant | null;
  isolation: Isolation;
  /** How isolation was obtained (or why not), for the result. */
  how: string;
  /**
   * Where the run process writes its result JSON; null: it sends the result back over the IPC
   * channel instead (the routed lab's client hosts, whose results are merged, not kept: a file
   * would need a scratch directory that a SIGKILLed run leaves on the host).
   */
  resultPath: string | null;
  /** Draw the live progress line on stderr (a terminal, and not --json). */
  progress: boolean;
  /**
   * Start the load only on the outer process's 'go' (after saying 'ready'): a routed lab's
   * client hosts, whose loads start together instead of as each process happens to finish
   * starting. Absent: start at once.
   */
  startTogether?: boolean;
}

/** Outer → run process. `stop`'s `cause`: what stopped the twstorm process that sends it (recorded as the result's interruptedBy). */
export type ToRun = { type: 'job'; job: RunJob } | { type: 'stop'; cause?: InterruptCause } | { type: 'go' };

const CAUSES: ReadonlySet<string> = new Set<InterruptCause>(['SIGINT', 'SIGTERM', 'SIGHUP', 'parent-exit']);

/** A stop's abort reason as the result records it: a signal twstorm listens for, 'parent-exit', or undefined. */
export function interruptCause(reason: unknown): InterruptCause | undefined {
  return typeof reason === 'string' && CAUSES.has(reason) ? (reason as InterruptCause) : undefined;
}

/** Records what interrupted `result`, when the stop's reason says (older twstorm processes send none). */
export function setInterruptedBy(result: RunResult, reason: unknown): void {
  const cause = interruptCause(reason);
  if (cause !== undefined) result.interruptedBy = cause;
}

/** The stop message for an abort with `reason`. */
export function stopMessage(reason: unknown): ToRun {
  const cause = interruptCause(reason);
  return cause === undefined ? { type: 'stop' } : { type: 'stop', cause };
}

/**
 * Run process → outer: why it could not produce a result (one line for the user), the result
 * itself when the job has no resultPath, or (startTogether) that its load is ready to start.
 */
export type FromRun = { type: 'error'; message: string } | { type: 'result'; result: RunResult } | { type: 'ready' };
