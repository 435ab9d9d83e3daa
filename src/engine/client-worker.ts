// One client engine thread: a loop over raw non-blocking sockets it makes itself, driven by
// io_uring completions (cfg.io 'io_uring': sends, recvs and closes go to the kernel in one batch
// per turn, src/sockets/uring.ts) or by epoll readiness (cfg.io 'epoll': a system call each).
// Each connection is a slot in typed arrays (no promise, closure or timer per connection); timers
// (close delay, read delay, connect and idle timeouts) are deadlines swept once per loop turn.
// The connection's life is the `net` driver's (tcp-connection.ts), step for step:
// connect → send the request → read the response → close the way the policy says, with errors
// taken from the syscall's errno in the phase it struck. Who sends the first FIN decides where
// TIME_WAIT lands (RFC 793 §3.5); SO_LINGER {1, 0} turns close() into an RST and no TIME_WAIT.
// Why one file of ~900 lines: like wrk's net loop, the state machine, its slot arrays and the
// sweep are one hot loop that must read top to bottom; split, every step would cross a module
// boundary per connection. Both ways of doing I/O share it: only the few steps that touch the
// socket differ (marked "ring:"). Set-up (config, merge, recorders) lives in the files beside it.
import { parentPort, workerData } from 'node:worker_threads';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  AF_INET,
  AF_INET6,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLLERR,
  EPOLLET,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  IP_BIND_ADDRESS_NO_PORT,
  IP_LOCAL_PORT_RANGE,
  IPPROTO_IP,
  MSG_NOSIGNAL,
  SHUT_WR,
  SO_ERROR,
  SO_LINGER,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from '../sockets/constants.js';
import { errnoName } from '../sockets/errors.js';
import { encodeEpollEvent, epollEvents, epollTag, ERRNO, loadRawSockets, readU32, writeU32 } from '../sockets/raw.js';
import { encodeInt, encodeLinger, encodePortRange, encodeSockaddr, familyOf, PORT_RANGE_SIZE, SOCKADDR_STORAGE_SIZE } from '../sockets/structs.js';
import { bindAddressNoPortFor, bindsFirst, destinationIndex, localPortAt, sourceIndex } from '../driver/endpoints.js';
import { Backoff } from '../driver/backoff.js';
import { compileRamp, concurrencyAt, startTimeOf } from '../driver/shape/ramp.js';
import { histogramCounts } from '../metrics/histograms.js';
import { LoadStats, type Phase } from '../metrics/load-stats.js';
import { PortTracker } from '../metrics/port-tracker.js';
import {
  CTL_F64_START,
  CTL_GO,
  CTL_READY,
  CTL_STOP,
  LIVE_ATTEMPTED,
  LIVE_COMPLETED,
  LIVE_ERRORS,
  LIVE_ESTABLISHED,
  LIVE_FAILED,
  LIVE_WIDTH,
  STOP_CUT,
  STOP_DRAIN,
  type ClientThreadConfig,
  type ClientThreadReport,
} from './client-config.js';
import { CloserQueue } from './linger-closers.js';
import { GEN_MASK, loadRing, OP_RECV, OP_SEND, Ring } from '../sockets/uring.js';
import { MALFORMED, NEED_MORE, ResponseReader } from './http-response.js';
import { CUT_AT_STOP } from '../driver/shape/bounds.js';

// A thread may be started ahead of its run (prewarmed while the server starts): it loads the
// FFI and the recorders first, then waits for its configuration.
const loaded = loadRawSockets();
if (!loaded.ok) throw new Error(loaded.reason);
const raw = loaded.raw;
const cfg = (workerData as ClientThreadConfig | null) ?? ((await once(parentPort!, 'message')) as [ClientThreadConfig])[0];
const { layout } = cfg;

const conn = cfg.connection;
const plan = cfg.endpoints;
const stats = new LoadStats(cfg.sampleMs, 'connect-call', new PortTracker(cfg.ports));
const closer = cfg.closer ? new CloserQueue(cfg.closer) : null;
const backoff = new Backoff();
const ctl = new Int32Array(cfg.control, 0, 4);
const ctlF64 = new Float64Array(cfg.control);
const live = new Float64Array(cfg.live, cfg.thread * LIVE_WIDTH * 8, LIVE_WIDTH);
const clockBase = performance.timeOrigin - cfg.epochMs;
const clock = (): number => clockBase + performance.now();
const us = (ms: number): number => Math.max(1, Math.round(ms * 1000));

// ------------------------------------------------------------------- addresses, made once
const family = familyOf(conn.host);
const domain = family === 4 ? AF_INET : AF_INET6;
const destinations = plan.ports.map((p) => encodeSockaddr(conn.host, p));
const binds = bindsFirst(plan);
const noPort = bindAddressNoPortFor(plan);
const sources = plan.sourceAddresses.length > 0 ? plan.sourceAddresses : [family === 4 ? '0.0.0.0' : '::'];
for (const s of plan.sourceAddresses) {
  if (familyOf(s) !== family) throw new Error(`source address ${s} (IPv${familyOf(s)}) cannot reach ${conn.host} (IPv${family})`);
}
/** client.portRange: IP_LOCAL_PORT_RANGE's u32, set on every socket before bind/connect; null: none. */
const portRange = plan.portRange ? encodePortRange(plan.portRange[0], plan.portRange[1]) : null;
/** One sockaddr per source address, its port rewritten in place for each bind. */
const bindAddresses = sources.map((s) => encodeSockaddr(s, 0));
const httpMode = conn.http !== null;
const perConnection = conn.http?.requestsPerConnection ?? 1;
const request = conn.http ? Buffer.from(conn.http.request, 'latin1') : Buffer.alloc(conn.requestBytes, 'q');
/** The echo exchange reads responseBytes; an HTTP response ends where its framing says. */
const responseBytes = httpMode ? 0 : conn.responseBytes;
const ONE = encodeInt(1);
const RST_LINGER = encodeLinger({ onoff: true, seconds: 0 });
const N_LINGER = conn.mode === 'linger' ? encodeLinger({ onoff: true, seconds: conn.lingerSeconds }) : RST_LINGER;
const intBuf = Buffer.alloc(4);
const lenBuf = Buffer.alloc(4);
const nameBuf = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
const recvBuf = Buffer.alloc(256 * 1024);
const eventBuf = Buffer.alloc(layout.eventSize);
const MAX_EVENTS = 512;
const events = Buffer.alloc(layout.eventSize * MAX_EVENTS);
const WATCH = (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) >>> 0;
/**
 * Not an epoll bit: readable() is asked to read until EAGAIN (or end of stream) because an edge
 * passed while the connection was paused. Kept apart from EPOLLRDHUP, which readable() trusts as
 * "the peer's FIN is already in".
 */
