// Every child twstorm starts (the run process, the server child) must die with its parent: a
// `kill -9` of `twstorm run`, an OOM kill or a CI runner tearing down its step must not leave a
// load generator hammering a namespace for the rest of the scenario. The kernel does this with
// PR_SET_PDEATHSIG (prctl(2)): a signal delivered to the child when the thread that forked it
// exits. Node cannot call prctl between fork and exec, so the child is started through
// util-linux's `setpriv --pdeathsig SIG`, which sets it and execs the real command; the setting
// survives execve (and unshare's own exec) because no set-user-ID binary is involved.
//
// Why not only a lifeline pipe: the run process and the server child also watch their IPC
// channel ('disconnect' when the parent is gone), but that needs a free event loop; a loaded
// driver or a stuck native call would notice late. The kernel's signal does not wait.
// `setpriv` ships in the same package as `unshare` (util-linux), which a namespace run needs
// anyway; where it is missing the IPC lifeline is the only guard.
import { spawnSync } from 'node:child_process';

let available: boolean | undefined;

/**
 * Set, to the parent's PID, in the environment of a twstorm process its parent started through
 * setpriv: that child knows setpriv works on this machine without asking again. The probe is a
 * fork and exec, 30-45 ms of CPU from a Node process (its page tables are copied at fork), and
 * every run paid it twice (the CLI, then the run process) for the same answer. The PID ties the
 * mark to the process that set it: one inherited any further (a user's server.command started
 * from a shell inside the run) has another parent and probes for itself.
 */
const STARTED_THROUGH_SETPRIV = 'TWSTORM_PDEATHSIG_FROM';

/** Whether `setpriv --pdeathsig` can be used here (checked once). */
export function parentDeathSignalAvailable(): boolean {
  if (available === undefined) {
    if (process.env[STARTED_THROUGH_SETPRIV] === String(process.ppid)) available = true;
    else {
      const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore', timeout: 5_000 });
      available = probe.error === undefined && probe.status === 0;
    }
  }
  return available;
}

/**
 * The environment for a twstorm process started with withParentDeathSignal(): marked, when
 * setpriv is in use, so that process can skip its own probe. The command must exec in place
 * (setpriv, unshare without --fork, nsenter, prlimit do), so its parent is this process.
 */
export function parentDeathEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return parentDeathSignalAvailable() ? { ...env, [STARTED_THROUGH_SETPRIV]: String(process.pid) } : env;
}

/**
 * The command line that runs `command` with `signal` as its parent-death signal, or the command
 * unchanged when setpriv is missing. SIGTERM lets a run process write its partial result before
 * it goes; SIGKILL suits a child with nothing to save.
 */
export function withParentDeathSignal(command: string[], signal: 'TERM' | 'KILL'): string[] {
  return parentDeathSignalAvailable() ? ['setpriv', `--pdeathsig=${signal}`, '--', ...command] : command;
}
