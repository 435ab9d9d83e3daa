// One echo-server engine thread: a loop that accepts from the listening fds (shared by every
// thread, each waiting with EPOLLEXCLUSIVE so one thread wakes per connection; or its own share
// of an SO_REUSEPORT group, see mine()) and serves each connection — through io_uring where the
// kernel allows it (cfg.io: its recvs, sends and closes in one batch per turn, and one poll per
// listener in the ring), else on epoll — as the `net`
// echo server does (echo-server.ts): read the request, write the response, then close the way
// the policy says — wait for the client's FIN, or send its own first (FIN, RST, or SO_LINGER n
// on a closer thread), or never ("never": the leak, CLOSE_WAIT until the server stops).
// Counters live in shared memory, so the server child answers `stats` at any moment without
// asking the threads.
// Why one file of ~780 lines: as client-worker.ts, the accept/read/write/close state machine and
// its slot arrays are one hot loop that reads top to bottom, and the two ways of doing I/O
// differ only in the steps that touch a socket (marked "ring:"); set-up lives in server-engine.ts.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import {
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLET,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  MSG_NOSIGNAL,
  SHUT_WR,
  SO_LINGER,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOL_SOCKET,
} from '../sockets/constants.js';
import { encodeEpollEvent, epollEvents, epollTag, ERRNO, loadRawSockets } from '../sockets/raw.js';
import { encodeLinger } from '../sockets/structs.js';
import { errnoName } from '../sockets/errors.js';
import { CloserQueue } from './linger-closers.js';
import { GEN_MASK, loadRing, OP_POLL_ADD, OP_RECV, OP_SEND, POLLIN, POLLOUT, Ring } from '../sockets/uring.js';
import {
  SRV_ACCEPTED,
  SRV_CLOSED_FIN,
  SRV_CLOSED_RST,
  SRV_CTL_ACK,
  SRV_CTL_AT_LIMIT,
  SRV_CTL_GEN,
  SRV_CTL_LISTENERS,
  SRV_CTL_STOP,
  SRV_EMPTY_ACCEPTS,
  SRV_IO,
  SRV_MAX_LISTENERS,
  SRV_OPEN,
  SRV_REPLIED,
  SRV_WIDTH,
  SRV_ERRNO_SLOTS,
  type ServerThreadConfig,
} from './server-config.js';

const cfg = workerData as ServerThreadConfig;
const loaded = loadRawSockets();
if (!loaded.ok) throw new Error(loaded.reason);
const raw = loaded.raw;
const { layout } = cfg;
const ctl = new Int32Array(cfg.control);
const counters = new Float64Array(cfg.counters, cfg.thread * SRV_WIDTH * 8, SRV_WIDTH);
const errnoCounts = new Int32Array(cfg.errors);
const perListener = new Int32Array(cfg.acceptedPerListener);
const closer = cfg.closer ? new CloserQueue(cfg.closer) : null;
const { close: policy } = cfg;
const response = Buffer.alloc(cfg.responseBytes);
{
  // The net server's bytes: the request's first bytes, then a repeating pattern (so a truncated
  // response is visible in a capture). The request prefix is the client's 'q's.
  const pattern = Buffer.from('twstorm-echo-');
  const copied = Math.min(cfg.requestBytes, cfg.responseBytes);
  response.fill('q', 0, copied);
  for (let i = copied; i < response.length; i++) response[i] = pattern[(i - copied) % pattern.length]!;
}
const prefixBytes = Math.min(cfg.requestBytes, cfg.responseBytes);
/**
 * Responses whose request prefix is not the usual one (a person typing into `twstorm serve`).
 * Looked up only for a connection flagged F_OWN: a storm's connections never touch the Map.
 */
const ownResponse = new Map<number, Buffer>();
const responseOf = (fd: number): Buffer => (flags[fd]! & F_OWN ? ownResponse.get(fd)! : response);
const RST_LINGER = encodeLinger({ onoff: true, seconds: 0 });
const N_LINGER = encodeLinger({ onoff: true, seconds: policy.lingerSeconds });
const recvBuf = Buffer.alloc(256 * 1024);
const eventBuf = Buffer.alloc(layout.eventSize);
const MAX_EVENTS = 512;
const events = Buffer.alloc(layout.eventSize * MAX_EVENTS);
/** Linux 4.5: only one of the epoll sets waiting on a listener is woken per connection. */
const EPOLLEXCLUSIVE = 1 << 28;
const clock = (): number => performance.now();
/** A leaking server ("never") must hold its sockets until it stops: no idle timeout then. */
const idleMs = policy.mode === 'never' ? Infinity : cfg.idleTimeoutMs;
const { EMFILE, ENFILE, EINVAL } = os.constants.errno;