const DRAIN = 1 << 30;

// ------------------------------------------------------------------------ the slot table
const capacity = Math.max(1, cfg.rate === null ? cfg.concurrency : cfg.maxInFlight);
const S_FREE = 0;
const S_CONNECTING = 1;
const S_OPEN = 2;
/** We sent our FIN (shutdown): waiting for the peer's. */
const S_HALF_CLOSED = 3;
const fdOf = new Int32Array(capacity).fill(-1);
const state = new Uint8Array(capacity);
const intended = new Float64Array(capacity);
const sentBytes = new Int32Array(capacity);
const received = new Float64Array(capacity);
const established = new Uint8Array(capacity);
const exchanged = new Uint8Array(capacity);
const peerEnded = new Uint8Array(capacity);
const paused = new Uint8Array(capacity);
const phaseOf = new Uint8Array(capacity);
const errorOf = new Int32Array(capacity); // index into errorCodes; 0 = none
const errorPhase = new Uint8Array(capacity);
const closeStart = new Float64Array(capacity).fill(-1);
const deadline = new Float64Array(capacity).fill(Infinity);
const resumeAt = new Float64Array(capacity).fill(Infinity);
const closeAt = new Float64Array(capacity).fill(Infinity);
const addressSlot = new Int32Array(capacity);
/** Which of the plan's server ports (its index) the slot's connection goes to: its 4-tuple, for the port table. */
const destinationOf = new Int32Array(capacity);
/** The local port bound before connect (client.localPorts); 0: the kernel picks it, getsockname reads it. */
const boundPort = new Uint16Array(capacity);
/** µs spent inside connect(): the kernel's port scan shows here first (metrics/connect-fill.ts). */
const connectCallUs = new Float64Array(capacity);
const freeSlots = new Int32Array(capacity);
// Raw HTTP: requests still to send on the connection, when the current one started, whether
// one is awaiting its response, and whether its first byte was seen.
const requestsLeft = new Int32Array(capacity);
const requestStart = new Float64Array(capacity);
const awaiting = new Uint8Array(capacity);
const firstSeen = new Uint8Array(capacity);
const reader = httpMode ? new ResponseReader(capacity) : null;

// ring: the io_uring, its memory (the request, and the recv buffers: one shared by every slot
// for the echo exchange, whose bytes are only counted; one per slot for HTTP, whose bytes are
// parsed after the batch), each slot's pending request (at most one: a send or a recv) and its
// generation, which tells a completion for a slot's earlier connection from one for its current.
const K_SEND = 1;
const K_RECV = 2;
const K_CLOSE = 3;
const K_CANCEL = 4;
const pendingKind = new Uint8Array(capacity);
const gen = new Uint32Array(capacity);
const RECV_SLOT = httpMode ? 8 * 1024 : 64 * 1024;
let requestAt = 0;
let recvAt = 0;
let ringBytes: Buffer = recvBuf;
/** Why this thread runs on epoll although io_uring was chosen (its ring could not be made), else null. */
let ringFailure: string | null = null;
const ring = cfg.io === 'io_uring' ? tryOpenRing() : null;
function tryOpenRing(): Ring | null {
  try {
    return openRing();
  } catch (err) {
    ringFailure = (err as Error).message;
    return null;
  }
}
function openRing(): Ring {
  const loadedRing = loadRing();
  if (!loadedRing.ok) throw new Error(loadedRing.reason);
  let entries = 64;
  while (entries < Math.min(capacity * 2, 4096)) entries *= 2;
  const r = new Ring(loadedRing.ring, entries);
  let memory: { bytes: Buffer; address: number };
  try {
    // Mapped, not touched: a page is backed only once a recv writes to it.
    memory = r.memory(request.length + RECV_SLOT * (httpMode ? capacity : 1) + 64);
  } catch (err) {
    r.close();
    throw err;
  }
  request.copy(memory.bytes, 0);
  requestAt = memory.address;
  // 64-byte aligned, after the request.
  const recvStart = Math.ceil(request.length / 64) * 64;
  recvAt = memory.address + recvStart;
  ringBytes = memory.bytes.subarray(recvStart);
  return r;
}
/** Requests handed back by connections that ended before sending them (started again). */
let givenBack = 0;
let freeCount = capacity;
for (let i = 0; i < capacity; i++) freeSlots[i] = capacity - 1 - i;
let inFlight = 0;
/** Lower bound of every pending deadline: the sweep runs only when it is due. */
let nextTimerAt = Infinity;

