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
  /**
   * The engine's hot path (src/engine/): the same libc calls without a result object per call.
   * Each returns the libc return value; after a -1, errno() reads the thread's errno (call it
   * before any other native call). Absent from a replacement FFI that does not provide it:
   * then the engine falls back to Node's `net`.
   */
  readonly raw?: RawSyscalls;
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
  load(path: string): { func(signature: string): KoffiFn };
  errno(): number;
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
    raw,
  };
}