// Slots by fd: an accepted fd is unique in the process while open.
let capacity = 1024;
let state = new Uint8Array(capacity);
let got = new Float64Array(capacity);
let sent = new Float64Array(capacity);
let flags = new Uint8Array(capacity);
let deadline = new Float64Array(capacity);
let closeAt = new Float64Array(capacity);
/** ring: the requests in flight on a connection (P_RECV | P_SEND | P_POLLOUT), and its generation, which tells a late completion of the connection before it on the same descriptor number from one of its own (onCompletion). */
let pending = new Uint8Array(capacity);
let gen = new Uint32Array(capacity);
const S_FREE = 0;
const S_OPEN = 1;
const S_HALF_CLOSED = 2;
const F_REPLIED = 1;
const F_CLOSING = 2;
const F_PEER_ENDED = 4;
const F_WRITTEN = 8;
/** The response is this connection's own (ownResponse), not the shared one. */
const F_OWN = 16;
/** EPOLLOUT is in this connection's watch: a send filled the socket buffer (see WATCH). */
const F_WATCH_OUT = 32;
/**
 * A connection is watched for input only, until a send returns EAGAIN. Watched for EPOLLOUT
 * from the start, the kernel reports every new socket writable at once (ep_item_poll in
 * epoll_ctl ADD): an event and a recv() that returns EAGAIN for each connection whose request
 * had not arrived yet — measured 0.74 of each per connection against the C client. A response
 * that fits the socket buffer, the usual case, never needs EPOLLOUT.
 */
const WATCH = (EPOLLIN | EPOLLRDHUP | EPOLLET) >>> 0;
const WATCH_OUT = (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) >>> 0;
/**
 * The highest fd that may be open: the sweep and the final cut walk 0..topFd of the typed
 * arrays (fds are dense: the kernel hands out the lowest free number) instead of keeping a Set
 * that every connection would add itself to and delete itself from.
 */
let topFd = -1;
let nextTimerAt = Infinity;
/** Listener tags sit above any fd: tag = LISTENER_TAG + index. */
const LISTENER_TAG = 0x40000000;
let listeners: number[] = [];

function grow(fd: number): void {
  let size = capacity;
  while (size <= fd) size *= 2;
  const g = <T extends Float64Array | Uint8Array | Uint32Array>(a: T, fill = 0): T => {
    const b = new (a.constructor as new (n: number) => T)(size);
    b.fill(fill as never);
    b.set(a);
    return b;
  };
  state = g(state);
  got = g(got);
  sent = g(sent);
  flags = g(flags);
  deadline = g(deadline, Infinity);
  closeAt = g(closeAt, Infinity);
  gen = g(gen);
  pending = g(pending);
  capacity = size;
}

function countErrno(errno: number): void {
  Atomics.add(errnoCounts, errno < SRV_ERRNO_SLOTS ? errno : 0, 1);
}

function setTimer(t: number): void {
  if (t < nextTimerAt) nextTimerAt = t;
}

function accepted(fd: number, listener: number, now: number): void {
  if (fd >= capacity) grow(fd);
  counters[SRV_ACCEPTED]!++;
  counters[SRV_OPEN]!++;
  Atomics.add(perListener, listener, 1);
  state[fd] = S_OPEN;
  got[fd] = 0;
  sent[fd] = 0;
  flags[fd] = 0;
  closeAt[fd] = Infinity;
  deadline[fd] = now + idleMs;
  setTimer(deadline[fd]!);
  if (fd > topFd) topFd = fd;
  if (ring) {
    pending[fd] = 0;
    if (cfg.requestBytes === 0) reply(fd, now);
    else ringRecv(fd);
    return;
  }
  if (raw.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, encodeEpollEvent(layout, WATCH, fd, eventBuf)) < 0) {
    countErrno(raw.errno());
    return destroy(fd);
  }
  if (cfg.requestBytes === 0) reply(fd, now);
}

function reply(fd: number, now: number): void {
  flags[fd]! |= F_REPLIED;
  writeMore(fd, now);
}