const PHASES: Phase[] = ['socket', 'bind', 'connect', 'write', 'read', 'close'];
const P_SOCKET = 0;
const P_BIND = 1;
const P_CONNECT = 2;
const P_WRITE = 3;
const P_READ = 4;
const P_CLOSE = 5;
const errorCodes: string[] = [''];
const errorIndex = new Map<string, number>();
function codeIndex(code: string): number {
  let i = errorIndex.get(code);
  if (i === undefined) {
    i = errorCodes.length;
    errorCodes.push(code);
    errorIndex.set(code, i);
  }
  return i;
}
const ETIMEDOUT_I = codeIndex('ETIMEDOUT');
const PEER_CLOSED_EARLY_I = codeIndex('PEER_CLOSED_EARLY');
const MALFORMED_I = codeIndex('HTTP_MALFORMED');
const CUT_AT_STOP_I = codeIndex(CUT_AT_STOP);
const ECONNRESET_I = codeIndex('ECONNRESET');
const EPIPE_I = codeIndex('EPIPE');
let errorsTotal = 0;

function setTimer(t: number): void {
  if (t < nextTimerAt) nextTimerAt = t;
}

/** The first error of a connection is the one counted (as the net driver's `error ??=`). */
function fail(slot: number, code: number, phase: number): void {
  if (errorOf[slot] === 0) {
    errorOf[slot] = code;
    errorPhase[slot] = phase;
  }
}
const failErrno = (slot: number, errno: number, phase: number): void => fail(slot, codeIndex(errnoName(errno)), phase);

/** A connection that never got a slot (socket, bind or connect failed at once). */
function failedBeforeSlot(errno: number, phase: number, now: number, requests: number): void {
  if (httpMode) {
    stats.recordRequest(false, now);
    givenBack += requests - 1;
  }
  const code = errnoName(errno);
  stats.recordError(code, PHASES[phase]!, now);
  errorsTotal++;
  stats.recordFailed(now);
  // A bind() out of ports (EADDRINUSE) is the same shortage as a connect() EADDRNOTAVAIL:
  // without a back-off a closed loop retried it at full speed (an audit: 2.28 M bind failures,
  // 90 s of CPU, in a 3 s run).
  if (cfg.rate === null) backoff.failed(code, now);
}

// ----------------------------------------------------------------------- a connection's life
function start(index: number, intendedMs: number, now: number, requests: number): void {
  stats.recordAttempt(now);
  const fd = raw.socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return failedBeforeSlot(raw.errno(), P_SOCKET, now, requests);
  // The per-socket range must be in place before the kernel picks the port: at bind(port 0),
  // else at connect() (inet_sk_get_local_port_range in both). A failure counts in the socket phase.
  if (portRange !== null && raw.setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, portRange, PORT_RANGE_SIZE) < 0) {
    const errno = raw.errno();
    raw.close(fd);
    return failedBeforeSlot(errno, P_SOCKET, now, requests);
  }
  let slotAddress = 0;
  let localPort = 0;
  if (binds) {
    const s = sourceIndex(plan, index);
    slotAddress = s < 0 ? 0 : s;
    const address = bindAddresses[slotAddress]!;
    localPort = localPortAt(plan, index);
    address.writeUInt16BE(localPort, 2);
    if (
      (plan.reuseAddr && raw.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, ONE, 4) < 0) ||
      (noPort && localPort === 0 && raw.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, ONE, 4) < 0) ||
      raw.bind(fd, address, address.length) < 0
    ) {
      const errno = raw.errno();
      raw.close(fd);
      return failedBeforeSlot(errno, P_BIND, now, requests);
    }
  }
  const toIndex = destinationIndex(plan, index);
  const destination = destinations[toIndex]!;
  const callStart = performance.now();
  const connectResult = raw.connect(fd, destination, destination.length);
  const callUs = (performance.now() - callStart) * 1000;
  if (connectResult < 0) {
    const errno = raw.errno();
    if (errno !== ERRNO.EINPROGRESS) {
      // EADDRNOTAVAIL: no free local port for this destination (inet_hash_connect gave up).
      raw.close(fd);
      return failedBeforeSlot(errno, P_CONNECT, now, requests);
    }
  }
  const slot = freeSlots[--freeCount]!;
  inFlight++;
  fdOf[slot] = fd;
  state[slot] = S_CONNECTING;
  intended[slot] = intendedMs;
  sentBytes[slot] = 0;
  received[slot] = 0;
  established[slot] = 0;
  exchanged[slot] = 0;
  peerEnded[slot] = 0;
  paused[slot] = 0;
  phaseOf[slot] = P_CONNECT;
  errorOf[slot] = 0;
  closeStart[slot] = -1;
  resumeAt[slot] = Infinity;
  closeAt[slot] = Infinity;
  addressSlot[slot] = slotAddress;
  destinationOf[slot] = toIndex;
  boundPort[slot] = localPort;
  connectCallUs[slot] = callUs;
  requestsLeft[slot] = requests;
  requestStart[slot] = intendedMs;
  awaiting[slot] = 0;
  firstSeen[slot] = 0;
  reader?.reset(slot);
  deadline[slot] = now + conn.connectTimeoutMs;
  setTimer(deadline[slot]!);
  // ring: the request goes out at once; the kernel holds the send until the handshake is done,
  // and its completion is the "connected" event (or carries connect()'s error).
  if (ring) return ringSend(slot);
  if (raw.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, encodeEpollEvent(layout, WATCH, slot, eventBuf)) < 0) {
    failErrno(slot, raw.errno(), P_CONNECT);
    destroy(slot, now);
  }
}

function connected(slot: number, now: number): void {
  handshakeDone(slot, now);
  if (!sendMore(slot, now)) return;
  if (!httpMode && responseBytes === 0) exchangeDone(slot, now);
}

