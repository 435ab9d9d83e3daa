// `states --by process`: who owns the sockets in a state. Reading /proc/<pid>/fd is the costly
// part, so only the inodes asked about are looked up.
import { LISTEN_CODE, stateCode, type TcpStateName } from '../observe/tcp-table.js';
import { DEFAULT_PROC_ROOT } from '../observe/procfs.js';
import { forEachTcpSocketInode, scanSocketOwners } from '../observe/socket-owners.js';
import type { Grouping } from './types.js';
import { byCodeUnit } from '../util/order.js';

const LISTEN = LISTEN_CODE;

/**
 * Groups by owning process. TIME_WAIT and pending-request sockets have no owner (inode 0,
 * see socket-owners.ts): a server-side one is attributed to the process that listens on its
 * local port, because that is whose clients left it behind; a client-side one stays
 * "(no process: kernel-held after close)".
 */
export function groupByProcess(
  tables: readonly string[],
  state: TcpStateName | 'all',
  top: number,
  procRoot: string = DEFAULT_PROC_ROOT,
): Grouping {
  const wantCode = state === 'all' ? -1 : stateCode(state);
  const listenerInode = new Map<number, number>();
  const socketInodes: number[] = [];
  const orphanPorts: number[] = [];
  for (const text of tables) {
    forEachTcpSocketInode(text, (code, localPort, inode) => {
      if (code === LISTEN && inode > 0 && !listenerInode.has(localPort)) listenerInode.set(localPort, inode);
      if (wantCode >= 0 && code !== wantCode) return;
      if (inode > 0) socketInodes.push(inode);
      else orphanPorts.push(localPort);
    });
  }
  const wanted = new Set<number>([...socketInodes, ...listenerInode.values()]);
  const { owners, unreadable } = wanted.size > 0 ? scanSocketOwners(wanted, procRoot) : { owners: new Map(), unreadable: 0 };
  const counts = new Map<string, number>();
  const add = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const inode of socketInodes) {
    const owner = owners.get(inode);
    add(owner ? `${owner.pid}/${owner.command}` : '(owner not visible)');
  }
  for (const port of orphanPorts) {
    const inode = listenerInode.get(port);
    const owner = inode === undefined ? undefined : owners.get(inode);
    if (owner) add(`${owner.pid}/${owner.command} (listener on :${port})`);
    else if (inode !== undefined) add(`(listener on :${port}, owner not visible)`);
    else add('(no process: kernel-held after close)');
  }
  const entries = [...counts.entries()].sort((a, b) => b[1] - a[1] || byCodeUnit(a[0], b[0]));
  const rows = entries.slice(0, Math.max(1, top)).map(([key, count]) => ({ key, count }));
  const matched = socketInodes.length + orphanPorts.length;
  const shown = rows.reduce((sum, r) => sum + r.count, 0);
  return { by: 'process', state, rows, others: matched - shown, groups: entries.length, matched, unreadableProcesses: unreadable };
}
