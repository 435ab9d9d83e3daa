// A fresh network namespace for the calling thread, without a process: unshare(CLONE_NEWNET)
// and lo brought up (link.ts). For a process that makes many runs, each in a namespace of its
// own (the test harness's warm mode, test/helpers/netns-run.ts), where `unshare -n node …` per
// run costs a Node start and a bundle load each time.
//
// What moves is the calling thread only (unshare(2): a namespace belongs to a task, and a Node
// thread is one): its sockets, the threads and processes it starts afterwards (a Worker's thread
// and a spawned child copy its namespaces), and, when it is the main thread, /proc/self/net and
// /proc/net (both name the thread-group leader). What stays behind: threads that already exist,
// libuv's pool among them. /proc/sys/net is resolved against the namespace of the thread that
// opens the file, so a sysctl read or written through fs/promises would reach the old
// namespace; src/environment/sysctl.ts does its I/O on the calling thread for that reason.
import { CLONE_NEWNET } from './constants.js';
import { errnoName } from './errors.js';
import { setLinkUp } from './link.js';
import { tryLoadNative } from './native.js';

export type Unshared = { ok: true } | { ok: false; reason: string };

/** Moves this thread into a new, empty network namespace with lo up. Never throws. */
export function unshareNetwork(): Unshared {
  const loaded = tryLoadNative();
  if (!loaded.ok) return { ok: false, reason: loaded.reason };
  const { native } = loaded;
  if (!native.unshare) return { ok: false, reason: `${native.description} has no unshare` };
  const r = native.unshare(CLONE_NEWNET);
  // EPERM: no CAP_SYS_ADMIN in the user namespace that owns this one (not root, no `unshare -r`).
  if (r.ret < 0) return { ok: false, reason: `unshare(CLONE_NEWNET) failed with ${errnoName(r.errno)}` };
  const lo = setLinkUp('lo');
  return lo.ok ? lo : { ok: false, reason: `in the new namespace, ${lo.reason}` };
}
