// Looking into another network namespace: `--netns NAME|PID` re-executes the same twstorm
// command under `nsenter --net=…` (util-linux). A process reads /proc/net and /proc/sys/net
// of the namespace it is in, so the whole command — socket tables, counters, the port range
// sysctl — must run inside; reading only /proc/PID/net would pair that namespace's sockets
// with this namespace's port range.
import { runInForeground } from './foreground.js';
import { ownNodeEnv } from '../util/own-node-env.js';
import { constants, accessSync, existsSync, statSync, statfsSync, type Stats } from 'node:fs';

/** Set in the re-executed child so it never tries to enter again. */
export const NETNS_ENTERED_ENV = 'TWSTORM_NETNS_ENTERED';

/**
 * In the re-executed child: what keeps the namespace it entered visible to the user — the
 * process it was entered by (`--netns 4242`), or the name `ip netns add` pinned (`--netns lab`)
 * — and whether that is gone; undefined when it entered none. While the child is in it, the
 * namespace lives on after its process ends or its name is deleted, holding its sockets: a
 * watch must not be what keeps it.
 */
export function namespaceKeeper(): { gone: () => boolean; goneText: string } | undefined {
  const entered = process.env[NETNS_ENTERED_ENV];
  if (entered === undefined) return undefined;
  // Both are asked the same question: does the file still name the namespace this process is in?
  // For a PID, /proc/PID alone is not the answer: an exited process stays there as a zombie until
  // its parent reaps it, which a parent that never calls wait() never does, but exit_task_namespaces()
  // has already dropped its namespaces, so /proc/PID/ns/net no longer opens. A PID reused by a
  // process elsewhere names another namespace. For a NAME, `ip netns del` unmounts and removes
  // it, and the same name added again pins another namespace, not the one this process is in.
  const own = namespaceIdentity(OWN_NETNS);
  const gone = (): boolean => own === undefined || namespaceIdentity(entered) !== own;
  const pid = /^\/proc\/(\d+)\/ns\/net$/.exec(entered)?.[1];
  if (pid !== undefined) {
    return {
      gone,
      goneText: `process ${pid} (--netns) has exited or left the namespace: the watch ends here, so as not to keep its network namespace alive`,
    };
  }
  const name = /^\/run\/netns\/([^/]+)$/.exec(entered)?.[1];
  if (name === undefined) return undefined;
  return {
    gone,
    goneText: `network namespace "${name}" (--netns) was deleted: the watch ends here, so as not to keep it alive`,
  };
}

const OWN_NETNS = '/proc/self/ns/net';

/** A namespace's identity: its nsfs file's (device, inode) pair. */
const identityOf = ({ dev, ino }: Stats): string => `${dev}:${ino}`;

/** The identity of the namespace a file names; undefined when it cannot be looked at. */
function namespaceIdentity(file: string): string | undefined {
  try {
    return identityOf(statSync(file));
  } catch {
    return undefined;
  }
}

/** include/uapi/linux/magic.h: the filesystem of every namespace file (/proc/PID/ns/*, and their bind mounts). */
const NSFS_MAGIC = 0x6e736673;

/**
 * Whether a /run/netns file is a namespace. `ip netns add` makes an empty file there and
 * bind-mounts /proc/self/ns/net onto it; a file whose mount is gone (an add that failed half-way,
 * a mount namespace that lost it) stays behind on /run's tmpfs, and nsenter then fails with a bare
 * "reassociate to namespace 'ns/net' failed: Invalid argument" (setns() gets EINVAL) and exit 1.
 * When statfs() itself is refused (a container's rules), the answer is left to nsenter: true.
 */
function isNamespaceFile(path: string): boolean {
  try {
    return statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return true;
  }
}

export class NetnsError extends Error {
  /** `usage`: the argument names nothing that exists (exit 2); otherwise the machine said no (exit 1). */
  constructor(
    message: string,
    readonly usage = false,
  ) {
    super(message);
  }
}

