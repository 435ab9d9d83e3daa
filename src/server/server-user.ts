// Which user a `server.command` runs as: the one who ran twstorm, never a root that a user
// namespace made up. A server that believes it is root acts as one: nginx chowns its temp paths
// to its worker user and dies with EINVAL (chown(2) to a uid the namespace does not map), and
// PostgreSQL refuses to start at all. So wherever twstorm is root only by a user namespace's
// grace, the server gets a namespace of its own that gives it back the user's own ids.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The outside id that a user namespace maps its root to, when root is the only id it maps
 * (`unshare -r`: uid_map "0 1000 1", user_namespaces(7)); null for the initial namespace
 * ("0 0 4294967295") or a container's map of many ids, whose root can chown as root does.
 */
export function soleRootMappedTo(map: string): number | null {
  const lines = map.trim().split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) return null;
  const [inner, outer, count] = lines[0]!.trim().split(/\s+/).map(Number);
  return inner === 0 && count === 1 && outer !== undefined && Number.isInteger(outer) && outer !== 0 ? outer : null;
}

/**
 * unshare's options for the server's user namespace ([] when it needs none), made together with
 * its PID namespace: `unshare --pid` needs CAP_SYS_ADMIN in the caller's user namespace.
 * - A user who is not root (a run with isolation host): a namespace of the server's own gives it
 *   that capability, with the user's uid mapped to itself.
 * - Root only inside the namespace `unshare -rn` made for a user's run: the server's namespace
 *   maps that root back to the user's own uid and gid (`--map-user`: the caller's euid, 0 here,
 *   becomes the given id inside), so the server runs as the user, as it would on the host.
 * - Root: none.
 */
export function serverUserNamespace(
  euid: number | undefined = process.geteuid?.(),
  readMap: (name: 'uid_map' | 'gid_map') => string = (name) => readFileSync(`/proc/self/${name}`, 'utf8'),
  canMapUser: () => boolean = unshareMapsUser,
): string[] {
  if (euid !== 0) return ['--user', '--map-current-user'];
  const uid = soleRootMappedTo(readMap('uid_map'));
  // util-linux before 2.38 (Ubuntu 22.04's 2.37) has no --map-user: the server then runs as the
  // namespace's root, as it did before, rather than not at all.
  if (uid === null || !canMapUser()) return [];
  return ['--user', `--map-user=${uid}`, `--map-group=${soleRootMappedTo(readMap('gid_map')) ?? uid}`];
}

let mapsUser: boolean | undefined;

/** Whether this unshare takes --map-user (util-linux 2.38+), read once from its --help. */
function unshareMapsUser(): boolean {
  mapsUser ??= /--map-user\b/.test(spawnSync('unshare', ['--help'], { encoding: 'utf8', timeout: 5_000 }).stdout ?? '');
  return mapsUser;
}
