// The scratch directory a user's server.command is given (TWSTORM_SERVER_DIR: nginx's pid and
// temp files, say), removed however the run process ends, SIGKILL included.
//
// No code of a process runs after its SIGKILL, so the removal is left to a keeper: a small
// shell that makes the directory itself (no instant exists in which it is on disk with nobody
// to remove it), prints its path, then reads its stdin to end-of-file. The run process holds
// the only write end of that pipe; the kernel closes it whichever way the process ends, and
// the keeper then removes the directory and exits. It runs in a session of its own
// (detached), so that a signal to the run's process group does not end it first. Its output
// goes to /dev/null once the path is out (the run stops reading it: an rm writing to a closed
// pipe would die of SIGPIPE), and the removal is tried again for a few seconds: after a SIGKILL
// the server dies in parallel and may still write a file as rm empties the directory.
// A process that leaves through process.exit() (a run past its stop deadline) removes the
// directory itself, at once, in an 'exit' listener. What no keeper survives: a kill of every
// process at once (a cgroup's, the OOM killer's group kill), which leaves the directory.
// A tmpfs in a mount namespace of the run's own would vanish even then, but its mount point
// would be a directory on the host just the same.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import { ExpectedError } from '../util/expected-error.js';

const KEEPER = [
  'd=$(mktemp -d "$1/twstorm-server-XXXXXX") || exit 1',
  'printf "%s\\n" "$d"',
  'exec >/dev/null 2>&1',
  'cat',
  'for i in 1 2 3 4 5; do rm -rf -- "$d"; [ -e "$d" ] || exit 0; sleep 1; done',
].join('; ');

export interface ScratchDir {
  path: string;
  /** Removes it now, and lets the keeper go. */
  remove(): Promise<void>;
}

export function makeScratchDir(parent: string = os.tmpdir()): Promise<ScratchDir> {
  const keeper = spawn('/bin/sh', ['-c', KEEPER, 'sh', parent], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const what = "cannot make the server's scratch directory (TWSTORM_SERVER_DIR)";
    keeper.once('error', (e) => reject(new ExpectedError(`${what}: /bin/sh could not start (${e.message})`)));
    keeper.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // 'close', not 'exit': it comes after stderr is read to its end, so mktemp's words are in.
    keeper.once('close', (code, signal) => {
      const why = err.trim().split('\n').at(-1) || (signal ? `the shell was killed (${signal})` : `the shell exited ${code}`);
      reject(new ExpectedError(`${what} in ${parent}: ${why}; check that it exists and is writable, or set TMPDIR`));
    });
    keeper.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const end = out.indexOf('\n');
      if (end < 0) return;
      keeper.removeAllListeners('close');
      keeper.stdout.destroy();
      keeper.stderr.destroy();
      keeper.unref();
      // Held, not waited on: the pipe must not keep the run's event loop alive.
      (keeper.stdin as unknown as { unref(): void }).unref();
      const path = out.slice(0, end);
      const atExit = (): void => rmSync(path, { recursive: true, force: true });
      process.once('exit', atExit);
      resolve({
        path,
        async remove() {
          await rm(path, { recursive: true, force: true });
          process.off('exit', atExit);
          keeper.stdin.destroy();
        },
      });
    });
  });
}