/**
 * A connection reset before this thread saw its handshake complete. ECONNRESET and EPIPE come
 * only from a socket past SYN_SENT (an RST in SYN_SENT is ECONNREFUSED: tcp_reset), so the kernel
 * had established it: a server at EMFILE accepts it and closes it with the request unread, and
 * the RST lands before the loop's turn. Counted as established, failed in the write phase (an
 * audit: 78 "connect ECONNRESET" beside TcpAttemptFails 0, TcpEstabResets counting them).
 */
function resetBeforeSeen(slot: number, errno: number, now: number): boolean {
  if (state[slot] !== S_CONNECTING || (errno !== ERRNO.ECONNRESET && errno !== ERRNO.EPIPE)) return false;
  handshakeDone(slot, now);
  failErrno(slot, errno, P_WRITE);
  return true;
}

/** The handshake is done: the connection's accounting, and its first request is on its way. */
function handshakeDone(slot: number, now: number): void {
  const fd = fdOf[slot]!;
  state[slot] = S_OPEN;
  established[slot] = 1;
  // A port bound before connect is the connection's port (connect() keeps it); only a port the
  // kernel picked is asked for: one system call fewer per connection (~4 µs of CPU per
  // connection measured on a VM where a round trip into the kernel takes ~1.5-1.8 µs).
  let port = boundPort[slot]!;
  if (port === 0) {
    writeU32(lenBuf, nameBuf.length, 0);
    port = raw.getsockname(fd, nameBuf, lenBuf) < 0 ? 0 : nameBuf.readUInt16BE(2);
  }
  stats.established++;
  stats.connect.recordValue(us(now - intended[slot]!));
  stats.series.add('established', now);
  const held = stats.ports.openedAt(addressSlot[slot]!, port, now, destinationOf[slot]!);
  if (port > 0) stats.connectFill.record(now, port, held, connectCallUs[slot]!);
  deadline[slot] = now + conn.idleTimeoutMs + conn.readDelayMs;
  setTimer(deadline[slot]!);
  phaseOf[slot] = P_WRITE;
  if (conn.readDelayMs > 0) {
    paused[slot] = 1;
    resumeAt[slot] = now + conn.readDelayMs;
    setTimer(resumeAt[slot]!);
  }
  awaiting[slot] = 1;
}

/** Raw HTTP: one response has ended; the next request on this connection, or the close. */
function responseDone(slot: number, now: number): void {
  const status = reader!.status(slot);
  const ok = status >= 200 && status < 300;
  stats.total.recordValue(us(now - requestStart[slot]!));
  stats.recordRequest(ok, now);
  if (!ok) {
    stats.recordError(`HTTP_${status}`, 'read', now);
    errorsTotal++;
  }
  awaiting[slot] = 0;
  requestsLeft[slot] = requestsLeft[slot]! - 1;
  if (requestsLeft[slot]! > 0 && !reader!.closes(slot) && !peerEnded[slot]) {
    reader!.reset(slot);
    requestStart[slot] = now;
    firstSeen[slot] = 0;
    sentBytes[slot] = 0;
    phaseOf[slot] = P_WRITE;
    awaiting[slot] = 1;
    if (ring) ringSend(slot);
    else sendMore(slot, now);
    return;
  }
  if (reader!.closes(slot) && !peerEnded[slot]) {
    // The server said Connection: close, so it closes (RFC 9112 §9.6) and keeps the TIME_WAIT;
    // the client waits for its FIN rather than racing it.
    exchanged[slot] = 1;
    phaseOf[slot] = P_CLOSE;
    stats.recordCompleted(now);
    return;
  }
  exchangeDone(slot, now);
}

/** Raw HTTP: hands `n` bytes at `offset` of `from` to the response reader; false when the connection ended. */
function httpData(slot: number, from: Buffer, offset: number, n: number, now: number): boolean {
  if (!awaiting[slot]) return true; // nothing asked: a server speaking out of turn is ignored
  if (!firstSeen[slot]) {
    firstSeen[slot] = 1;
    stats.firstByte.recordValue(us(now - requestStart[slot]!));
  }
  const r = reader!.feed(slot, from, offset, offset + n);
  if (r === NEED_MORE) return true;
  if (r === MALFORMED) {
    fail(slot, MALFORMED_I, P_READ);
    destroy(slot, now);
    return false;
  }
  responseDone(slot, now);
  return state[slot] !== S_FREE;
}

/** Idle from now on, or from the end of a read delay still running: a paused connection is not idle. */
function idleDeadline(slot: number, now: number): number {
  return (paused[slot] ? resumeAt[slot]! : now) + conn.idleTimeoutMs;
}

/** Sends what is left of the request; false when the connection ended. */
function sendMore(slot: number, now: number): boolean {
  while (sentBytes[slot]! < request.length) {
    const off = sentBytes[slot]!;
    const data = off === 0 ? request : request.subarray(off);
    const n = raw.send(fdOf[slot]!, data, data.length, MSG_NOSIGNAL);
    if (n < 0) {
      const errno = raw.errno();
      if (errno === ERRNO.EAGAIN) return true; // EPOLLOUT will say when there is room
      failErrno(slot, errno, phaseOf[slot]!);
      destroy(slot, now);
      return false;
    }
    sentBytes[slot] = off + n;
    // Sent is what send() handed the kernel: an 8 MiB request to a server that never reads
    // gets ~4 MB in (the socket buffers), not 8 (an audit: it was counted whole at the handshake).
    stats.bytesSent += n;
    deadline[slot] = idleDeadline(slot, now);
  }
  if (phaseOf[slot] === P_WRITE) phaseOf[slot] = P_READ;
  return true;
}