export interface NetnsTarget {
  spec: string;
  /** The namespace file to hand to nsenter --net=. */
  path: string;
  /** Whether this process is already in it (same namespace inode). */
  alreadyInside: boolean;
}

/**
 * NAME → /run/netns/NAME (where `ip netns add` pins named namespaces), PID → /proc/PID/ns/net.
 * Throws NetnsError saying what is missing and what to do.
 */
export function resolveNetns(spec: string): NetnsTarget {
  const isPid = /^[0-9]+$/.test(spec);
  if (!isPid && !/^[A-Za-z0-9_.-]+$/.test(spec)) {
    throw new NetnsError(`--netns "${spec}": expected a namespace name (as in "ip netns list") or a process id`, true);
  }
  const path = isPid ? `/proc/${spec}/ns/net` : `/run/netns/${spec}`;
  let target;
  try {
    target = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new NetnsError(
        isPid
          ? existsSync(`/proc/${spec}`)
            ? // A zombie keeps its /proc entry, but the kernel dropped its namespaces when it exited.
              `--netns ${spec}: process ${spec} has exited (a zombie its parent has not reaped) and is in no namespace; give the PID of a live process inside the namespace`
            : `--netns ${spec}: no process ${spec} (${path} does not exist); give the PID of a process inside the namespace`
          : `--netns ${spec}: no network namespace named "${spec}" (${path} does not exist); "ip netns list" shows the named ones, or give a PID`,
        true,
      );
    }
    // As root, EACCES comes from above twstorm (a container's /proc, an LSM): "run as root" would be no help.
    const fix = process.getuid?.() === 0 ? 'denied even to root here (a container or a security module); give a process of your own in that namespace' : 'run as root';
    throw new NetnsError(`--netns ${spec}: cannot look at ${path} (${code}): ${fix}`);
  }
  if (!isPid && !isNamespaceFile(path)) {
    throw new NetnsError(
      `--netns ${spec}: ${path} is not a namespace (a name left behind: its namespace's mount is gone, or "ip netns add" failed half-way); "ip netns del ${spec}" removes it, "ip netns list" shows the others, or give a PID`,
      true,
    );
  }
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new NetnsError(`--netns ${spec}: no permission to open ${path}: run as root (or as the process's owner)`);
  }
  const self = namespaceIdentity(OWN_NETNS);
  const alreadyInside = self !== undefined && self === identityOf(target);
  return { spec, path, alreadyInside };
}

/**
 * Runs this same twstorm command inside the target namespace and resolves with its exit
 * code. setns() into a namespace owned by another user namespace needs CAP_SYS_ADMIN there,
 * so this is a root operation; nsenter's own message is passed through when it fails.
 * The child gets the command line as given, `--netns` included: what it prints is about that
 * namespace and says so (states' title names it), and NETNS_ENTERED_ENV, not a stripped option,
 * keeps it from entering again (it is inside already, so resolveNetns would say so too).
 */
export function reexecInNetns(target: NetnsTarget, args: readonly string[]): Promise<number> {
  if (process.getuid?.() !== 0) {
    return Promise.reject(
      new NetnsError(
        `--netns ${target.spec}: entering another network namespace needs CAP_SYS_ADMIN: run as root (sudo twstorm …). ` +
          'Without --netns, twstorm reads the namespace it runs in.',
      ),
    );
  }
  const script = process.argv[1];
  if (script === undefined) return Promise.reject(new NetnsError('cannot tell which script to re-execute'));
  return runInForeground(
    'nsenter',
    [`--net=${target.path}`, '--', process.execPath, ...process.execArgv, script, ...args],
    // The same CLI again, inside the namespace: twstorm's own process, started as the others (own-node-env.ts).
    { ...ownNodeEnv(), [NETNS_ENTERED_ENV]: target.path },
  ).then(
    ({ code, signal }) => code ?? (signal === 'SIGINT' ? 130 : 1),
    (err: NodeJS.ErrnoException) => {
      throw new NetnsError(err.code === 'ENOENT' ? 'nsenter is missing: install util-linux' : `nsenter failed: ${err.message}`);
    },
  );
}
