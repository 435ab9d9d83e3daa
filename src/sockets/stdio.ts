// Standard streams left on a terminal that hung up (its window closed, the SSH session dropped):
// every write to it fails with EIO, and at exit Node 20 aborts (SIGABRT) restoring the
// terminal's mode — ResetStdio() checks that tcsetattr() succeeded, and on a hung-up tty it
// fails with EIO (the check was dropped upstream in nodejs/node#58200; Node 20.20 still has it).
// Pointing the dead descriptors at /dev/null lets a run finish writing its files and exit with
// its own code: ResetStdio() skips a descriptor that no longer refers to the file it found at start.
import { closeSync, openSync } from 'node:fs';
import { tryLoadNative } from './native.js';

/** Points each of `fds` at /dev/null; false when the FFI (or its dup2) is not there. */
export function pointAtDevNull(fds: readonly number[]): boolean {
  const loaded = tryLoadNative();
  const dup2 = loaded.ok ? loaded.native.dup2 : undefined;
  if (dup2 === undefined || fds.length === 0) return false;
  const devNull = openSync('/dev/null', 'r+');
  try {
    return fds.map((fd) => dup2(devNull, fd).ret === fd).every(Boolean);
  } finally {
    closeSync(devNull);
  }
}