function readable(slot: number, bits: number, now: number): void {
  const fd = fdOf[slot]!;
  for (;;) {
    const n = raw.recv(fd, recvBuf, recvBuf.length, 0);
    if (n > 0) {
      if (!gotBytes(slot, recvBuf, 0, n, now)) return;
      if (n < recvBuf.length && !readOn(slot, bits, now)) return;
      continue;
    }
    if (n === 0) return peerFin(slot, now);
    const errno = raw.errno();
    if (errno === ERRNO.EAGAIN) return;
    // ECONNRESET: the server's RST; what it had not delivered is lost (counted in finish()).
    failErrno(slot, errno, phaseOf[slot]!);
    return destroy(slot, now);
  }
}

/** `n` bytes arrived (at `offset` of `from`); false when the connection ended. */
function gotBytes(slot: number, from: Buffer, offset: number, n: number, now: number): boolean {
  stats.bytesReceived += n;
  // Bytes during our close delay (a server speaking out of turn) do not arm the idle timeout.
  if (closeAt[slot] === Infinity) deadline[slot] = now + conn.idleTimeoutMs;
  if (httpMode) return httpData(slot, from, offset, n, now);
  if (received[slot] === 0) stats.firstByte.recordValue(us(now - intended[slot]!));
  received[slot] = received[slot]! + n;
  if (exchanged[slot] === 0 && received[slot]! >= responseBytes) exchangeDone(slot, now);
  return state[slot] !== S_FREE;
}

/**
 * After a short read, which emptied the receive queue (tcp_recvmsg stops early only when no data
 * is left): whether readable() must recv() again. False when it is done (the slot may be freed).
 * - EPOLLRDHUP without EPOLLERR: the peer's FIN was in before the read, so every byte before it
 *   was queued by then and the next recv() could only return 0. It is skipped (peerFin now): one
 *   syscall fewer per connection whenever the response and the server's FIN arrive together
 *   (the server closes first, HTTP Connection: close).
 * - EPOLLRDHUP with EPOLLERR: an RST (tcp_reset sets sk_err and shuts both directions). The next
 *   recv() returns ECONNRESET and the bytes it threw away are counted; stopping here instead
 *   would wait for an edge that never comes, until the idle timeout.
 * - Otherwise, edge-triggered: nothing more until the next edge, unless asked to drain.
 */
function readOn(slot: number, bits: number, now: number): boolean {
  if ((bits & EPOLLRDHUP) !== 0) {
    if ((bits & EPOLLERR) !== 0) return true;
    peerFin(slot, now);
    return false;
  }
  return (bits & DRAIN) !== 0;
}

function exchangeDone(slot: number, now: number): void {
  exchanged[slot] = 1;
  phaseOf[slot] = P_CLOSE;
  if (!httpMode) stats.total.recordValue(us(now - intended[slot]!));
  stats.recordCompleted(now);
  if (conn.first === 'server') {
    // The server's FIN is the cue, and it comes close.delay after the exchange: that wait is
    // the scenario's, not idleness (an audit: close.delay 11 s against the 10 s idle timeout
    // made the client close first, with ETIMEDOUT, and moved TIME_WAIT to the client).
    if (conn.delayMs > 0) {
      deadline[slot] = now + conn.delayMs + conn.idleTimeoutMs;
      setTimer(deadline[slot]!);
    }
    return;
  }
  if (conn.delayMs > 0) {
    // Our own close is due: no idle timeout until it has gone out (closeNow arms it again).
    deadline[slot] = Infinity;
    closeAt[slot] = now + conn.delayMs;
    setTimer(closeAt[slot]!);
  } else closeNow(slot, now);
}

/** The peer's FIN (recv returned 0). */
function peerFin(slot: number, now: number): void {
  peerEnded[slot] = 1;
  // A body without length ends with the server's FIN (RFC 9112 §6.3 rule 8).
  if (httpMode && awaiting[slot] && reader!.endsAtEof(slot)) {
    responseDone(slot, now);
    if (state[slot] === S_FREE) return;
  }
  if (exchanged[slot] === 0) fail(slot, PEER_CLOSED_EARLY_I, phaseOf[slot]!);
  if (state[slot] === S_HALF_CLOSED) return destroy(slot, now); // both FINs are out: done
  closeNow(slot, now);
}

/** The client's own close, in the scenario's mode. */
function closeNow(slot: number, now: number): void {
  if (closeStart[slot]! >= 0) return;
  phaseOf[slot] = P_CLOSE;
  closeStart[slot] = now;
  closeAt[slot] = Infinity;
  const fd = fdOf[slot]!;
  if (conn.mode === 'rst') {
    if (raw.setsockopt(fd, SOL_SOCKET, SO_LINGER, RST_LINGER, 8) < 0) failErrno(slot, raw.errno(), P_CLOSE);
    return destroy(slot, now);
  }
  if (conn.mode === 'linger') {
    // close() with SO_LINGER {1, n} and unsent data sleeps in the kernel for up to n s
    // (sk_stream_wait_close): it is done on a closer thread, never on this loop.
    if (raw.setsockopt(fd, SOL_SOCKET, SO_LINGER, N_LINGER, 8) < 0) {
      failErrno(slot, raw.errno(), P_CLOSE);
      return destroy(slot, now);
    }
    raw.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, null);
    closer!.push(fd);
    fdOf[slot] = -1;
    // Its close time is the closer's (how long close() blocked, client-engine.ts), not the ~0
    // of this hand-over (an audit: close p50-max 0.001 ms beside lingerBlockedMs max 37.5).
    closeStart[slot] = -1;
    return finish(slot, now);
  }
  if (peerEnded[slot]) return destroy(slot, now); // close() sends our FIN; nothing more to wait for
  // FIN: shutdown(SHUT_WR) sends it and keeps reading, so the server's FIN (and any late data)
  // is still seen, as Node's end() does with allowHalfOpen.
  if (raw.shutdown(fd, SHUT_WR) < 0) {
    failErrno(slot, raw.errno(), P_CLOSE);
    return destroy(slot, now);
  }
  state[slot] = S_HALF_CLOSED;
  // From our FIN on, the wait is for the server's: idle time again.
  deadline[slot] = now + conn.idleTimeoutMs;
  setTimer(deadline[slot]!);
  if (ring) ringNext(slot); // the recv that will see the server's FIN
}

