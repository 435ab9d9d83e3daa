// Network-namespace isolation. Every run gets a fresh namespace: its own loopback, port space,
// TIME_WAIT table, TCP counters and per-namespace sysctls. When the run's process exits the
// namespace goes, and its TIME_WAIT sockets with it, so each run starts clean and the host's
// own connections are neither counted nor disturbed.
import { spawnSync } from 'node:child_process';
import { ExpectedError } from '../util/expected-error.js';
import { setLinkUp } from '../sockets/link.js';
import { tryLoadNative } from '../sockets/native.js';

export type Isolation = 'netns' | 'host';

export interface NamespaceProbe {
  ok: boolean;
  /** The command prefix that enters a fresh namespace, e.g. ["unshare", "-n", "--"]. */
  prefix: string[];
  /** How the namespace is made, for the result and for messages. */
  how: string;
  /** Why no namespace can be made (when !ok). */
  reason: string;
}

let probed: NamespaceProbe | undefined;

/**
 * As root `unshare -n` is enough; otherwise `unshare -rn` first makes a user namespace in which
 * we are root (needs unprivileged user namespaces, on by default on most distributions).
 * Checked once per process: a `twstorm run` asked twice (choosing the isolation, then the
 * preflight facts), each time starting unshare and ip.
 */
export function probeNamespace(): NamespaceProbe {
  probed ??= probeOnce();
  return probed;
}

function probeOnce(): NamespaceProbe {
  const root = process.getuid?.() === 0;
  const flags = root ? ['-n'] : ['-r', '-n'];
  const how = root ? 'unshare -n (root)' : 'unshare -rn (unprivileged user namespace)';
  const probe = spawnSync('unshare', [...flags, 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      ok: false,
      prefix: [],
      how,
      reason: missing ? 'the unshare command is missing (Debian package util-linux)' : probe.error.message,
    };
  }
  if (probe.status !== 0) {
    const stderr = probe.stderr.trim();
    const noIp = /ip: (not found|No such file)|exec ip|failed to execute ip/i.test(stderr);
    // The run brings lo up with two ioctls when the native layer loads (bringUpLoopback), `ip`
    // only where it does not: without iproute2 a namespace is still a namespace (an audit: every
    // run fell back to the host network for want of a program it would not have started).
    if (noIp && nativeLinkUp()) {
      // /bin/sh by its path, as the server's wrapper names it: `true` need not be on $PATH.
      const bare = spawnSync('unshare', [...flags, '/bin/sh', '-c', ':'], { encoding: 'utf8', timeout: 10_000 });
      if (!bare.error && bare.status === 0) return { ok: true, prefix: ['unshare', ...flags, '--'], how, reason: '' };
    }
    const reason = noIp
      ? 'the ip command is missing (Debian package iproute2); it is needed to bring up lo in the namespace, as the native socket layer cannot'
      : `unshare ${flags.join(' ')} failed: ${stderr || `exit ${probe.status}`}` +
        (root ? '' : ' (unprivileged user namespaces may be disabled: kernel.unprivileged_userns_clone / user.max_user_namespaces)');
    return { ok: false, prefix: [], how, reason };
  }
  return { ok: true, prefix: ['unshare', ...flags, '--'], how, reason: '' };
}

/** Whether bringUpLoopback can do without `ip`: the native layer loads and has ioctl (sockets/link.ts). */
function nativeLinkUp(): boolean {
  const loaded = tryLoadNative();
  return loaded.ok && loaded.native.ioctl !== undefined;
}

/**
 * What makes a namespace possible, by why the probe failed: a missing program is installed; root
 * refused `unshare -n` lacks CAP_SYS_ADMIN (a container's default drops it), so "run as root"
 * would be no fix; a user needs unprivileged user namespaces.
 */
export function namespaceFix(ns: NamespaceProbe, root: boolean = process.getuid?.() === 0): string {
  if (/unshare command is missing/.test(ns.reason)) return 'install util-linux (it provides unshare)';
  if (/ip command is missing/.test(ns.reason)) return 'install iproute2 (it provides ip)';
  if (root) return 'give twstorm CAP_SYS_ADMIN, which unshare -n needs (in a container: --cap-add SYS_ADMIN, or a seccomp profile that allows unshare)';
  return 'run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)';
}

/** The run's environment could not be set up; the message says what to do. */
export class EnvironmentError extends ExpectedError {}

/**
 * Inside the new namespace only `lo` exists, and it starts down. Brought up through the native
 * layer when it loads (sockets/link.ts: two ioctls instead of a process), else with `ip`.
 */
export function bringUpLoopback(): void {
  if (setLinkUp('lo').ok) return;
  const result = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8', timeout: 10_000 });
  if (result.error || result.status !== 0) {
    const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    throw new EnvironmentError(
      `could not bring up lo inside the run's namespace: ${missing ? 'the ip command is missing' : (result.error?.message ?? result.stderr.trim())}. ` +
        'Install iproute2 (Debian: apt-get install iproute2), or run with --isolation host.',
    );
  }
}