/** Writes what is left of the response; once all of it is in the kernel, the policy's next step. */
function writeMore(fd: number, now: number): void {
  // ring: the shared response is sent from the ring's memory; a connection's own response (a
  // person typing into `twstorm serve`) is not there, and is sent directly.
  if (ring && !(flags[fd]! & F_OWN)) {
    if (sent[fd]! < response.length) return ringSend(fd);
    return written(fd, now);
  }
  const body = responseOf(fd);
  while (sent[fd]! < body.length) {
    const off = sent[fd]!;
    const data = off === 0 ? body : body.subarray(off);
    const n = raw.send(fd, data, data.length, MSG_NOSIGNAL);
    if (n < 0) {
      const errno = raw.errno();
      if (errno === ERRNO.EAGAIN) return watchOut(fd);
      countErrno(errno);
      return destroy(fd);
    }
    sent[fd] = off + n;
    deadline[fd] = now + idleMs;
  }
  written(fd, now);
}

/** The whole response is in the kernel: the policy's next step. */
function written(fd: number, now: number): void {
  if (flags[fd]! & F_WRITTEN) return;
  flags[fd]! |= F_WRITTEN;
  counters[SRV_REPLIED]!++;
  if (policy.first === 'client') return ringRecv(fd); // wait for the client's FIN
  if (policy.delayMs > 0) {
    closeAt[fd] = now + policy.delayMs;
    setTimer(closeAt[fd]!);
    ringRecv(fd); // a client FIN or RST during the delay is seen, as on epoll
  } else closeNow(fd);
}

/** The socket buffer is full: EPOLLOUT will say when writeMore() can go on (MOD re-arms the edge). */
function watchOut(fd: number): void {
  if (ring) {
    // ring: an own response that filled the socket buffer; a one-shot poll says when there is room.
    if (pending[fd]! & P_POLLOUT) return;
    ring.prepare(OP_POLL_ADD, fd, 0, 0, POLLOUT, fd * 8 + K_POLLOUT, gen[fd]!);
    pending[fd]! |= P_POLLOUT;
    return;
  }
  if (flags[fd]! & F_WATCH_OUT) return;
  flags[fd]! |= F_WATCH_OUT;
  if (raw.epoll_ctl(epfd, EPOLL_CTL_MOD, fd, encodeEpollEvent(layout, WATCH_OUT, fd, eventBuf)) < 0) {
    countErrno(raw.errno());
    destroy(fd);
  }
}

function closeNow(fd: number): void {
  // The leak: the client's FIN was read and close() is never called, so the kernel keeps the
  // socket in CLOSE_WAIT (it has no timer for that state) and this process keeps the fd.
  if (policy.mode === 'never') return;
  if (flags[fd]! & F_CLOSING) return;
  flags[fd]! |= F_CLOSING;
  closeAt[fd] = Infinity;
  if (policy.mode === 'rst') {
    // SO_LINGER {1, 0}: the kernel sends RST and skips TIME_WAIT (tcp_close → tcp_disconnect).
    counters[SRV_CLOSED_RST]!++;
    raw.setsockopt(fd, SOL_SOCKET, SO_LINGER, RST_LINGER, 8);
    return destroy(fd);
  }
  if (policy.mode === 'linger') {
    // close() may sleep up to n s with unsent data: a closer thread does it.
    raw.setsockopt(fd, SOL_SOCKET, SO_LINGER, N_LINGER, 8);
    raw.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, null); // never on the ring (io-choice.ts)
    forget(fd);
    closer!.push(fd);
    return;
  }
  // Counted only when this FIN goes first (active close: TIME_WAIT lands here).
  if (flags[fd]! & F_PEER_ENDED) return destroy(fd);
  counters[SRV_CLOSED_FIN]!++;
  // The client sent its request and no more, and all of it has been read: close() now sends the
  // FIN after the response (nothing unread, so no RST: tcp_close resets only over unread data)
  // and the kernel finishes the close alone — FIN_WAIT2, then TIME_WAIT here when the client's
  // FIN comes (an orphan, so tcp_fin_timeout bounds a client that never sends it). That is what
  // nginx does when it has read the whole request, and what the bench's C server does: one
  // syscall and one epoll wake per connection fewer than shutdown-then-wait.
  if (got[fd] === cfg.requestBytes) return destroy(fd);
  // A client that sent more than its request may still be sending: shutdown(SHUT_WR) and keep
  // reading until its FIN (nginx's lingering close), so a late byte is read and dropped rather
  // than left unread, which would turn the close into an RST (RFC 2525 §2.17; tcp_close).
  if (raw.shutdown(fd, SHUT_WR) < 0) {
    countErrno(raw.errno());
    return destroy(fd);
  }
  state[fd] = S_HALF_CLOSED;
  ringRecv(fd); // the recv that sees the client's FIN
}