/** close(fd) as it stands (Node's destroy()), then the connection's accounting. */
function destroy(slot: number, now: number): void {
  const fd = fdOf[slot]!;
  if (fd >= 0) {
    if (ring) {
      // ring: a pending send or recv holds the socket open (a request keeps its own reference
      // to the file), so it is cancelled first, in the same batch; a failed close comes back
      // as a completion (onCompletion, K_CLOSE).
      if (pendingKind[slot] !== 0) ring.cancel(slot * 8 + pendingKind[slot]!, gen[slot]!, K_CANCEL);
      pendingKind[slot] = 0;
      ring.closeFd(fd, K_CLOSE);
    } else if (raw.close(fd) < 0) failErrno(slot, raw.errno(), P_CLOSE);
    fdOf[slot] = -1;
  }
  finish(slot, now);
}

/** Whether an RST ended the connection: our RST close, or the server's (ECONNRESET, EPIPE). */
function endedInReset(slot: number): boolean {
  const error = errorOf[slot]!;
  return (conn.mode === 'rst' && closeStart[slot]! >= 0) || error === ECONNRESET_I || error === EPIPE_I;
}

/** The connection's end, recorded as the net driver's 'close' handler records it. */
function finish(slot: number, now: number): void {
  if (closeStart[slot]! >= 0) stats.close.recordValue(us(now - closeStart[slot]!));
  if (established[slot]) {
    stats.life.recordValue(us(now - intended[slot]!));
    stats.ports.released();
    // What the server sent that never arrived: an RST (ours or the server's) threw it away. A
    // connection that ended otherwise (a timeout, a server that never answered) lost nothing
    // to an RST: its missing bytes were never sent (an audit: "1,280 bytes lost" with no RST).
    if (received[slot]! < responseBytes && endedInReset(slot)) stats.bytesLost += responseBytes - received[slot]!;
  }
  if (httpMode) {
    // The request in progress failed; those never sent go back to be started again.
    if (awaiting[slot]) {
      stats.recordRequest(false, now);
      requestsLeft[slot] = requestsLeft[slot]! - 1;
      if (errorOf[slot] === 0) fail(slot, PEER_CLOSED_EARLY_I, phaseOf[slot]!);
    } else if (!established[slot]) {
      // The connect failed (ECONNREFUSED, a connect timeout): the first request it was for failed
      // with it, as failedBeforeSlot and undici count it. Uncounted, a server refusing
      // connections showed fewer requests than connections failed (an audit: 94 ECONNREFUSED
      // beside 61 requests, 1 failed; undici, same server: 108 requests, 78 failed).
      stats.recordRequest(false, now);
      requestsLeft[slot] = requestsLeft[slot]! - 1;
    }
    givenBack += Math.max(0, requestsLeft[slot]!);
    requestsLeft[slot] = 0;
    awaiting[slot] = 0;
  }
  const error = errorOf[slot]!;
  if (error !== 0) {
    stats.recordError(errorCodes[error]!, PHASES[errorPhase[slot]!]!, now);
    errorsTotal++;
  }
  if (!exchanged[slot]) stats.recordFailed(now);
  if (cfg.rate === null) {
    if (error === 0) backoff.succeeded();
    else if (errorPhase[slot] === P_CONNECT) backoff.failed(errorCodes[error]!, now);
  }
  state[slot] = S_FREE;
  gen[slot] = (gen[slot]! + 1) & GEN_MASK;
  deadline[slot] = Infinity;
  freeSlots[freeCount++] = slot;
  inFlight--;
}

function onEvent(slot: number, bits: number, now: number): void {
  const s = state[slot];
  if (s === S_FREE) return;
  if (s === S_CONNECTING) {
    if ((bits & (EPOLLERR | EPOLLHUP)) !== 0) {
      writeU32(lenBuf, 4, 0);
      const r = raw.getsockopt(fdOf[slot]!, SOL_SOCKET, SO_ERROR, intBuf, lenBuf);
      const errno = r < 0 ? raw.errno() : readU32(intBuf, 0);
      if (errno !== 0) {
        if (!resetBeforeSeen(slot, errno, now)) failErrno(slot, errno, P_CONNECT); // ECONNREFUSED, ETIMEDOUT, ENETUNREACH…
        return destroy(slot, now);
      }
    }
    if ((bits & EPOLLOUT) === 0) return;
    connected(slot, now);
    if (state[slot] === S_FREE) return;
  } else if ((bits & EPOLLOUT) !== 0 && sentBytes[slot]! < request.length) {
    if (!sendMore(slot, now)) return;
  }
  if (paused[slot] === 0 && (bits & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) !== 0) readable(slot, bits, now);
}

// ------------------------------------------------------------------------ ring: completions
function ringSend(slot: number): void {
  const off = sentBytes[slot]!;
  ring!.prepare(OP_SEND, fdOf[slot]!, requestAt + off, request.length - off, MSG_NOSIGNAL, slot * 8 + K_SEND, gen[slot]!);
  pendingKind[slot] = K_SEND;
}

