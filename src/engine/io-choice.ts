// Which way the engine's threads do their socket I/O, decided once per run by the main thread
// for the client threads and for the echo server's, the same way; and, after, what they did.
import { loadRing } from '../sockets/uring.js';

/** How a thread does its socket I/O: completions of an io_uring, or epoll readiness and a system call per step. */
export type EngineIo = 'io_uring' | 'epoll';
export type IoChoice = { io: 'io_uring' } | { io: 'epoll'; reason: string };

/** Set to "off" to run the engine on epoll where io_uring would run (to compare, or to rule the ring out). */
export const IO_URING_ENV = 'TWSTORM_IO_URING';

/**
 * io_uring where the kernel lets this process use it (no seccomp filter or
 * kernel.io_uring_disabled against it) and passes the ring's self-check, else epoll. An SO_LINGER
 * n close (`mode` linger, client or server) stays on epoll: it hands each socket to a closer
 * thread, and a ring request still holding that socket would make the ring's thread the one
 * that waits out the linger.
 */
export function chooseIo(mode: string): IoChoice {
  if (process.env[IO_URING_ENV] === 'off') return { io: 'epoll', reason: `${IO_URING_ENV}=off` };
  if (mode === 'linger') return { io: 'epoll', reason: 'SO_LINGER n closes run on epoll (a ring request holding the socket would wait out the linger)' };
  const r = loadRing();
  return r.ok ? { io: 'io_uring' } : { io: 'epoll', reason: r.reason };
}

/**
 * What a run's threads did, client or server: io_uring only if every one did. Otherwise epoll,
 * and why: the choice's reason, or the first thread's whose ring could not be made (it fell
 * back on its own).
 */
export function ioOfThreads(chosen: IoChoice, threads: readonly { thread: number; io: EngineIo; ioFallback?: string }[]): { io: EngineIo; ioFallback?: string } {
  if (chosen.io === 'epoll') return { io: 'epoll', ioFallback: chosen.reason };
  const fell = threads.filter((r) => r.io === 'epoll');
  if (fell.length === 0) return { io: 'io_uring' };
  return { io: 'epoll', ioFallback: `${fell.length} of ${threads.length} threads ran on epoll: thread ${fell[0]!.thread}: ${fell[0]!.ioFallback ?? 'its ring failed'}` };
}