function forget(fd: number): void {
  state[fd] = S_FREE;
  if (flags[fd]! & F_OWN) ownResponse.delete(fd);
  deadline[fd] = Infinity;
  closeAt[fd] = Infinity;
  // ring: the close is only queued; the connection counts as open until it is submitted
  // (the run waits for open = 0 before its last census, src/run/settle.ts).
  if (ring) closesQueued++;
  else counters[SRV_OPEN]!--;
}

function destroy(fd: number): void {
  if (state[fd] === S_FREE) return;
  forget(fd);
  if (!ring) {
    raw.close(fd);
    return;
  }
  // ring: whatever request still holds the socket is cancelled first, in the same batch (a
  // request keeps its own reference to the file), then the close; the generation moves on, so
  // a late completion of this connection is not taken for the next one on the same number.
  const p = pending[fd]!;
  if (p & P_RECV) ring.cancel(fd * 8 + K_RECV, gen[fd]!, K_CANCEL);
  if (p & P_SEND) ring.cancel(fd * 8 + K_SEND, gen[fd]!, K_CANCEL);
  if (p & P_POLLOUT) ring.cancel(fd * 8 + K_POLLOUT, gen[fd]!, K_CANCEL);
  pending[fd] = 0;
  gen[fd] = (gen[fd]! + 1) & GEN_MASK;
  ring.closeFd(fd, K_CLOSE);
}

function readable(fd: number, bits: number, now: number): void {
  for (;;) {
    const n = raw.recv(fd, recvBuf, recvBuf.length, 0);
    if (n > 0) {
      gotBytes(fd, recvBuf, 0, n, now);
      if (state[fd] === S_FREE) return;
      if (n < recvBuf.length && (bits & EPOLLRDHUP) === 0) return;
      continue;
    }
    if (n === 0) return clientFin(fd);
    const errno = raw.errno();
    if (errno === ERRNO.EAGAIN) return;
    countErrno(errno); // ECONNRESET: the client's RST
    return destroy(fd);
  }
}

/** `n` bytes of the request (or beyond it) arrived, at `offset` of `from`. */
function gotBytes(fd: number, from: Buffer, offset: number, n: number, now: number): void {
  const before = got[fd]!;
  got[fd] = before + n;
  // The response starts with the request's own bytes, as the net server's does.
  if (before < prefixBytes) {
    const upto = Math.min(prefixBytes, before + n);
    let own = flags[fd]! & F_OWN ? ownResponse.get(fd) : undefined;
    if (own === undefined && from.compare(response, before, upto, offset, offset + upto - before) !== 0) {
      own = Buffer.from(response);
      ownResponse.set(fd, own);
      flags[fd]! |= F_OWN;
    }
    if (own !== undefined) from.copy(own, before, offset, offset + upto - before);
  }
  deadline[fd] = now + idleMs;
  if (!(flags[fd]! & F_REPLIED) && got[fd]! >= cfg.requestBytes) reply(fd, now);
}

/**
 * The client's FIN: when the client closes first this is the cue; under any other policy the
 * client gave up early, and holding the socket would only leak it.
 */
function clientFin(fd: number): void {
  flags[fd]! |= F_PEER_ENDED;
  if (state[fd] === S_HALF_CLOSED) return destroy(fd);
  return closeNow(fd);
}

