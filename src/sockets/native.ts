// The only file that touches the FFI. Everything else in src/sockets/ talks to the small
// NativeSockets interface below, so an N-API addon (or a fake, in tests) can replace koffi by
// calling setNativeLoader(). koffi is loaded lazily, on first use: a CLI that never needs a
// native socket never loads it, and a machine where it cannot load still runs every scenario
// that does not need it.
import { createRequire } from 'node:module';
import os from 'node:os';
import { F_DUPFD_CLOEXEC } from './constants.js';
import { ExpectedError } from '../util/expected-error.js';

/** A libc call's return value and, when it is -1, the errno it left. */
export interface NativeResult {
  ret: number;
  errno: number;
}

/**
 * The libc calls the layer needs. Pointer arguments are Buffers the callee reads or fills in
 * place; lengths travel separately, as in C. No call here blocks except close() of a socket
 * with SO_LINGER {1, n>0} and unsent data, which is why that one has a contained variant
 * (linger-close.ts).
 */
export interface NativeSockets {
  /** "koffi 3.3.4 → libc.so.6", for reports. */
  readonly description: string;
  socket(domain: number, type: number, protocol: number): NativeResult;
  setsockopt(fd: number, level: number, name: number, value: Buffer): NativeResult;
  /** Fills `value`; `length` is what the kernel wrote (it may be less than value.length). */
  getsockopt(fd: number, level: number, name: number, value: Buffer): NativeResult & { length: number };
  bind(fd: number, address: Buffer): NativeResult;
  listen(fd: number, backlog: number): NativeResult;
  getsockname(fd: number, address: Buffer): NativeResult & { length: number };
  /** fcntl(fd, F_DUPFD_CLOEXEC, 0): a second descriptor for the same open socket. */
  dup(fd: number): NativeResult;
  fcntl(fd: number, command: number): NativeResult;
  /** ioctl(fd, request, arg): `arg` is the struct the request reads and rewrites. Optional: a replacement FFI without it leaves the callers their fallback (link.ts). */
  ioctl?(fd: number, request: number, arg: Buffer): NativeResult;
  close(fd: number): NativeResult;
  /** unshare(2). Optional: a replacement FFI without it leaves netns.ts's caller its `unshare` process. */
  unshare?(flags: number): NativeResult;
  /** dup2(2). Optional: a replacement FFI without it leaves a hung-up terminal's descriptors as they are (stdio.ts). */
  dup2?(from: number, to: number): NativeResult;
  /**
   * clock_gettime(CLOCK_THREAD_CPUTIME_ID, into): `into` a 16-byte struct timespec (two 64-bit
   * longs); returns 0 or -1. Absent where `long` is not 64-bit, or from a replacement FFI:
   * thread-cpu.ts then gives no CPU time and its callers fall back on the wall clock.
   */
  threadCpuTime?(into: Buffer): number;
  /**
   * The engine's hot path (src/engine/): the same libc calls without a result object per call.
   * Each returns the libc return value; after a -1, errno() reads the thread's errno (call it
   * before any other native call). Absent from a replacement FFI that does not provide it:
   * then the engine falls back to Node's `net`.
   */
  readonly raw?: RawSyscalls;
  /** io_uring's three calls and the memory they share (uring.ts). Absent: the epoll engine runs. */
  readonly ring?: RingSyscalls;
}

/**
 * io_uring (Linux 5.1+; what the engine needs is 5.19+, uring.ts checks it): setup, enter, and the
 * mappings of the ring memory the kernel and this process share. Pointers are plain numbers
 * (user-space addresses fit in 2^53 on every 64-bit Linux).
 */
export interface RingSyscalls {
  /** io_uring_setup(2): `params` is a struct io_uring_params (120 bytes) the kernel fills in. */
  setup(entries: number, params: Buffer): number;
  /** io_uring_enter(2); `arg` the address of a struct io_uring_getevents_arg (IORING_ENTER_EXT_ARG), else 0. */
  enter(fd: number, toSubmit: number, minComplete: number, flags: number, arg: number, argSize: number): number;
  /** mmap(2), read-write, of one of the ring's areas (fd, offset) or of anonymous memory (fd -1). null: failed (errno()). */
  map(length: number, fd: number, offset: number): { memory: ArrayBuffer; address: number } | null;
  unmap(address: number, length: number): number;
  /** close(2), for the ring's own descriptor. */
  close(fd: number): number;
  errno(): number;
}

