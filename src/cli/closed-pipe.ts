// `twstorm … | head -3`: once the reader is gone, writes to stdout fail with EPIPE (Node ignores
// SIGPIPE, so the error arrives as an 'error' event, and unhandled it is a crash with a stack
// trace). A command then ends quietly, as `yes | head` does. `run` keeps going instead — its
// results are files, and cutting a matrix short because a pager closed would lose them — and
// only stops writing to the closed stream. A terminal that hung up is a closed stream too.
import { leaveHungUpTerminal } from './hangup.js';

let exitOnClose = true;

/** For commands whose real output is files (run): a closed stdout only silences them. */
export function continueOnClosedPipe(): void {
  exitOnClose = false;
}

function onError(err: NodeJS.ErrnoException): void {
  // EIO from a terminal that hung up (a closed window, a dropped SSH session) is as closed as a
  // pipe; from a file (a failing disk) it is an error like any other.
  const closed = err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || (err.code === 'EIO' && leaveHungUpTerminal());
  if (!closed) throw err;
  if (exitOnClose) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
}

process.stdout.on('error', onError);
process.stderr.on('error', onError);
