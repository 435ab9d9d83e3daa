// io_uring for the engine: a submission queue (SQ) and a completion queue (CQ) in memory this
// thread shares with the kernel, so a loop turn hands the kernel every send, recv and close it
// has and reaps every completion with one io_uring_enter(2) instead of a system call each. On a
// VM where a round trip into the kernel costs ~1.5 µs that is most of what separates a
// JavaScript client from a C one (README, performance).
//
// Layouts are the uapi's (include/uapi/linux/io_uring.h): a 64-byte SQE, a 16-byte CQE, and
// struct io_uring_params, whose offsets the kernel fills in. The self-check proves the layout
// and every opcode the engine uses against the running kernel before the first connection,
// without a TCP socket (so no counter a run measures moves): NOPs carry distinct user_data
// both ways; RECV, SEND and SHUTDOWN on an eventfd answer ENOTSOCK (an unknown opcode
// answers EINVAL); ASYNC_CANCEL of nothing answers ENOENT; a poll of an eventfd with a count
// answers POLLIN; CLOSE of the eventfd answers 0.
import os from 'node:os';
import { errnoName } from './errors.js';
import { tryLoadNative, type RawSyscalls, type RingSyscalls } from './native.js';

/** enum io_uring_op values the engine uses (stable ABI). */
export const OP_NOP = 0;
/** One-shot poll: sqe.poll32_events (the op_flags word) holds the mask; res is the mask seen. */
export const OP_POLL_ADD = 6;
export const OP_ASYNC_CANCEL = 14;
export const OP_CLOSE = 19;
export const OP_SEND = 26;
export const OP_RECV = 27;
export const OP_SHUTDOWN = 34;

/** IOSQE_* flags: no completion when the request succeeds (Linux 5.17, IORING_FEAT_CQE_SKIP). */
const SQE_CQE_SKIP_SUCCESS = 1 << 6;
/**
 * The largest `gen` a request may carry (a generation counter wraps with `& GEN_MASK`): a cancel
 * names its target by the whole user_data, tag + gen·2^32, as one JavaScript number, which is
 * exact only below 2^53.
 */
export const GEN_MASK = 0xfffff;

const SETUP_CQSIZE = 1 << 3;
/** Submit every SQE of a batch even when one fails at once (its CQE carries the error). */
const SETUP_SUBMIT_ALL = 1 << 7;
const SETUP_COOP_TASKRUN = 1 << 8;
const SETUP_SINGLE_ISSUER = 1 << 12;
/** Completions are posted only when this thread enters the kernel to wait: no interrupting IPIs. */
const SETUP_DEFER_TASKRUN = 1 << 13;
/** Linux 6.6: SQE i is slot i, no index array to fill. */
const SETUP_NO_SQARRAY = 1 << 16;
const ENTER_GETEVENTS = 1 << 0;
const ENTER_EXT_ARG = 1 << 3;
const FEAT_SINGLE_MMAP = 1 << 0;
const FEAT_NODROP = 1 << 1;
/** Linux 5.7: a recv with no data arms an internal poll instead of blocking a kernel worker. */
const FEAT_FAST_POLL = 1 << 5;
const FEAT_EXT_ARG = 1 << 8;
const FEAT_CQE_SKIP = 1 << 11;
const OFF_SQES = 0x10000000;
/** <poll.h> */
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
const SQE_BYTES = 64;
const CQE_BYTES = 16;
const PARAMS_BYTES = 120;
const TWO_32 = 2 ** 32;

export type RingLoad = { ok: true; ring: RingSyscalls; raw: RawSyscalls } | { ok: false; reason: string };

let cached: RingLoad | undefined;

/** The io_uring calls, if the FFI has them and the kernel passes the self-check; once per thread. */
export function loadRing(): RingLoad {
  if (cached) return cached;
  const loaded = tryLoadNative();
  if (!loaded.ok) return (cached = { ok: false, reason: loaded.reason });
  const { ring, raw } = loaded.native;
  if (!ring || !raw) return (cached = { ok: false, reason: 'the loaded FFI has no io_uring calls' });
  if (os.endianness() !== 'LE') return (cached = { ok: false, reason: 'the ring code writes little-endian words' });
  try {
    checkRing(ring, raw);
    cached = { ok: true, ring, raw };
  } catch (err) {
    cached = { ok: false, reason: `io_uring is not usable here: ${(err as Error).message}` };
  }
  return cached;
}

/** For tests that swap the FFI. */
export function resetRing(): void {
  cached = undefined;
}

/**
 * One ring, used by the one thread that made it (IORING_SETUP_SINGLE_ISSUER). Each request
 * carries a 64-bit user_data written as two words, `tag` (low) and `gen` (high), which the
 * engine uses for slot + step and the slot's generation.
 */
