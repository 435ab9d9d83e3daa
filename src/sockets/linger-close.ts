// Closing with SO_LINGER {1, n>0} without freezing the event loop.
//
// With unsent data (a peer that does not read, a full send queue), close() under SO_LINGER n
// sleeps in the kernel until the data and FIN are acknowledged or n seconds pass, and it does
// so even on a non-blocking socket (Linux inet_release → tcp_close → sk_stream_wait_close).
// Called from Node's main thread that is a frozen event loop (measured: 5.06 s for n = 5).
//
// The stall happens only in the close() that drops the *last* reference to the socket. So:
// set SO_LINGER, dup() the fd, let Node destroy its socket (libuv removes the fd from epoll,
// then closes it: not the last reference, returns at once), and close the duplicate in a
// worker thread, which is the one that blocks. Worker threads, not koffi's async calls: those
// run on libuv's thread pool (4 threads), which fs and dns.lookup need, and n-second stalls
// there would starve them.
import type net from 'node:net';
import { Worker } from 'node:worker_threads';
import { SO_LINGER, SOL_SOCKET } from './constants.js';
import { SocketCallError } from './errors.js';
import { check, fdOf } from './fd.js';
import { nativeFor } from './features.js';
import type { NativeSockets } from './native.js';
import type { CloseReply } from './linger-worker.js';
import { encodeLinger } from './structs.js';
import { entryUrl } from '../paths.js';

export interface LingerCloseOptions {
  /**
   * true (default): the blocking close() runs on a closer thread. false: on the calling thread,
   * freezing its event loop — only to measure or show that stall.
   */
  contain?: boolean;
  /** For messages: which scenario setting asked for it. */
  why?: string;
}

export interface LingerCloseResult {
  seconds: number;
  /** How long close() blocked (on the closer thread when contained): the stall to report. */
  blockedMs: number;
  /** How long the close waited for a free closer thread (0 when not contained). */
  queuedMs: number;
  contained: boolean;
}

interface Job {
  fd: number;
  seconds: number;
  queuedAt: number;
  resolve: (r: LingerCloseResult) => void;
  reject: (e: Error) => void;
}
interface Closer {
  worker: Worker;
  job?: Job & { id: number; startedAt: number };
}

/** How many closes may block at once (one thread each, ~10 MB apiece); more wait in a queue (queuedMs). */
const maxThreads = 4;
const closers: Closer[] = [];
const queue: Job[] = [];
let nextId = 1;

/**
 * Sets SO_LINGER {1, seconds} on an open Node socket and closes it; resolves when the kernel's
 * close() returned, with how long it blocked. The Node socket is destroyed at once (its 'close'
 * event fires as usual, before the kernel close finishes); the FIN (after any unsent data) goes
 * out when the closer thread drops the last reference. Rejects with SocketCallError (code) when
 * an option or dup() fails, then the socket is destroyed without linger. Data still in Node's
 * own write buffer (not yet in the kernel) is dropped by destroy(), as with any destroy():
 * only what the kernel holds is "unsent data" to the linger timer.
 */
export function lingerClose(socket: net.Socket, seconds: number, options: LingerCloseOptions = {}): Promise<LingerCloseResult> {
  let dupFd: number;
  let native: NativeSockets;
  try {
    native = nativeFor('linger', options.why ?? 'close.linger');
    const fd = fdOf(socket);
    if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`lingerClose needs whole seconds >= 1, got ${seconds}; for 0 use resetAndDestroy()`);
    check('setsockopt', native.setsockopt(fd, SOL_SOCKET, SO_LINGER, encodeLinger({ onoff: true, seconds })), {
      what: `set SO_LINGER {1, ${seconds}} on fd ${fd}`,
    });
    dupFd = check('fcntl', native.dup(fd), { what: `duplicate fd ${fd} for the contained close` });
  } catch (err) {
    socket.destroy();
    return Promise.reject(err as Error);
  }
  socket.destroy(); // libuv: epoll_ctl(DEL) then close(fd) — not the last reference, no stall
  return closeFdWithLinger(native, dupFd, seconds, options.contain ?? true);
}

function closeFdWithLinger(native: NativeSockets, fd: number, seconds: number, contain: boolean): Promise<LingerCloseResult> {
  if (!contain) {
    const started = performance.now();
    const r = native.close(fd);
    const blockedMs = performance.now() - started;
    if (r.ret < 0) return Promise.reject(new SocketCallError('close', r.errno, { what: `close fd ${fd}` }));
    return Promise.resolve({ seconds, blockedMs, queuedMs: 0, contained: false });
  }
  return new Promise((resolve, reject) => {
    queue.push({ fd, seconds, queuedAt: performance.now(), resolve, reject });
    pump();
  });
}

function pump(): void {
  while (queue.length > 0) {
    let closer = closers.find((c) => !c.job);
    if (!closer && closers.length < maxThreads) closer = spawnCloser();
    if (!closer) return;
    const job = queue.shift()!;
    const id = nextId++;
    closer.job = { ...job, id, startedAt: performance.now() };
    closer.worker.ref(); // a close in progress keeps the process alive until it returns
    closer.worker.postMessage({ id, fd: job.fd });
  }
}

function spawnCloser(): Closer {
  const worker = new Worker(entryUrl('sockets/linger-worker.js'));
  const closer: Closer = { worker };
  worker.unref();
  worker.on('message', (reply: CloseReply) => {
    const job = closer.job;
    if (!job || job.id !== reply.id) return;
    closer.job = undefined;
    worker.unref();
    if (reply.error !== undefined) {
      // The closer could not load the FFI: close here without linger (returns at once; the
      // kernel still sends the data and FIN) rather than leak the fd.
      const native = nativeFor('linger', 'close.linger');
      native.setsockopt(job.fd, SOL_SOCKET, SO_LINGER, encodeLinger({ onoff: false, seconds: 0 }));
      native.close(job.fd);
      job.reject(new Error(`the linger close could not be contained (${reply.error}); the socket was closed without linger`));
    } else if (reply.ret < 0) {
      job.reject(new SocketCallError('close', reply.errno, { what: `close fd ${job.fd}` }));
    } else {
      job.resolve({ seconds: job.seconds, blockedMs: reply.blockedMs, queuedMs: job.startedAt - job.queuedAt, contained: true });
    }
    pump();
  });
  const fail = (err: Error): void => {
    const i = closers.indexOf(closer);
    if (i >= 0) closers.splice(i, 1);
    // Whether the fd was closed is unknown: do not close a number that may be reused by now.
    closer.job?.reject(new Error(`the linger closer thread failed (${err.message}); fd ${closer.job.fd} may be left open`));
    closer.job = undefined;
    pump();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (closers.includes(closer)) fail(new Error(`exited with code ${code}`));
  });
  closers.push(closer);
  return closer;
}

/** Ends the idle closer threads (closes in progress finish first). For tests and shutdown. */
export async function stopLingerClosers(): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((queue.length > 0 || closers.some((c) => c.job)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const all = closers.splice(0);
  await Promise.all(all.map((c) => c.worker.terminate()));
}
