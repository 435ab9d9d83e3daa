// The io_uring the engine drives (src/sockets/uring.ts), on the running kernel: requests go in
// and come back with their user_data, a batch larger than the queue is split rather than lost,
// a wait with nothing to wait for ends at its timeout, and a replacement FFI without the ring's
// calls is told apart from a kernel that refuses them. No TCP socket: the engine's own use is
// held to the kernel's counts in test/engine/both-engines.test.ts.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { loadRing, OP_ASYNC_CANCEL, OP_CLOSE, OP_NOP, OP_RECV, resetRing, Ring } from '../../src/sockets/uring.js';
import { setNativeLoader, tryLoadNative, type NativeSockets } from '../../src/sockets/native.js';
import { chooseIo, ioOfThreads, IO_URING_ENV } from '../../src/engine/io-choice.js';

function ringCalls() {
  const r = loadRing();
  assert.ok(r.ok, `io_uring should be usable on this machine: ${r.ok ? '' : r.reason}`);
  return r;
}

/** Every ready completion, read and consumed, as [tag, gen, result]. */
function reap(ring: Ring, timeoutMs: number): [number, number, number][] {
  const n = ring.submitAndWait(timeoutMs);
  return Array.from({ length: n }, (_, i) => [ring.tags[i]!, ring.gens[i]!, ring.results[i]!]);
}

describe('io_uring ring', () => {
  afterEach(() => {
    setNativeLoader(undefined);
    resetRing();
  });

  it('passes its self-check here, and gives every request back once with its user_data', () => {
    const { ring: sys } = ringCalls();
    const ring = new Ring(sys, 8, 32);
    try {
      assert.equal(ring.entries, 8);
      // Three queues' worth in one turn: the ring hands a full queue to the kernel and goes on,
      // and the completions wrap around the completion queue over the reaps.
      const total = 3 * ring.entries;
      for (let i = 0; i < total; i++) ring.prepare(OP_NOP, -1, 0, 0, 0, 1000 + i, 0xfffff - i);
      const seen = new Map<number, [number, number]>();
      for (let turn = 0; turn < 20 && seen.size < total; turn++) {
        for (const [tag, gen, res] of reap(ring, 50)) {
          assert.ok(!seen.has(tag), `tag ${tag} came back twice`);
          seen.set(tag, [gen, res]);
        }
      }
      assert.equal(seen.size, total);
      for (let i = 0; i < total; i++) assert.deepEqual(seen.get(1000 + i), [0xfffff - i, 0]);
      assert.equal(ring.queued, 0);
    } finally {
      ring.close();
    }
  });

  it('answers errors as -errno: a recv on a descriptor that is not a socket, a cancel of nothing', () => {
    const { ring: sys, raw } = ringCalls();
    const ring = new Ring(sys, 8);
    const memory = ring.memory(4096);
    const efd = raw.eventfd(0, 0);
    try {
      ring.prepare(OP_RECV, efd, memory.address, 64, 0, 1, 7);
      ring.prepare(OP_ASYNC_CANCEL, -1, 12345 + 2 ** 32, 0, 0, 2, 7);
      const got = reap(ring, 100).sort((a, b) => a[0] - b[0]);
      assert.deepEqual(got, [
        [1, 7, -os.constants.errno.ENOTSOCK],
        [2, 7, -os.constants.errno.ENOENT],
      ]);
      // CLOSE through the ring: the descriptor is gone afterwards (F_GETFD fails; nothing
      // in this test opens a descriptor in between that could take its number).
      ring.prepare(OP_CLOSE, efd, 0, 0, 0, 3, 0);
      assert.deepEqual(reap(ring, 100), [[3, 0, 0]]);
      const native = tryLoadNative();
      assert.ok(native.ok);
      assert.equal(native.native.fcntl(efd, 1 /* F_GETFD */).errno, os.constants.errno.EBADF);
      // The engine's fire-and-forget forms: a close that works completes nothing; a cancel that
      // finds nothing completes with its own tag; a close that fails (the descriptor is gone) too.
      const other = raw.eventfd(0, 0);
      ring.closeFd(other, 5);
      assert.deepEqual(reap(ring, 30), []);
      ring.cancel(12345, 1, 4);
      ring.closeFd(other, 6);
      assert.deepEqual(reap(ring, 100).sort((a, b) => a[0] - b[0]), [
        [4, 0, -os.constants.errno.ENOENT],
        [6, 0, -os.constants.errno.EBADF],
      ]);
    } finally {
      ring.close();
    }
  });

  it('a wait with nothing in flight ends at its timeout with no completion', () => {
    const { ring: sys } = ringCalls();
    const ring = new Ring(sys, 8);
    try {
      const t0 = performance.now();
      assert.equal(ring.submitAndWait(30), 0);
      assert.ok(performance.now() - t0 >= 25, 'returned before its timeout');
    } finally {
      ring.close();
    }
  });

  it('a replacement FFI without the ring calls: not usable, and says why', () => {
    const real = tryLoadNative();
    assert.ok(real.ok);
    const { ring: _ring, ...withoutRing } = real.native;
    setNativeLoader(() => withoutRing as NativeSockets);
    resetRing();
    const r = loadRing();
    assert.deepEqual(r, { ok: false, reason: 'the loaded FFI has no io_uring calls' });
  });
});

describe('which I/O the client engine uses', () => {
  afterEach(() => {
    delete process.env[IO_URING_ENV];
  });

  it('io_uring where it works; epoll when told, or for SO_LINGER n closes, with the reason', () => {
    assert.deepEqual(chooseIo('fin'), { io: 'io_uring' });
    assert.deepEqual(chooseIo('rst'), { io: 'io_uring' });
    const linger = chooseIo('linger');
    assert.equal(linger.io, 'epoll');
    assert.match(linger.io === 'epoll' ? linger.reason : '', /SO_LINGER/);
    process.env[IO_URING_ENV] = 'off';
    assert.deepEqual(chooseIo('fin'), { io: 'epoll', reason: 'TWSTORM_IO_URING=off' });
  });

  it('a run (client or server threads) says io_uring only when every thread ran on it, else which thread fell back and why', () => {
    const thread = (t: number, io: 'io_uring' | 'epoll', ioFallback?: string) => ({ thread: t, io, ...(ioFallback ? { ioFallback } : {}) });
    assert.deepEqual(ioOfThreads({ io: 'io_uring' }, [thread(0, 'io_uring'), thread(1, 'io_uring')]), { io: 'io_uring' });
    assert.deepEqual(ioOfThreads({ io: 'io_uring' }, [thread(0, 'io_uring'), thread(1, 'epoll', 'mmap of the ring (576 bytes) failed: ENOMEM')]), {
      io: 'epoll',
      ioFallback: '1 of 2 threads ran on epoll: thread 1: mmap of the ring (576 bytes) failed: ENOMEM',
    });
    assert.deepEqual(ioOfThreads({ io: 'epoll', reason: 'TWSTORM_IO_URING=off' }, [thread(0, 'epoll')]), { io: 'epoll', ioFallback: 'TWSTORM_IO_URING=off' });
  });
});
