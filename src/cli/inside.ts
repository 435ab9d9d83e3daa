// The hidden half of `run`: executed by the outer process inside the fresh namespace (started
// through inside-entry.ts, which loads only this and the run machinery). The job arrives as the
// first IPC message; a 'stop' message, a SIGINT/SIGTERM (the parent-death signal
// is SIGTERM) or the channel closing (the outer process is gone) all mean "stop the load and
// write what you have".
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { executeRun } from '../run/execute.js';
import { writeResult } from '../result/write.js';
import type { FromRun, RunJob, ToRun } from '../run/job.js';
import { describeWriteError } from '../run/out-dir.js';
import { onInterrupt } from './interrupt.js';
import { EXIT } from './exit-codes.js';
import { say, terminalSafe } from '../util/say.js';

/** After a stop, the run has this long to save its result before it exits regardless. */
const STOP_DEADLINE_MS = 5_000;

/**
 * A routed lab stops host by host: the host being built is finished, then every client host's
 * run process stops and reports before the lab's result is put together. On a busy 2-core
 * machine (load average 11) a 12-host lab took longer than the 5 s every run gets, and the
 * partial result was lost ("did not stop within 5 s"); each client host adds this much.
 */
const STOP_PER_CLIENT_HOST_MS = 500;

/**
 * The stop deadline for a job: a user's server (server.command) may take its whole stopTimeout
 * to exit after SIGTERM before it is SIGKILLed, and the result is written after that, so its
 * stopTimeout comes on top. Without it, a server slow to stop cost the partial result of a
 * Ctrl-C ("nothing was kept"). A second Ctrl-C still quits at once, whatever the deadline.
 */
function stopDeadlineMs(job: RunJob | null): number {
  const server = job?.scenario.server;
  const environment = job?.scenario.environment;
  const hosts = environment?.topology === 'routed' ? environment.clients : 0;
  return STOP_DEADLINE_MS + (server?.command != null ? server.stopTimeout : 0) + hosts * STOP_PER_CLIENT_HOST_MS;
}

/** Tells the outer process why there is no result (it prints the one line), then exits 1. */
async function report(message: string): Promise<never> {
  const done = (): never => process.exit(EXIT.RUN_FAILED);
  if (!process.connected) {
    say(`${message}`);
    done();
  }
  process.send!({ type: 'error', message } satisfies FromRun, undefined, undefined, done);
  // send's callback normally fires at once; never wait on a dying channel.
  setTimeout(done, 1_000);
  return new Promise<never>(() => undefined);
}

/** A bug shows its stack (on stderr); an expected failure (server, environment) only its message. */
function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const bug = [Error, TypeError, RangeError, ReferenceError, SyntaxError].includes(err.constructor as ErrorConstructor);
  if (bug) process.stderr.write(`${terminalSafe(err.stack ?? err.message)}\n`);
  return bug ? `internal error: ${err.message}` : err.message;
}

/** The run process's whole life: wait for the job, run it, write the result, exit. */
export async function runInside(): Promise<void> {
  const abort = new AbortController();
  let received: RunJob | null = null;
  abort.signal.addEventListener('abort', () => {
    const deadlineMs = stopDeadlineMs(received);
    setTimeout(() => {
      say(`the run did not stop within ${deadlineMs / 1000} s of the interrupt; giving up`);
      process.exit(EXIT.INTERRUPTED);
    }, deadlineMs).unref();
  });
  // The abort's reason is what interrupted the run (job.ts interruptCause): its result says so.
  const parent = process.ppid;
  onInterrupt((signal) => abort.abort(signal));
  process.on('disconnect', () => abort.abort('parent-exit'));
  let go: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (go = resolve));
  const job = await new Promise<RunJob | null>((resolve) => {
    process.on('message', (message: ToRun) => {
      if (message.type === 'job') resolve((received = message.job));
      else if (message.type === 'go') go();
      else abort.abort(message.cause);
    });
    process.once('disconnect', () => resolve(null));
  });
  if (job === null) process.exit(EXIT.INTERRUPTED);
  // A lab's client host says when its load could start, and starts it on the lab's 'go' (or
  // stops on a stop, which ends the wait as well).
  const stopped = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
  const together = job.startTogether
    ? async (): Promise<void> => {
        process.send?.({ type: 'ready' } satisfies FromRun);
        await Promise.race([released, stopped]);
      }
    : undefined;
  let result;
  try {
    result = await executeRun(job, abort.signal, together);
  } catch (err) {
    return report(messageOf(err));
  }
  // The parent-death SIGTERM is sent when the thread that started this process exits, which can
  // be before the rest of its process has gone (getppid unchanged, measured: a SIGKILLed CLI read
  // as "SIGTERM"). Once the run has stopped, a parent that is gone or has hung up is certain.
  if (result.interrupted && (process.ppid !== parent || !process.connected)) result.interruptedBy = 'parent-exit';
  if (job.resultPath === null) {
    // A routed lab's client host: the lab merges the result, nothing is kept on disk.
    if (!process.connected) return report('the routed lab is gone; the client host\'s result has nowhere to go');
    await new Promise<void>((resolve) => process.send!({ type: 'result', result } satisfies FromRun, undefined, undefined, () => resolve()));
    process.exit(0);
  }
  try {
    await writeResult(result, job.resultPath);
  } catch (err) {
    return report(`the result could not be written: ${describeWriteError(err, job.resultPath)}; nothing was kept`);
  }
  // The result is written: nothing left (a connection timer, a linger worker) may keep
  // this process, and with it the namespace and the user's terminal, waiting.
  process.exit(0);
}

/** The same, as the full CLI's hidden command (`twstorm __inside`); inside-entry.ts is the lean way in. */
export const insideCommand = {
  command: '__inside',
  describe: false as const,
  builder: (y: Argv) => y,
  handler: (_argv: ArgumentsCamelCase): Promise<void> => runInside(),
};