// ------------------------------------------------------------------------ ring: completions
const K_SEND = 1;
const K_RECV = 2;
const K_CLOSE = 3;
const K_CANCEL = 4;
const K_POLLOUT = 5;
/** A listener's poll (tag: listener index · 8 + K_ACCEPT): its completion means "accept". */
const K_ACCEPT = 6;
const P_RECV = 1;
const P_SEND = 2;
const P_POLLOUT = 4;
/** Receive buffers, RECV_SLOT bytes per descriptor, mapped CHUNK_FDS descriptors at a time as numbers grow. */
const RECV_SLOT = 1024;
const CHUNK_FDS = 4096;
const chunks: { bytes: Buffer; address: number }[] = [];
let responseAt = 0;
// ring: one poll per listener this thread watches, POLLIN | EPOLLEXCLUSIVE, re-armed after each
// accept round. Why not one poll of an epoll set of the listeners: exclusivity is decided where
// the listener wakes its waiters, and an epoll set polled through the ring has no sleeper of its
// own (ep_poll_callback counts a wake-up as exclusive only when a thread sleeps in epoll_wait),
// so every thread's set woke for every connection and all but one found nothing to accept —
// measured with the C client and 2 threads: 42 ms of server CPU per 1,000 connections, 38 with
// a listener per thread. The ring's own poll takes EPOLLEXCLUSIVE and joins the listener's queue
// as an exclusive waiter (io_uring/poll.c, add_wait_queue_exclusive); a kernel that drops the
// flag wakes every thread, as before, and the result's server.stats.emptyAccepts shows it.
/** Whether this thread's poll of listener i is in the kernel. */
const polled = new Uint8Array(SRV_MAX_LISTENERS);
/** The poll's events: without EPOLLEXCLUSIVE if this kernel refuses it there (every thread then wakes, as on a set). */
let listenerPollEvents = (POLLIN | EPOLLEXCLUSIVE) >>> 0;
/** Polls of an earlier listener list, cancelled, whose completions have not arrived yet. */
let cancelledPolls = 0;
/** Generation of the listener list the polls belong to: a late completion of an older list is dropped. */
let listenerGen = 0;
/** Listeners whose poll fired this turn: accepted from once the turn's closes are submitted. */
const readyListeners: number[] = [];
/**
 * A poll holds its listener open (io_uring takes a reference to the file): the main thread
 * closes the old listeners once every thread has acknowledged a new list, so a thread
 * acknowledges only when its cancelled polls have completed.
 */
let ackOwed = false;
/** ring: closes queued since the last submit (SRV_OPEN drops when they are submitted). */
let closesQueued = 0;
// A thread whose ring cannot be made serves on epoll (and says so through SRV_IO).
const ring = cfg.io === 'io_uring' ? tryOpenRing() : null;
counters[SRV_IO] = ring ? 1 : 2;
function tryOpenRing(): Ring | null {
  try {
    const loadedRing = loadRing();
    if (!loadedRing.ok) throw new Error(loadedRing.reason);
    const r = new Ring(loadedRing.ring, 1024);
    try {
      const memory = r.memory(Math.max(1, response.length));
      response.copy(memory.bytes, 0);
      responseAt = memory.address;
    } catch (err) {
      r.close();
      throw err;
    }
    return r;
  } catch (err) {
    parentPort?.postMessage({ ringFailure: (err as Error).message });
    return null;
  }
}

/** ring: once every queued request (the closes among them) is in the kernel, the closed connections stop counting as open. */
function settleCloses(): void {
  if (ring!.queued > 0) return;
  counters[SRV_OPEN]! -= closesQueued;
  closesQueued = 0;
}

/** Where the descriptor's receive buffer sits in its chunk. */
const slotOffset = (fd: number): number => (fd % CHUNK_FDS) * RECV_SLOT;

function chunkOf(fd: number): { bytes: Buffer; address: number } {
  const k = Math.floor(fd / CHUNK_FDS);
  // Mapped, not touched: a page is backed only once a recv writes to it.
  while (chunks.length <= k) chunks.push(ring!.memory(CHUNK_FDS * RECV_SLOT));
  return chunks[k]!;
}

/** A recv for the connection, unless one is pending or the client has ended (a recv would answer 0 at once, again and again). */
function ringRecv(fd: number): void {
  if (!ring || state[fd] === S_FREE || pending[fd]! & P_RECV || flags[fd]! & F_PEER_ENDED) return;
  // While the request is incomplete, never exactly what it lacks (one byte more, or when that
  // does not fit, one less): a client that sent more than its request then shows it (got >
  // requestBytes) before the reply, and the close lingers for it (closeNow) rather than closing
  // over unread bytes, an RST — as epoll's one big recv sees.
  const lacking = cfg.requestBytes - got[fd]!;
  const length = lacking < 0 ? RECV_SLOT : lacking < RECV_SLOT ? lacking + 1 : lacking === RECV_SLOT ? RECV_SLOT - 1 : RECV_SLOT;
  ring.prepare(OP_RECV, fd, chunkOf(fd).address + slotOffset(fd), length, 0, fd * 8 + K_RECV, gen[fd]!);
  pending[fd]! |= P_RECV;
}

