/**
 * Which process holds which TCP socket: socket inode (the `inode` column of /proc/net/tcp)
 * → pid and command, found by reading the /proc/<pid>/fd/* links ("socket:[12345]"), which is
 * how ss -p and netstat -p do it too; the kernel has no reverse index.
 *
 * Kernel facts this relies on (net/ipv4/tcp_ipv4.c):
 * - full sockets print their inode (sock_i_ino); TIME_WAIT mini-sockets (get_timewait4_sock)
 *   and pending requests (get_openreq4) print inode 0: after close() no process owns a
 *   TIME_WAIT socket, the kernel does. Callers must not expect an owner for those.
 * - /proc/<pid>/fd of another user's process needs ptrace access (root, or the same uid),
 *   so without root only the caller's own processes resolve; they are counted, not hidden.
 * - Socket inodes are unique across namespaces (sockfs is one filesystem), so the scan works
 *   from any network namespace as long as /proc shows the processes.
 */

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PROC_ROOT } from './procfs.js';

export interface SocketOwner {
  pid: number;
  /** /proc/<pid>/comm: the executable name, at most 15 characters. */
  command: string;
}

export interface SocketOwnerScan {
  owners: Map<number, SocketOwner>;
  /** Processes whose fd table could not be read (another user's, without root). */
  unreadable: number;
}

const SOCKET_PREFIX = 'socket:[';

function readComm(procRoot: string, pid: string): string {
  try {
    return readFileSync(join(procRoot, pid, 'comm'), 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * Maps socket inodes to their owners. With `wanted`, only those inodes are recorded (and
 * the scan does not stop early: one socket can be shared by several processes after fork;
 * the lowest pid wins, which is usually the parent that created it).
 *
 * Synchronous on purpose: it is one readlink per open fd, and thousands of small promise
 * round trips would cost more than the syscalls themselves.
 */
export function scanSocketOwners(wanted?: ReadonlySet<number>, procRoot: string = DEFAULT_PROC_ROOT): SocketOwnerScan {
  const owners = new Map<number, SocketOwner>();
  let unreadable = 0;
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((name) => /^[0-9]+$/.test(name));
  } catch {
    return { owners, unreadable };
  }
  pids.sort((a, b) => Number(a) - Number(b));
  for (const pid of pids) {
    const fdDir = join(procRoot, pid, 'fd');
    let fds: string[];
    try {
      fds = readdirSync(fdDir);
    } catch (err) {
      // ENOENT: the process exited between the two reads; EACCES: not ours to look at.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable++;
      continue;
    }
    let command: string | undefined;
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(join(fdDir, fd));
      } catch {
        continue;
      }
      if (!target.startsWith(SOCKET_PREFIX)) continue;
      const inode = Number(target.slice(SOCKET_PREFIX.length, -1));
      if (!Number.isInteger(inode) || inode <= 0) continue;
      if (wanted !== undefined && !wanted.has(inode)) continue;
      if (owners.has(inode)) continue;
      command ??= readComm(procRoot, pid);
      owners.set(inode, { pid: Number(pid), command });
    }
  }
  return { owners, unreadable };
}

/**
 * The `inode` column of every socket line in a /proc/net/tcp{,6} text, with the line's state
 * and local port, for callers that need ownership (the fast census never does, so it is
 * parsed here separately rather than slowing down forEachTcpSocket).
 * Columns: sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
 */
export function forEachTcpSocketInode(
  text: string,
  visit: (state: number, localPort: number, inode: number) => void,
): void {
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const fields = text.slice(pos, end).trim().split(/\s+/);
    pos = end + 1;
    if (fields.length < 10 || !fields[0]?.endsWith(':')) continue;
    const local = fields[1] ?? '';
    const localPort = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    const state = parseInt(fields[3] ?? '', 16);
    const inode = Number(fields[9]);
    if (Number.isNaN(localPort) || Number.isNaN(state) || !Number.isFinite(inode)) continue;
    visit(state, localPort, inode);
  }
}
