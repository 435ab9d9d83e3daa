// The user's server runs in a PID namespace of its own (`unshare --pid --fork`, user-command.ts),
// under every isolation: netns, host and the routed lab's server host alike. The run owns that
// namespace whole, so its stop is every process in it, not only the wrapper's process group: a
// server that left the group (`setsid node srv.mjs`, a daemon's double fork) was never sent
// SIGTERM, sat out stopTimeout and was SIGKILLed, and the summary blamed it for not exiting on a
// SIGTERM it never had. (systemd's KillMode=control-group stops a unit the same way.)
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const link = (path: string): string | null => {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
};

/**
 * The PID namespace `pid` starts its children in, when that is a namespace of its own making
 * (unshare --pid has run in it); null when it is the one `pid` lives in (unshare has not got that
 * far, or `pid` is gone) or the kernel does not say (ns/pid_for_children: Linux 4.12). Never the
 * caller's own namespace: its processes are no server's to stop.
 */
export function childPidNamespace(pid: number, proc = '/proc'): string | null {
  const own = link(`${proc}/${pid}/ns/pid`);
  const children = link(`${proc}/${pid}/ns/pid_for_children`);
  if (own === null || children === null || children === own || children === link(`${proc}/self/ns/pid`)) return null;
  return children;
}

/**
 * Every process of PID namespace `ns` (as `childPidNamespace` names it) except its init, by the
 * PIDs this process's /proc shows (the run process's PID namespace is the host's, or an ancestor
 * of the server's: `unshare -n` and `nsenter --net` leave it as it is). Init is left out: the
 * kernel hands a namespace's init only the signals it has a handler for (pid_namespaces(7)), and
 * its exit would end the rest with SIGKILL (`init: true` counts it, to tell an empty namespace).
 * Processes this process may not look at are skipped.
 */
export function processesIn(ns: string, { init = false, proc = '/proc' }: { init?: boolean; proc?: string } = {}): number[] {
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name) || link(`${proc}/${name}/ns/pid`) !== ns) continue;
    // NSpid: its PID in each namespace from the outermost down; the last is its own namespace's.
    let status: string;
    try {
      status = init ? '' : readFileSync(`${proc}/${name}/status`, 'utf8');
    } catch {
      continue; // gone since
    }
    if (!init && /^NSpid:.*\s1$/m.test(status)) continue;
    out.push(Number(name));
  }
  return out;
}

/** Settles once no process is left in group `pgid` (signal 0 only asks), or at the timeout. */
export async function groupGone(pgid: number | undefined, timeoutMs: number): Promise<void> {
  if (pgid === undefined) return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return; // ESRCH: nobody left in the group
    }
    if (Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Settles once namespace `ns` has no process left, init included, or at the timeout. */
export async function namespaceGone(ns: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processesIn(ns, { init: true }).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