function ringSend(fd: number): void {
  if (pending[fd]! & P_SEND) return;
  const off = sent[fd]!;
  ring!.prepare(OP_SEND, fd, responseAt + off, response.length - off, MSG_NOSIGNAL, fd * 8 + K_SEND, gen[fd]!);
  pending[fd]! |= P_SEND;
}

function onCompletion(tag: number, g: number, res: number, now: number): void {
  const kind = tag & 7;
  if (kind === K_ACCEPT) {
    if (g !== listenerGen) {
      cancelledPolls--; // a poll of an earlier list
      return;
    }
    const index = tag >>> 3;
    polled[index] = 0;
    if (res > 0) readyListeners.push(index);
    else if (res < 0 && res !== -ERRNO.ECANCELED) {
      countErrno(-res);
      if (-res === EINVAL) listenerPollEvents = POLLIN;
      rest(now); // re-armed after REST_MS, not at once: a poll that keeps failing must not spin
    }
    return;
  }
  if (kind === K_CLOSE) {
    if (res < 0) countErrno(-res);
    return;
  }
  if (kind === K_CANCEL) return;
  const fd = tag >>> 3;
  if (fd >= capacity || g !== gen[fd] || state[fd] === S_FREE) return; // an earlier connection on this number
  if (kind === K_RECV) {
    pending[fd]! &= ~P_RECV;
    if (res > 0) {
      gotBytes(fd, chunkOf(fd).bytes, slotOffset(fd), res, now);
      // Read on while the request is incomplete, or while the policy waits for the client.
      if (state[fd] !== S_FREE && (!(flags[fd]! & F_REPLIED) || flags[fd]! & F_WRITTEN || state[fd] === S_HALF_CLOSED)) ringRecv(fd);
      return;
    }
    if (res === 0) return clientFin(fd);
    countErrno(-res); // ECONNRESET: the client's RST
    return destroy(fd);
  }
  if (kind === K_SEND) {
    pending[fd]! &= ~P_SEND;
    if (res < 0) {
      countErrno(-res);
      return destroy(fd);
    }
    sent[fd] = sent[fd]! + res;
    deadline[fd] = now + idleMs;
    return writeMore(fd, now);
  }
  if (kind === K_POLLOUT) {
    pending[fd]! &= ~P_POLLOUT;
    return writeMore(fd, now);
  }
}
/** Handles the `n` completions ready (what ring.submitAndWait() answered). */
function ringReap(n: number, now: number): void {
  const { tags, gens, results } = ring!;
  for (let i = 0; i < n; i++) onCompletion(tags[i]!, gens[i]!, results[i]!, now);
}

/** ring: a poll on each listener this thread watches that has none in the kernel. */
function armListenerPolls(): void {
  if (restingUntil > 0) return;
  for (let i = 0; i < listeners.length; i++) {
    if (polled[i] === 1 || !mine(i)) continue;
    ring!.prepare(OP_POLL_ADD, listeners[i]!, 0, 0, listenerPollEvents, i * 8 + K_ACCEPT, listenerGen);
    polled[i] = 1;
  }
}

function acceptFrom(index: number, now: number): void {
  const lfd = listeners[index];
  if (lfd === undefined) return;
  for (let i = 0; i < 64; i++) {
    if (Atomics.load(ctl, SRV_CTL_AT_LIMIT) !== 0) return acceptAtLimit(lfd, index, now);
    const fd = raw.accept4(lfd, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const errno = raw.errno();
      if (errno === EMFILE || errno === ENFILE) {
        limitErrno = errno;
        Atomics.compareExchange(ctl, SRV_CTL_AT_LIMIT, 0, 1);
        return acceptAtLimit(lfd, index, now);
      }
      if (errno !== ERRNO.EAGAIN && errno !== ERRNO.EINTR) countErrno(errno);
      else if (i === 0) counters[SRV_EMPTY_ACCEPTS]!++;
      return;
    }
    accepted(fd, index, now);
  }
}

// Out of descriptors (EMFILE, or ENFILE system-wide), a connection stays in the accept queue and
// the listener stays readable: retrying would spin, and the client would wait unanswered. This
// does what libuv does for every Node server (uv__emfile_trick): give up a spare descriptor,
// accept the connection, close it at once, take the spare back. The close is an RST
// (SO_LINGER {1, 0}) so it leaves no TIME_WAIT; each refused connection counts once under its
// errno. While the process is at its limit, threads accept one at a time (SRV_CTL_AT_LIMIT), so
// no thread's plain accept() takes the slot another thread's spare just freed. A thread left
// without a spare rests its listeners for a moment (nginx pauses accept() after EMFILE too).
let spare = openSpare();
let limitErrno = EMFILE;
let restingUntil = 0;
const REST_MS = 50;

