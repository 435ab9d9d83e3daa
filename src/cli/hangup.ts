// When the terminal a command writes to hangs up (SIGHUP from the kernel, or a write that fails
// with EIO), its dead descriptors are pointed at /dev/null (sockets/stdio.ts says why), so the
// run goes on to write its result and report, as on a Ctrl-C, and exits with its own code
// instead of Node aborting at exit. A `kill -HUP` with the terminal still there changes nothing.
import tty from 'node:tty';
import { pointAtDevNull } from '../sockets/stdio.js';

/** The standard descriptors that were terminals at start: the ones Node restores at exit. */
const ttysAtStart = [0, 1, 2].filter((fd) => tty.isatty(fd));

let left = false;

/**
 * After SIGHUP, an EIO or at exit: moves the descriptors whose terminal is gone onto /dev/null.
 * True when a terminal of this process has hung up (now or before): an EIO is then its, not a disk's.
 */
export function leaveHungUpTerminal(): boolean {
  // A hung-up tty answers no ioctl, so isatty() now says no for it.
  const hungUp = ttysAtStart.filter((fd) => !tty.isatty(fd));
  if (hungUp.length > 0) {
    pointAtDevNull(hungUp);
    for (const fd of hungUp) ttysAtStart.splice(ttysAtStart.indexOf(fd), 1);
    left = true;
  }
  return left;
}

// The run process has a session of its own (no SIGHUP reaches it) and may have nothing more to
// say after the hang-up (no EIO either): at exit is the last moment before Node's own reset.
process.once('exit', () => void leaveHungUpTerminal());