export class Ring {
  readonly fd: number;
  readonly entries: number;
  private readonly sys: RingSyscalls;
  private readonly sq: Uint32Array;
  private readonly sqes: Uint32Array;
  private readonly cq: Uint32Array;
  private readonly cqeBase: number;
  private readonly sqHead: number;
  private readonly sqTail: number;
  private readonly sqMask: number;
  private readonly cqHead: number;
  private readonly cqTail: number;
  private readonly cqMask: number;
  /** Index array (kernels before 6.6): its word offset in `sq`, else -1. */
  private readonly sqArray: number;
  private tail = 0;
  private pending = 0;
  /** The completions the last submitAndWait() reaped: user_data's low word (tag), high word (gen), and the result (≥ 0, or -errno). */
  readonly tags: Uint32Array;
  readonly gens: Uint32Array;
  readonly results: Int32Array;
  private readonly waitArg: Uint32Array;
  private readonly waitArgAddress: number;
  private readonly maps: { address: number; length: number }[] = [];

  constructor(sys: RingSyscalls, entries: number, cqEntries = entries * 4) {
    this.sys = sys;
    const params = Buffer.alloc(PARAMS_BYTES);
    let fd = -1;
    // The fastest set first; each fallback drops what an older kernel refuses with EINVAL.
    for (const flags of [
      SETUP_SUBMIT_ALL | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN | SETUP_NO_SQARRAY,
      SETUP_SUBMIT_ALL | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN,
      SETUP_SUBMIT_ALL | SETUP_COOP_TASKRUN,
    ]) {
      params.fill(0);
      params.writeUInt32LE(cqEntries, 4);
      params.writeUInt32LE(flags | SETUP_CQSIZE, 8);
      fd = sys.setup(entries, params);
      if (fd >= 0) break;
    }
    if (fd < 0) throw new Error(`io_uring_setup failed: ${errnoName(sys.errno())}`);
    this.fd = fd;
    try {
      const features = params.readUInt32LE(20);
      const need = FEAT_SINGLE_MMAP | FEAT_NODROP | FEAT_FAST_POLL | FEAT_EXT_ARG | FEAT_CQE_SKIP;
      if ((features & need) !== need) throw new Error(`the kernel lacks io_uring features 0x${(need & ~features).toString(16)} (Linux 5.17+ has them)`);
      this.entries = params.readUInt32LE(0);
      const cqCount = params.readUInt32LE(4);
      const noArray = (params.readUInt32LE(8) & SETUP_NO_SQARRAY) !== 0;
      const arrayOff = params.readUInt32LE(64);
      const cqesOff = params.readUInt32LE(100);
      const ringBytes = Math.max(noArray ? 0 : arrayOff + this.entries * 4, cqesOff + cqCount * CQE_BYTES);
      const rings = this.map(ringBytes, fd, 0);
      const sqes = this.map(this.entries * SQE_BYTES, fd, OFF_SQES);
      this.sq = new Uint32Array(rings.memory);
      this.cq = this.sq;
      this.sqes = new Uint32Array(sqes.memory);
      this.sqHead = params.readUInt32LE(40) / 4;
      this.sqTail = params.readUInt32LE(44) / 4;
      this.sqMask = this.sq[params.readUInt32LE(48) / 4]!;
      this.sqArray = noArray ? -1 : arrayOff / 4;
      this.cqHead = params.readUInt32LE(80) / 4;
      this.cqTail = params.readUInt32LE(84) / 4;
      this.cqMask = this.cq[params.readUInt32LE(88) / 4]!;
      this.cqeBase = cqesOff / 4;
      this.tags = new Uint32Array(cqCount);
      this.gens = new Uint32Array(cqCount);
      this.results = new Int32Array(cqCount);
      this.tail = Atomics.load(this.sq, this.sqTail);
      // struct io_uring_getevents_arg (24 bytes) then the struct __kernel_timespec it points to.
      const scratch = this.map(4096, -1, 0);
      this.waitArg = new Uint32Array(scratch.memory);
      this.waitArgAddress = scratch.address;
      const ts = scratch.address + 32;
      this.waitArg[4] = ts % TWO_32;
      this.waitArg[5] = Math.floor(ts / TWO_32);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private map(length: number, fd: number, offset: number): { memory: ArrayBuffer; address: number } {
    const mapped = this.sys.map(length, fd, offset);
    if (!mapped) throw new Error(`mmap of the ring (${length} bytes) failed: ${errnoName(this.sys.errno())}`);
    this.maps.push({ address: mapped.address, length });
    return mapped;
  }

  /**
   * Anonymous memory the kernel reads and writes for this ring's requests (send and recv
   * buffers): its bytes and its address. Unmapped by close(), with the ring.
   */
  memory(length: number): { bytes: Buffer; address: number } {
    const mapped = this.map(length, -1, 0);
    return { bytes: Buffer.from(mapped.memory), address: mapped.address };
  }

  /**
   * Cancels the request that carries (tag, gen), if it is still in flight, before a close of
   * its descriptor: a request holds its own reference to the file, so the socket would stay
   * open under it. Only a failure completes (ENOENT/EALREADY: it had finished or was
   * finishing), with `ownTag`.
   */
  cancel(tag: number, gen: number, ownTag: number): void {
    this.prepare(OP_ASYNC_CANCEL, -1, gen * TWO_32 + tag, 0, 0, ownTag, 0, SQE_CQE_SKIP_SUCCESS);
  }

  /** close(2) of `fd` through the ring; only a failure completes, with `ownTag`. */
  closeFd(fd: number, ownTag: number): void {
    this.prepare(OP_CLOSE, fd, 0, 0, 0, ownTag, 0, SQE_CQE_SKIP_SUCCESS);
  }

  /** Requests written and not yet handed to the kernel. */
  get queued(): number {
    return this.pending;
  }

  /**
   * Writes one request. `address` and `offset` are the SQE's addr and off (addr2) fields;
   * what they mean is the opcode's (a buffer for SEND/RECV, the user_data to cancel for
   * ASYNC_CANCEL).
   */
  prepare(op: number, fd: number, address: number, length: number, opFlags: number, tag: number, gen: number, flags = 0, offset = 0): void {
    for (let tries = 0; ((this.tail - Atomics.load(this.sq, this.sqHead)) >>> 0) >= this.entries; tries++) {
      if (tries === 1000) throw new Error('io_uring: the submission queue stays full (the kernel takes no request)');
      this.submit(); // the queue is full mid-turn: hand it over and go on
    }
    const index = this.tail & this.sqMask;
    const w = index * 16;
    const q = this.sqes;
    // Every word written, none left from the SQE's last use.
    q[w] = op | (flags << 8);
    q[w + 1] = fd;
    q[w + 2] = offset % TWO_32;
    q[w + 3] = Math.floor(offset / TWO_32);
    q[w + 4] = address % TWO_32;
    q[w + 5] = Math.floor(address / TWO_32);
    q[w + 6] = length;
    q[w + 7] = opFlags;
    q[w + 8] = tag;
    q[w + 9] = gen;
    q[w + 10] = 0;
    q[w + 11] = 0;
    q[w + 12] = 0;
    q[w + 13] = 0;
    q[w + 14] = 0;
    q[w + 15] = 0;
    if (this.sqArray >= 0) this.sq[this.sqArray + index] = index;
    this.tail = (this.tail + 1) >>> 0;
    Atomics.store(this.sq, this.sqTail, this.tail);
    this.pending++;
  }

  /** An interrupted call, or completions to reap first (EBUSY, EAGAIN), is retried by the caller; anything else is a bug. */
  private enterFailed(): void {
    const name = errnoName(this.sys.errno());
    if (name !== 'ETIME' && name !== 'EINTR' && name !== 'EBUSY' && name !== 'EAGAIN') throw new Error(`io_uring_enter failed: ${name}`);
  }

  /**
   * Hands what is queued to the kernel and returns at once, completions left where they are
   * (the next submitAndWait() reaps them). A close submitted here has happened when it returns.
   */
  submit(): void {
    if (this.pending === 0) return;
    const n = this.sys.enter(this.fd, this.pending, 0, 0, 0, 0);
    if (n >= 0) this.pending -= n;
    else this.enterFailed();
  }

  /**
   * Submits what is queued, waits until a completion is ready or `timeoutMs` passes (0: does
   * not wait), and reaps every ready completion into tags/gens/results, which it returns the
   * count of. They are taken off the queue before the caller handles them, so requests the
   * handling writes (and a submit of a full queue) always find room for their completions.
   * An interrupted or timed-out wait is not an error: the turn just finds fewer completions.
   */
  submitAndWait(timeoutMs: number): number {
    let flags = ENTER_GETEVENTS;
    let arg = 0;
    let argSize = 0;
    const wait = timeoutMs > 0 ? 1 : 0;
    if (wait) {
      const ns = Math.round(timeoutMs * 1e6);
      const a = this.waitArg;
      a[8] = Math.floor(ns / 1e9); // tv_sec (low word; a wait is never ≥ 2^32 s)
      a[9] = 0;
      a[10] = ns % 1e9; // tv_nsec
      a[11] = 0;
      flags |= ENTER_EXT_ARG;
      arg = this.waitArgAddress;
      argSize = 24;
    }
    const n = this.sys.enter(this.fd, this.pending, wait, flags, arg, argSize);
    // ETIME: the wait ran out; EINTR: a signal; EBUSY/EAGAIN: completions must be reaped first.
    if (n >= 0) this.pending -= n;
    else this.enterFailed();
    return this.reap();
  }

  /** Copies the ready completions out (user_data's two words, the result) and frees their entries. */
  private reap(): number {
    const cq = this.cq;
    const head = cq[this.cqHead]!;
    const n = Math.min((Atomics.load(cq, this.cqTail) - head) >>> 0, this.results.length);
    for (let i = 0; i < n; i++) {
      const at = this.cqeBase + (((head + i) & this.cqMask) << 2);
      this.tags[i] = cq[at]!;
      this.gens[i] = cq[at + 1]!;
      this.results[i] = cq[at + 2]! | 0;
    }
    Atomics.store(cq, this.cqHead, (head + n) >>> 0);
    return n;
  }

  /**
   * Closing the ring's descriptor cancels whatever is still in flight; only then is its memory
   * unmapped, so no request left running can write into memory given back.
   */
  close(): void {
    if (this.fd >= 0) this.sys.close(this.fd);
    for (const m of this.maps.splice(0)) this.sys.unmap(m.address, m.length);
  }
}

/** Throws with what is wrong when the ring cannot do what the engine asks of it. */
function checkRing(sys: RingSyscalls, raw: RawSyscalls): void {
  const ring = new Ring(sys, 8);
  const open: number[] = [];
  try {
    // A count of 1: readable, for the poll.
    const efd = raw.eventfd(1, 0o2000000 /* EFD_CLOEXEC */);
    if (efd < 0) throw new Error(`eventfd failed: ${errnoName(raw.errno())}`);
    open.push(efd);
    const ENOTSOCK = -os.constants.errno.ENOTSOCK;
    const ENOENT = -os.constants.errno.ENOENT;
    const expected: [number, number, number][] = [
      [OP_NOP, -1, 0],
      [OP_RECV, efd, ENOTSOCK],
      [OP_SEND, efd, ENOTSOCK],
      [OP_SHUTDOWN, efd, ENOTSOCK],
      [OP_ASYNC_CANCEL, -1, ENOENT],
      [OP_POLL_ADD, efd, POLLIN],
    ];
    const scratch = ring.memory(4096);
    ring.prepare(OP_NOP, -1, 0, 0, 0, 0xa1b2c3d4, 0x0e0f1011);
    for (let i = 1; i < expected.length; i++) {
      const [op, fd] = expected[i]!;
      // ASYNC_CANCEL's address is the user_data to match; SHUTDOWN's length is `how` (SHUT_WR).
      if (op === OP_POLL_ADD) ring.prepare(op, fd, 0, 0, POLLIN, i, 0x5eed);
      else ring.prepare(op, fd, op === OP_ASYNC_CANCEL ? 0x7777 : op === OP_SHUTDOWN ? 0 : scratch.address, op === OP_SHUTDOWN ? 1 : 16, 0, i, 0x5eed);
    }
    const seen = new Map<number, { gen: number; res: number }>();
    for (let tries = 0; tries < 10 && seen.size < expected.length; tries++) {
      const n = ring.submitAndWait(100);
      for (let i = 0; i < n; i++) seen.set(ring.tags[i]!, { gen: ring.gens[i]!, res: ring.results[i]! });
    }
    const nop = seen.get(0xa1b2c3d4);
    if (!nop || nop.gen !== 0x0e0f1011 || nop.res !== 0) throw new Error(`a NOP's completion did not carry its user_data back (${JSON.stringify(nop ?? null)})`);
    for (let i = 1; i < expected.length; i++) {
      const [op, , want] = expected[i]!;
      const got = seen.get(i);
      if (!got || got.gen !== 0x5eed || got.res !== want) throw new Error(`opcode ${op} answered ${got ? got.res : 'nothing'}, expected ${want} (is the kernel older than 5.19?)`);
    }
    // CLOSE closes the eventfd. Not checked with a second close(2): descriptors are the
    // process's, and another thread (an engine thread checking its own ring) may already have
    // been given the same number.
    open.pop();
    ring.prepare(OP_CLOSE, efd, 0, 0, 0, 99, 0);
    const n = ring.submitAndWait(100);
    if (n !== 1 || ring.results[0] !== 0) throw new Error(`CLOSE answered ${n > 0 ? ring.results[0] : 'nothing'}`);
  } finally {
    for (const fd of open) raw.close(fd);
    ring.close();
  }
}
