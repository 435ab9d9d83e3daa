// Which way the engine's threads do their socket I/O, decided once per run by the main thread
// for the client threads and for the echo server's, the same way.
import { loadRing } from '../sockets/uring.js';

/** Set to "off" to run the engine on epoll where io_uring would run (to compare, or to rule the ring out). */
export const IO_URING_ENV = 'TWSTORM_IO_URING';

/**
 * io_uring where the kernel lets this process use it (no seccomp filter or
 * kernel.io_uring_disabled against it) and passes the ring's self-check, else epoll. An SO_LINGER
 * n close (`mode` linger, client or server) stays on epoll: it hands each socket to a closer
 * thread, and a ring request still holding that socket would make the ring's thread the one
 * that waits out the linger.
 */
export function chooseIo(mode: string): { io: 'io_uring' } | { io: 'epoll'; reason: string } {
  if (process.env[IO_URING_ENV] === 'off') return { io: 'epoll', reason: `${IO_URING_ENV}=off` };
  if (mode === 'linger') return { io: 'epoll', reason: 'SO_LINGER n closes run on epoll (a ring request holding the socket would wait out the linger)' };
  const r = loadRing();
  return r.ok ? { io: 'io_uring' } : { io: 'epoll', reason: r.reason };
}