/** Plain libc calls, int in, int out; Buffers are passed as pointers to their memory. */
export interface RawSyscalls {
  socket(domain: number, type: number, protocol: number): number;
  /** `address` is a sockaddr of `length` bytes. */
  connect(fd: number, address: Buffer, length: number): number;
  bind(fd: number, address: Buffer, length: number): number;
  listen(fd: number, backlog: number): number;
  /** The peer address is not asked for (NULL, NULL). */
  accept4(fd: number, flags: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  /** `length` is a socklen_t Buffer the kernel rewrites. */
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: Buffer): number;
  getsockname(fd: number, address: Buffer, length: Buffer): number;
  send(fd: number, data: Buffer, length: number, flags: number): number;
  recv(fd: number, into: Buffer, length: number, flags: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  epoll_create1(flags: number): number;
  /** eventfd(2): used by the engine's self-check as a descriptor whose readiness it controls. */
  eventfd(initial: number, flags: number): number;
  epoll_ctl(epfd: number, op: number, fd: number, event: Buffer | null): number;
  /** Blocks up to `timeoutMs`: only ever called from a worker thread. */
  epoll_wait(epfd: number, events: Buffer, maxEvents: number, timeoutMs: number): number;
  errno(): number;
}

export type NativeLoader = () => NativeSockets;

/** Set to "off" to run as if the native part were missing (tests, or to rule the layer out). */
export const NATIVE_ENV = 'TWSTORM_NATIVE_SOCKETS';

let loader: NativeLoader = loadKoffi;
let cached: { ok: true; native: NativeSockets } | { ok: false; reason: string } | undefined;

/**
 * Replace the FFI (an N-API addon, or a fake in tests); `undefined` restores koffi. Also forgets
 * any earlier load, so the next use loads afresh. Modules that cache derived state (the
 * self-check in features.ts) are reset through resetSocketLayer() in index.ts.
 */
export function setNativeLoader(next: NativeLoader | undefined): void {
  loader = next ?? loadKoffi;
  cached = undefined;
}

/** Loads once; later calls return the same outcome. Never throws. */
export function tryLoadNative(): { ok: true; native: NativeSockets } | { ok: false; reason: string } {
  if (cached) return cached;
  if (process.env[NATIVE_ENV] === 'off') {
    cached = { ok: false, reason: `the native socket layer is disabled (${NATIVE_ENV}=off)` };
    return cached;
  }
  if (process.platform !== 'linux') {
    cached = { ok: false, reason: `it needs Linux; this is ${process.platform}` };
    return cached;
  }
  try {
    cached = { ok: true, native: loader() };
  } catch (err) {
    cached = { ok: false, reason: `the native socket layer could not load (${(err as Error).message})` };
  }
  return cached;
}

// ----------------------------------------------------------------------------------- koffi

interface KoffiModule {
  version?: string;
  sizeof(type: string): number;
  load(path: string): { func(signature: string): KoffiFn; func(name: string, result: string, parameters: string[]): KoffiFn };
  errno(): number;
  address(pointer: unknown): bigint;
  view(pointer: unknown, length: number): ArrayBuffer;
}
interface KoffiFn {
  (...args: unknown[]): number;
}

const LE = os.endianness() === 'LE';

function loadKoffi(): NativeSockets {
  let koffi: KoffiModule;
  try {
    // createRequire keeps the load synchronous and lazy: the feature check is a plain function.
    koffi = createRequire(import.meta.url)('koffi') as KoffiModule;
  } catch (err) {
    throw new ExpectedError(`koffi: ${(err as Error).message.split('\n')[0]}; reinstall with npm ci`);
  }
  let libc: ReturnType<KoffiModule['load']>;
  try {
    libc = koffi.load('libc.so.6');
  } catch (err) {
    throw new ExpectedError(`koffi could not open libc.so.6 (glibc): ${(err as Error).message}; twstorm's native layer needs Linux with glibc (TWSTORM_NATIVE_SOCKETS=off runs the net fallback)`);
  }
  // Pointers are declared void *: koffi then passes a Buffer's memory as is, so the kernel
  // writes straight into it, and structs.ts owns every byte layout.
  const fn = {
    socket: libc.func('int socket(int domain, int type, int protocol)'),
    setsockopt: libc.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)'),
    getsockopt: libc.func('int getsockopt(int fd, int level, int name, void *value, void *length)'),
    bind: libc.func('int bind(int fd, const void *address, uint32_t length)'),
    listen: libc.func('int listen(int fd, int backlog)'),
    getsockname: libc.func('int getsockname(int fd, void *address, void *length)'),
    // fcntl is variadic in C: declared so, and called with the extra argument's type.
    fcntl: libc.func('int fcntl(int fd, int command, ...)'),
    // ioctl is variadic too; every request used here takes a pointer.
    ioctl: libc.func('int ioctl(int fd, unsigned long request, ...)'),
    close: libc.func('int close(int fd)'),
    unshare: libc.func('int unshare(int flags)'),
    dup2: libc.func('int dup2(int from, int to)'),
    clock_gettime: libc.func('int clock_gettime(int clock, void *into)'),
    connect: libc.func('int connect(int fd, const void *address, uint32_t length)'),
    accept4: libc.func('int accept4(int fd, void *address, void *length, int flags)'),
    send: libc.func('intptr_t send(int fd, const void *data, uintptr_t length, int flags)'),
    recv: libc.func('intptr_t recv(int fd, void *into, uintptr_t length, int flags)'),
    shutdown: libc.func('int shutdown(int fd, int how)'),
    epoll_create1: libc.func('int epoll_create1(int flags)'),
    eventfd: libc.func('int eventfd(unsigned int initial, int flags)'),
    epoll_ctl: libc.func('int epoll_ctl(int epfd, int op, int fd, void *event)'),
    epoll_wait: libc.func('int epoll_wait(int epfd, void *events, int max, int timeout)'),
  };
  const errno = (): number => koffi.errno();
  // io_uring's calls have no libc wrapper: syscall(2) with fixed prototypes. glibc's syscall()
  // is an assembly stub that reads its arguments from the registers a non-variadic call uses
  // too, and the numbers are the same on every architecture (425-427, added after the tables
  // were unified).
  const sys = {
    setup: libc.func('syscall', 'long', ['long', 'uint32_t', 'void *']),
    enter: libc.func('syscall', 'long', ['long', 'int', 'uint32_t', 'uint32_t', 'uint32_t', 'uint64_t', 'uint64_t']),
    mmap: libc.func('void *mmap(void *address, uintptr_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: libc.func('int munmap(uint64_t address, uintptr_t length)'),
  };
  const PROT_RW = 0x1 | 0x2;
  const MAP_SHARED_POPULATE = 0x01 | 0x8000;
  const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
  const ring: RingSyscalls = {
    setup: (entries, params) => sys.setup(425, entries, params),
    enter: (fd, toSubmit, minComplete, flags, arg, argSize) => sys.enter(426, fd, toSubmit, minComplete, flags, arg, argSize),
    map: (length, fd, offset) => {
      const pointer = sys.mmap(null, length, PROT_RW, fd < 0 ? MAP_PRIVATE_ANONYMOUS : MAP_SHARED_POPULATE, fd, offset) as unknown;
      const address = pointer === null ? -1n : koffi.address(pointer);
      if (address === -1n || address === 0xffffffffffffffffn) return null; // MAP_FAILED
      return { memory: koffi.view(pointer, length), address: Number(address) };
    },
    unmap: (address, length) => sys.munmap(address, length),
    close: fn.close,
    errno,
  };
  const raw: RawSyscalls = {
    socket: fn.socket,
    connect: fn.connect,
    bind: fn.bind,
    listen: fn.listen,
    accept4: (fd, flags) => fn.accept4(fd, null, null, flags),
    setsockopt: fn.setsockopt,
    getsockopt: fn.getsockopt,
    getsockname: fn.getsockname,
    send: fn.send,
    recv: fn.recv,
    shutdown: fn.shutdown,
    close: fn.close,
    epoll_create1: fn.epoll_create1,
    eventfd: fn.eventfd,
    epoll_ctl: fn.epoll_ctl,
    epoll_wait: fn.epoll_wait,
    errno,
  };
  // errno is read right after the call, on the same thread, before any other JS can run.
  const done = (ret: number): NativeResult => ({ ret, errno: ret < 0 ? koffi.errno() : 0 });
  const withLength = (buf: Buffer, call: (len: Buffer) => number): NativeResult & { length: number } => {
    // socklen_t: a u32 in host order, read back because the kernel writes the real length.
    const len = Buffer.alloc(4);
    if (LE) len.writeUInt32LE(buf.length, 0);
    else len.writeUInt32BE(buf.length, 0);
    const r = done(call(len));
    return { ...r, length: LE ? len.readUInt32LE(0) : len.readUInt32BE(0) };
  };
  return {
    description: `koffi ${koffi.version ?? '?'} → libc.so.6`,
    socket: (d, t, p) => done(fn.socket(d, t, p)),
    setsockopt: (fd, level, name, value) => done(fn.setsockopt(fd, level, name, value, value.length)),
    getsockopt: (fd, level, name, value) => withLength(value, (len) => fn.getsockopt(fd, level, name, value, len)),
    bind: (fd, address) => done(fn.bind(fd, address, address.length)),
    listen: (fd, backlog) => done(fn.listen(fd, backlog)),
    getsockname: (fd, address) => withLength(address, (len) => fn.getsockname(fd, address, len)),
    dup: (fd) => done(fn.fcntl(fd, F_DUPFD_CLOEXEC, 'int', 0)),
    fcntl: (fd, command) => done(fn.fcntl(fd, command, 'int', 0)),
    ioctl: (fd, request, arg) => done(fn.ioctl(fd, request, 'void *', arg)),
    close: (fd) => done(fn.close(fd)),
    unshare: (flags) => done(fn.unshare(flags)),
    dup2: (from, to) => done(fn.dup2(from, to)),
    // struct timespec is two longs: 16 bytes on 64-bit Linux, 8 on 32-bit, which thread-cpu.ts
    // does not decode. 3 is CLOCK_THREAD_CPUTIME_ID (<linux/time.h>).
    ...(koffi.sizeof('long') === 8 ? { threadCpuTime: (into: Buffer) => fn.clock_gettime(3, into) } : {}),
    raw,
    ring,
  };
}