/** eventfd: the cheapest descriptor to hold (EFD_CLOEXEC is O_CLOEXEC, as EPOLL_CLOEXEC). */
function openSpare(): number {
  return raw.eventfd(0, EPOLL_CLOEXEC);
}

function acceptAtLimit(lfd: number, index: number, now: number): void {
  for (;;) {
    const seen = Atomics.compareExchange(ctl, SRV_CTL_AT_LIMIT, 1, 2);
    if (seen === 1) break;
    if (seen === 0) return; // another thread found a free descriptor: back to plain accepts
    Atomics.wait(ctl, SRV_CTL_AT_LIMIT, 2, 5);
  }
  let atLimit = true;
  try {
    for (let i = 0; i < 64; i++) {
      if (spare < 0) spare = openSpare();
      if (spare < 0) {
        rest(now);
        return;
      }
      raw.close(spare);
      const fd = raw.accept4(lfd, SOCK_NONBLOCK | SOCK_CLOEXEC);
      const acceptErrno = fd < 0 ? raw.errno() : 0;
      spare = openSpare();
      if (fd < 0) {
        if (acceptErrno !== ERRNO.EAGAIN && acceptErrno !== ERRNO.EINTR && acceptErrno !== EMFILE && acceptErrno !== ENFILE) countErrno(acceptErrno);
        return;
      }
      if (spare >= 0) {
        // Two descriptors were free: the process is no longer at its limit; keep this one.
        atLimit = false;
        accepted(fd, index, now);
        return;
      }
      countErrno(limitErrno);
      raw.setsockopt(fd, SOL_SOCKET, SO_LINGER, RST_LINGER, 8);
      raw.close(fd);
      spare = openSpare();
    }
  } finally {
    Atomics.store(ctl, SRV_CTL_AT_LIMIT, atLimit ? 1 : 0);
    Atomics.notify(ctl, SRV_CTL_AT_LIMIT);
  }
}

/**
 * ring: the polls are cancelled, as epoll's set is emptied: an armed poll would take a
 * connection's one exclusive wake-up from the threads that could serve it while this one rests.
 * armListenerPolls arms them again when the rest is over.
 */
function rest(now: number): void {
  if (ring) cancelListenerPolls();
  else for (const fd of listeners) raw.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, null);
  restingUntil = now + REST_MS;
}

/**
 * Which listeners this thread watches. A listener shared by every thread is watched with
 * EPOLLEXCLUSIVE, so one thread wakes per connection. An SO_REUSEPORT group whose listeners
 * divide evenly among the threads is split instead, listener l of each port to thread
 * l mod threads, as nginx's `reuseport` and the bench's C server do: the kernel's hash then picks
 * the thread with the listener, and no two threads contend for one accept queue — measured with
 * the C pair, one shared listener took 12 % off the rate of per-thread listeners (26-28k vs
 * 30-32k conn/s). Only evenly: the hash spreads connections evenly over the listeners, so 3
 * listeners on 2 threads would hand one thread two thirds of them. A thread that rests after
 * EMFILE (rest()) leaves its own listeners' connections queued for those 50 ms, where a shared
 * listener would let another thread take and refuse them.
 */
function mine(index: number): boolean {
  if (cfg.reusePortListeners % cfg.threads !== 0) return true;
  return (index % cfg.reusePortListeners) % cfg.threads === cfg.thread;
}

function addListeners(): void {
  if (ring) return; // armListenerPolls
  listeners.forEach((fd, i) => {
    if (!mine(i)) return;
    if (raw.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, encodeEpollEvent(layout, (EPOLLIN | EPOLLEXCLUSIVE) >>> 0, LISTENER_TAG + i, eventBuf)) < 0) {
      countErrno(raw.errno());
    }
  });
}

function sweep(now: number): void {
  let next = Infinity;
  let top = -1;
  for (let fd = 0; fd <= topFd; fd++) {
    if (state[fd] === S_FREE) continue;
    top = fd;
    if (closeAt[fd]! <= now) closeNow(fd);
    if (state[fd] === S_FREE) continue;
    if (deadline[fd]! <= now) {
      destroy(fd); // idle: a client that never closes cannot pin the server
      continue;
    }
    next = Math.min(next, closeAt[fd]!, deadline[fd]!);
  }
  topFd = top;
  nextTimerAt = next;
}

