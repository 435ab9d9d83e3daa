// Small shared helpers: the fd behind a Node socket or server, and the checked libc call.
import type net from 'node:net';
import { SocketCallError, type SocketCallContext } from './errors.js';
import type { NativeResult } from './native.js';

/**
 * The fd libuv holds for a Node socket or server. `_handle` is Node's internal TCPWrap; its
 * `fd` getter is -1 when the handle is closed and undefined on Windows. Nothing else in Node
 * exposes the number, so it is read here, in one place, with every case checked.
 */
export function fdOf(target: net.Socket | net.Server | number): number {
  if (typeof target === 'number') {
    if (!Number.isInteger(target) || target < 0) throw new TypeError(`not a file descriptor: ${target}`);
    return target;
  }
  const handle = (target as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error(
      'this socket has no open file descriptor (not connected or listening yet, or already destroyed): ' +
        "set socket options after 'connect' or 'listening' and before 'close'",
    );
  }
  return fd;
}

/** Throws a Node-style SocketCallError when a libc call returned -1. */
export function check(syscall: string, r: NativeResult, context: SocketCallContext): number {
  if (r.ret < 0) throw new SocketCallError(syscall, r.errno, context);
  return r.ret;
}
