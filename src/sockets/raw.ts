// The raw syscalls the engine (src/engine/) drives, with the one struct whose layout differs
// between architectures proven against the kernel before use: struct epoll_event is
// { u32 events; u64 data } packed to 12 bytes on x86-64 (__EPOLL_PACKED in the uapi header) and
// 16 bytes, data at offset 8, everywhere else. The check registers two ready descriptors with
// distinct data values and reads epoll_wait's answer back both ways; it also proves the epoll
// flag values and SO_ERROR on the running kernel. errno numbers come from Node's own table.
import os from 'node:os';
import {
  AF_INET,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLLET,
  EPOLLIN,
  EPOLLOUT,
  SO_ERROR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from './constants.js';
import { errnoName } from './errors.js';
import { tryLoadNative, type RawSyscalls } from './native.js';

export interface EpollLayout {
  /** sizeof(struct epoll_event): 12 (x86-64, packed) or 16. */
  eventSize: number;
  /** Offset of `data` in it: 4 or 8. */
  dataOffset: number;
}

export type RawLoad = { ok: true; raw: RawSyscalls; layout: EpollLayout; description: string } | { ok: false; reason: string };

/** errno values, from Node's own table (libuv's build of the platform headers), not hand-written. */
export const ERRNO = {
  EAGAIN: os.constants.errno.EAGAIN,
  EINPROGRESS: os.constants.errno.EINPROGRESS,
  EINTR: os.constants.errno.EINTR,
  ECONNRESET: os.constants.errno.ECONNRESET,
  EPIPE: os.constants.errno.EPIPE,
  ECANCELED: os.constants.errno.ECANCELED,
} as const;

const LE = os.endianness() === 'LE';
export const readU32 = (buf: Buffer, offset: number): number => (LE ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset));
export const writeU32 = (buf: Buffer, value: number, offset: number): void => {
  if (LE) buf.writeUInt32LE(value >>> 0, offset);
  else buf.writeUInt32BE(value >>> 0, offset);
};

/** A struct epoll_event for epoll_ctl: the event bits and a 32-bit tag in the low half of data. */
export function encodeEpollEvent(layout: EpollLayout, events: number, tag: number, into = Buffer.alloc(layout.eventSize)): Buffer {
  // Every word written (no fill(): this runs once per connection): the events, any padding
  // before data (the 16-byte layout), and data's two halves.
  writeU32(into, events, 0);
  if (layout.dataOffset === 8) writeU32(into, 0, 4);
  // data is a u64 in host order: on little-endian the low 32 bits come first.
  writeU32(into, LE ? tag : 0, layout.dataOffset);
  writeU32(into, LE ? 0 : tag, layout.dataOffset + 4);
  return into;
}
export function epollTag(layout: EpollLayout, events: Buffer, index: number): number {
  return readU32(events, index * layout.eventSize + layout.dataOffset + (LE ? 0 : 4));
}
export function epollEvents(layout: EpollLayout, events: Buffer, index: number): number {
  return readU32(events, index * layout.eventSize);
}

let cached: RawLoad | undefined;

/** Loads the FFI in this thread (each worker loads its own) and checks the engine's syscalls once. Never throws. */
export function loadRawSockets(): RawLoad {
  if (cached) return cached;
  const loaded = tryLoadNative();
  if (!loaded.ok) return (cached = { ok: false, reason: loaded.reason });
  const raw = loaded.native.raw;
  if (!raw) return (cached = { ok: false, reason: 'the loaded FFI has no raw syscalls (a replacement without them)' });
  try {
    const layout = checkEpoll(raw);
    cached = { ok: true, raw, layout, description: loaded.native.description };
  } catch (err) {
    cached = { ok: false, reason: `the engine's self-check failed: ${(err as Error).message}` };
  }
  return cached;
}

/** For tests that swap the FFI. */
export function resetRawSockets(): void {
  cached = undefined;
}

function checkEpoll(raw: RawSyscalls): EpollLayout {
  // No TCP connection here: the check must not move the kernel counters a run measures
  // (ActiveOpens, OutRsts). Two eventfds are the ready descriptors: one with a count of 1
  // (readable and writable), one with 0 (writable only).
  const open: number[] = [];
  const fail = (what: string): never => {
    throw new Error(`${what} failed with ${errnoName(raw.errno())}`);
  };
  try {
    const sock = raw.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sock < 0) fail('socket');
    open.push(sock);
    const err = Buffer.alloc(4, 0xff);
    const errLen = Buffer.alloc(4);
    writeU32(errLen, 4, 0);
    if (raw.getsockopt(sock, SOL_SOCKET, SO_ERROR, err, errLen) < 0) fail('getsockopt(SO_ERROR)');
    if (readU32(err, 0) !== 0 || readU32(errLen, 0) !== 4) throw new Error(`SO_ERROR of a new socket read ${readU32(err, 0)} (${readU32(errLen, 0)} bytes)`);
    const epfd = raw.epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) fail('epoll_create1');
    open.push(epfd);
    const TAG_R = 0xa1;
    const TAG_W = 0xb2;
    // Registered with the 16-byte size; data is written at both candidate offsets (4: packed,
    // 8: aligned), so whichever layout the kernel uses, it reads the tag.
    const probe = Buffer.alloc(16);
    for (const [initial, tag] of [
      [1, TAG_R],
      [0, TAG_W],
    ] as const) {
      const fd = raw.eventfd(initial, EPOLL_CLOEXEC);
      if (fd < 0) fail('eventfd');
      open.push(fd);
      probe.fill(0);
      writeU32(probe, (EPOLLIN | EPOLLOUT | EPOLLET) >>> 0, 0);
      writeU32(probe, tag, LE ? 4 : 8);
      writeU32(probe, tag, LE ? 8 : 12);
      if (raw.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, probe) < 0) fail('epoll_ctl(ADD)');
    }
    const events = Buffer.alloc(64);
    const n = raw.epoll_wait(epfd, events, 2, 0);
    if (n < 0) fail('epoll_wait');
    if (n !== 2) throw new Error(`epoll_wait reported ${n} ready descriptors, expected 2`);
    for (const layout of [
      { eventSize: 12, dataOffset: 4 },
      { eventSize: 16, dataOffset: 8 },
    ]) {
      const tags = [epollTag(layout, events, 0), epollTag(layout, events, 1)].sort();
      if (tags[0] !== TAG_R || tags[1] !== TAG_W) continue;
      for (const i of [0, 1]) {
        const bits = epollEvents(layout, events, i);
        const readable = epollTag(layout, events, i) === TAG_R;
        if ((bits & EPOLLOUT) === 0 || ((bits & EPOLLIN) !== 0) !== readable) {
          throw new Error(`epoll event bits ${bits.toString(16)} for an eventfd ${readable ? 'with' : 'without'} a count`);
        }
      }
      return layout;
    }
    throw new Error('struct epoll_event matches neither the packed 12-byte nor the 16-byte layout');
  } finally {
    for (const fd of open) raw.close(fd);
  }
}