/** Where a slot's recv lands in the ring's receive memory: its own buffer for HTTP, the shared one for the echo. */
const recvOffset = (slot: number): number => (httpMode ? slot * RECV_SLOT : 0);

/** The slot's next request when none is pending: the rest of the request, else a recv (unless paused). */
function ringNext(slot: number): void {
  if (state[slot] === S_FREE || pendingKind[slot] !== 0) return;
  // A read delay holds back the reads, never the rest of the request (as epoll's EPOLLOUT).
  if (sentBytes[slot]! < request.length) return ringSend(slot);
  if (paused[slot] !== 0) return;
  ring!.prepare(OP_RECV, fdOf[slot]!, recvAt + recvOffset(slot), RECV_SLOT, 0, slot * 8 + K_RECV, gen[slot]!);
  pendingKind[slot] = K_RECV;
}

function onCompletion(tag: number, g: number, res: number, now: number): void {
  const kind = tag & 7;
  if (kind === K_CLOSE) {
    // Only a failure comes back (CQE_SKIP_SUCCESS), after its connection was accounted: it is
    // counted in the close phase on its own (close(2) of a socket fails only on a bad fd).
    if (res < 0) {
      stats.recordError(errnoName(-res), 'close', now);
      errorsTotal++;
    }
    return;
  }
  if (kind === K_CANCEL) return; // ENOENT/EALREADY: the request had finished or was finishing
  const slot = tag >>> 3;
  if (g !== gen[slot] || state[slot] === S_FREE) return; // a connection this slot had before
  pendingKind[slot] = 0;
  if (res < 0) {
    // Straight from the kernel: ECONNREFUSED/ETIMEDOUT in the connect phase (the send waited
    // for the handshake), ECONNRESET/EPIPE later.
    if (!resetBeforeSeen(slot, -res, now)) failErrno(slot, -res, phaseOf[slot]!);
    return destroy(slot, now);
  }
  if (kind === K_SEND) {
    if (state[slot] === S_CONNECTING) handshakeDone(slot, now);
    sentBytes[slot] = sentBytes[slot]! + res;
    stats.bytesSent += res;
    deadline[slot] = idleDeadline(slot, now);
    if (sentBytes[slot]! >= request.length) {
      if (phaseOf[slot] === P_WRITE) phaseOf[slot] = P_READ;
      if (!httpMode && responseBytes === 0 && exchanged[slot] === 0) {
        exchangeDone(slot, now);
        if (state[slot] === S_FREE) return;
      }
    }
    return ringNext(slot);
  }
  if (res === 0) return peerFin(slot, now);
  if (!gotBytes(slot, ringBytes, recvOffset(slot), res, now)) return;
  ringNext(slot);
}

/** Deadlines: read-delay ends, close delays, connect and idle timeouts. */
function sweep(now: number): void {
  let next = Infinity;
  for (let slot = 0; slot < capacity; slot++) {
    if (state[slot] === S_FREE) continue;
    if (resumeAt[slot]! <= now) {
      resumeAt[slot] = Infinity;
      paused[slot] = 0;
      if (ring) ringNext(slot);
      else readable(slot, DRAIN, now); // whatever arrived while paused (the edge has passed)
      if (state[slot] === S_FREE) continue;
    }
    if (closeAt[slot]! <= now) {
      closeNow(slot, now);
      if (state[slot] === S_FREE) continue;
    }
    if (deadline[slot]! <= now) {
      // ETIMEDOUT is what the kernel itself reports when SYN retries run out.
      fail(slot, ETIMEDOUT_I, phaseOf[slot]!);
      destroy(slot, now);
      continue;
    }
    next = Math.min(next, resumeAt[slot]!, closeAt[slot]!, deadline[slot]!);
  }
  nextTimerAt = next;
}

/**
 * Every open connection ends now: an interrupt's grace, or gracefulStop after the duration, is
 * over. Each closes as it stands and counts as CUT_AT_STOP in the phase it was in, so a cut
 * connection (and the RST its unread data may make) is never read as the scenario's own doing.
 */
function cutAll(now: number): void {
  for (let slot = 0; slot < capacity; slot++) {
    if (state[slot] === S_FREE) continue;
    fail(slot, CUT_AT_STOP_I, phaseOf[slot]!);
    destroy(slot, now);
  }
}

/** Handles the `n` completions ready (what ring.submitAndWait() answered). */
function ringReap(n: number, now: number): void {
  const { tags, gens, results } = ring!;
  for (let i = 0; i < n; i++) onCompletion(tags[i]!, gens[i]!, results[i]!, now);
}

// --------------------------------------------------------------------------------- the loop
const epfd = raw.epoll_create1(EPOLL_CLOEXEC);
if (epfd < 0) throw new Error(`epoll_create1 failed: ${errnoName(raw.errno())}`);

Atomics.add(ctl, CTL_READY, 1);
Atomics.notify(ctl, CTL_READY);
while (Atomics.load(ctl, CTL_GO) === 0) Atomics.wait(ctl, CTL_GO, 0, 100);
const startMs = ctlF64[CTL_F64_START]!;
const deadlineMs = startMs + cfg.durationMs;
/** After the duration, the connections in flight get gracefulStop to end on their own (k6's gracefulStop). */
const cutAtMs = deadlineMs + cfg.gracefulStopMs;
const ramp = compileRamp(cfg.rate === null ? cfg.totalConcurrency : cfg.totalRate!, cfg.stages);
const flat = cfg.stages.length === 0;
/** Requests (connections, for the echo exchange) handed out so far, and connections started. */
let started = 0;
let connections = 0;
/** Requests a failed connection never sent are started again on a new one. */
function reclaim(): void {
  started -= givenBack;
  givenBack = 0;
}
let turns = 0;
let busyMs = 0;
const wallStart = performance.now();

