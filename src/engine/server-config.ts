// What the echo server's main thread shares with its engine threads.
import type { EpollLayout } from '../sockets/raw.js';
import type { EngineIo } from './io-choice.js';
import type { CloseFirst, ServerCloseMode } from '../scenario/close-semantics.js';

/** Int32 control slots: listener-list generation, acks, stop, the fd-limit lock, then the listener fds. */
export const SRV_CTL_GEN = 0;
export const SRV_CTL_ACK = 1;
export const SRV_CTL_STOP = 2;
/** Out of descriptors (EMFILE): 0 no, 1 yes, 2 yes and one thread is refusing (the lock). */
export const SRV_CTL_AT_LIMIT = 3;
/** [count, fd0, fd1, …] */
export const SRV_CTL_LISTENERS = 4;
export const SRV_MAX_LISTENERS = 256;
export const SRV_CONTROL_INTS = SRV_CTL_LISTENERS + 1 + SRV_MAX_LISTENERS;

/** Float64 counters per thread. */
export const SRV_ACCEPTED = 0;
export const SRV_REPLIED = 1;
export const SRV_CLOSED_FIN = 2;
export const SRV_CLOSED_RST = 3;
export const SRV_OPEN = 4;
/** How the thread serves: 1 through io_uring, 2 on epoll (0: not started yet). */
export const SRV_IO = 5;
/** Accept rounds whose first accept() found the queue empty: wake-ups another thread's accept took (a thundering herd). */
export const SRV_EMPTY_ACCEPTS = 6;
export const SRV_WIDTH = 8;
/** Errors are counted by errno number, 1..SRV_ERRNO_SLOTS-1 (slot 0: anything larger). */
export const SRV_ERRNO_SLOTS = 256;

export interface ServerThreadConfig {
  thread: number;
  threads: number;
  /**
   * Listeners per port when they form an SO_REUSEPORT group (server.reusePort), else 1. When
   * they divide evenly among the threads, each thread watches its own share (server-worker.ts).
   */
  reusePortListeners: number;
  /** How the thread serves its connections (io-choice.ts); it falls back to epoll on its own if its ring cannot be made. */
  io: EngineIo;
  layout: EpollLayout;
  requestBytes: number;
  responseBytes: number;
  close: { first: CloseFirst; mode: ServerCloseMode; delayMs: number; lingerSeconds: number };
  idleTimeoutMs: number;
  control: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  errors: SharedArrayBuffer;
  acceptedPerListener: SharedArrayBuffer;
  closer: SharedArrayBuffer | null;
}