/** Follows the main thread's listener list (listen, stopListening, restart). */
let seenGeneration = 0;
function syncListeners(): void {
  const generation = Atomics.load(ctl, SRV_CTL_GEN);
  if (generation === seenGeneration) return;
  if (ring) cancelListenerPolls();
  else for (const fd of listeners) raw.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, null);
  const count = ctl[SRV_CTL_LISTENERS]!;
  listeners = Array.from({ length: count }, (_, i) => ctl[SRV_CTL_LISTENERS + 1 + i]!);
  addListeners();
  restingUntil = 0;
  seenGeneration = generation;
  if (cancelledPolls > 0) ackOwed = true;
  else acknowledge();
}

/** ring: cancels every listener poll of this thread; their completions, of an older generation, only count down cancelledPolls. */
function cancelListenerPolls(): void {
  for (let i = 0; i < listeners.length; i++) {
    if (polled[i] === 0) continue;
    ring!.cancel(i * 8 + K_ACCEPT, listenerGen, K_CANCEL);
    cancelledPolls++;
  }
  polled.fill(0);
  readyListeners.length = 0;
  listenerGen = (listenerGen + 1) & GEN_MASK;
}

function acknowledge(): void {
  ackOwed = false;
  Atomics.add(ctl, SRV_CTL_ACK, 1);
  Atomics.notify(ctl, SRV_CTL_ACK);
}

// The ring's thread waits in the ring alone: no epoll set.
const epfd = ring ? -1 : raw.epoll_create1(EPOLL_CLOEXEC);
if (!ring && epfd < 0) throw new Error(`epoll_create1 failed: ${errnoName(raw.errno())}`);
for (;;) {
  if (Atomics.load(ctl, SRV_CTL_STOP) !== 0) break;
  syncListeners();
  let now = clock();
  if (restingUntil > 0 && now >= restingUntil) {
    restingUntil = 0;
    addListeners();
  }
  if (nextTimerAt <= now) sweep(now);
  const waitMs = Math.min(20, Math.max(0, nextTimerAt - now));
  if (ring) {
    armListenerPolls();
    const ready = ring.submitAndWait(waitMs);
    settleCloses();
    now = clock();
    ringReap(ready, now);
    if (ackOwed && cancelledPolls === 0) acknowledge();
    if (readyListeners.length === 0) continue;
    // The closes these completions queued give their descriptors back before accept4 asks for
    // new ones, as on epoll: near the descriptor limit, a held one would turn a connection away.
    ring.submit();
    settleCloses();
    // A poll that fired while this thread rests after EMFILE is re-armed when the rest ends.
    for (const index of readyListeners) if (restingUntil === 0) acceptFrom(index, now);
    readyListeners.length = 0;
    continue;
  }
  const n = raw.epoll_wait(epfd, events, MAX_EVENTS, Math.ceil(waitMs));
  if (n < 0) continue; // EINTR
  now = clock();
  for (let i = 0; i < n; i++) {
    const tag = epollTag(layout, events, i);
    const bits = epollEvents(layout, events, i);
    if (tag >= LISTENER_TAG) {
      acceptFrom(tag - LISTENER_TAG, now);
      continue;
    }
    if (state[tag] === S_FREE) continue;
    if ((bits & EPOLLOUT) !== 0 && flags[tag]! & F_REPLIED && sent[tag]! < responseOf(tag).length) {
      writeMore(tag, now);
      if (state[tag] === S_FREE) continue;
    }
    readable(tag, bits, now);
  }
}
// close(): every connection still open is cut, as the net server's destroy() does.
for (let fd = 0; fd <= topFd; fd++) if (state[fd] !== S_FREE) destroy(fd);
if (ring) {
  // The cuts' closes must reach the kernel before the ring goes, and the listener polls must be
  // cancelled and done: a poll holds its listener open, a ring's teardown cancels what is left in
  // the background, and the main thread closes the listeners once this thread has ended.
  cancelListenerPolls();
  for (let tries = 0; (ring.queued > 0 || cancelledPolls > 0) && tries < 1000; tries++) {
    ringReap(ring.submitAndWait(cancelledPolls > 0 ? 1 : 0), clock());
  }
  settleCloses();
  ring.close();
}
if (!ring) {
  for (const fd of listeners) raw.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, null);
  raw.close(epfd);
}
if (spare >= 0) raw.close(spare);
// The main thread counts this thread as stopped.
acknowledge();