/** How many connections this thread wants in flight now: its share of the ramp's target. */
function targetConcurrency(nowMs: number): number {
  if (flat) return cfg.concurrency;
  const total = concurrencyAt(ramp, nowMs - startMs);
  return Math.floor(total / cfg.threads) + (cfg.thread < total % cfg.threads ? 1 : 0);
}
/** Open loop: when this thread's start number `k` is due (the run's start k·threads + thread). */
const dueAt = (k: number): number => startMs + startTimeOf(ramp, k * cfg.threads + cfg.thread);

function publish(): void {
  live[LIVE_ATTEMPTED] = stats.attempted;
  live[LIVE_ESTABLISHED] = stats.established;
  live[LIVE_COMPLETED] = stats.completed;
  live[LIVE_FAILED] = stats.failed;
  live[LIVE_ERRORS] = errorsTotal;
}

for (;;) {
  let now = clock();
  const stop = Atomics.load(ctl, CTL_STOP);
  if (stop >= STOP_CUT || (now >= cutAtMs && inFlight > 0)) {
    cutAll(now);
    break;
  }
  const starting = stop < STOP_DRAIN && started < cfg.count && now < deadlineMs;
  // ring: the closes queued by the last turn's completions reach the kernel before any new
  // connection binds or connects, so a port they free is free for it, as on epoll (where
  // close() is immediate). Submitted only: a completion this brings is handled in the turn's
  // wait below, so nothing is queued behind the new connections. One io_uring_enter more per
  // turn, not per connection.
  if (ring && starting) ring.submit();
  let waitMs = 50;
  if (starting) {
    if (cfg.rate === null) {
      const wait = backoff.waitMs(now);
      if (wait > 0) waitMs = Math.min(waitMs, wait);
      else {
        const target = Math.min(targetConcurrency(now), capacity);
        // At most the free places' worth of starts per turn, failed ones included: a start that
        // fails at once (socket, bind) gives its place back at once, and without this bound the
        // loop would not read the clock or the stop flag again until the count ran out (the
        // same audit: that 3 s run took 60 s).
        let budget = target - inFlight;
        while (budget-- > 0 && inFlight < target && started < cfg.count && freeCount > 0) {
          const index = connections * cfg.threads + cfg.thread;
          const take = Math.min(perConnection, cfg.count - started);
          started += take;
          connections++;
          start(index, now, now, take);
          reclaim();
          if (backoff.waitMs(now) > 0) break;
        }
      }
    } else {
      // Open loop: every start that is due goes now, measured from when it was due, so a late
      // start shows in the latencies (coordinated omission).
      for (;;) {
        const due = dueAt(connections);
        if (due > now) {
          waitMs = Math.min(waitMs, due - now);
          break;
        }
        if (inFlight >= capacity || started >= cfg.count || freeCount === 0) break;
        const index = connections * cfg.threads + cfg.thread;
        const take = Math.min(perConnection, cfg.count - started);
        started += take;
        connections++;
        start(index, due, now, take);
        reclaim();
      }
    }
  } else if (inFlight === 0) break;
  if (nextTimerAt <= now) sweep(now);
  if (nextTimerAt < Infinity) waitMs = Math.min(waitMs, Math.max(0, nextTimerAt - now));
  if (starting && cfg.rate === null && inFlight < targetConcurrency(now) && backoff.waitMs(now) === 0 && started < cfg.count) waitMs = 0;
  publish();
  const busyEnd = performance.now();
  // The turn's one wait: the ring's (which also hands the kernel the turn's requests; it
  // answers ≥ 0, the completions it reaped), or epoll's.
  const n = ring ? ring.submitAndWait(waitMs) : raw.epoll_wait(epfd, events, MAX_EVENTS, Math.ceil(waitMs));
  busyMs -= performance.now() - busyEnd;
  turns++;
  if (n < 0) {
    const errno = raw.errno();
    if (errno !== ERRNO.EINTR) throw new Error(`epoll_wait failed: ${errnoName(errno)}`);
    continue;
  }
  now = clock();
  if (ring) ringReap(n, now);
  else for (let i = 0; i < n; i++) onEvent(epollTag(layout, events, i), epollEvents(layout, events, i), now);
  if (nextTimerAt <= now) sweep(now);
  reclaim();
}
raw.close(epfd);
if (ring) {
  // The closes queued by the last turn (and by cutAll) must reach the kernel: a request never
  // submitted would leave its socket open until the process ends.
  for (let tries = 0; ring.queued > 0 && tries < 1000; tries++) ringReap(ring.submitAndWait(0), clock());
  ring.close();
}
publish();
const wallMs = performance.now() - wallStart;

const report: ClientThreadReport = {
  thread: cfg.thread,
  attempted: stats.attempted,
  established: stats.established,
  completed: stats.completed,
  failed: stats.failed,
  bytesSent: stats.bytesSent,
  bytesReceived: stats.bytesReceived,
  bytesLost: stats.bytesLost,
  requests: { ...stats.requests },
  errors: stats.errorsObject(),
  histograms: stats.histogramsAs(histogramCounts),
  connectFill: stats.connectFill.cells(),
  series: stats.series.toJSON(),
  ports: stats.ports.threadFigures(),
  loop: { turns, busyMs: Math.round(wallMs + busyMs), wallMs: Math.round(wallMs) },
  io: ring ? 'io_uring' : 'epoll',
  ...(ringFailure === null ? {} : { ioFallback: ringFailure }),
};
parentPort!.postMessage(report);
