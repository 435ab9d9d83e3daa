// Which engine server thread watches which listening socket, read from the kernel's own record
// of each epoll set (/proc/self/fdinfo of the threads' epoll descriptors): a listener shared by
// every thread is in every set; an SO_REUSEPORT group with a listener per thread is split, each
// listener in exactly one set. Its own process: no other test's epoll sets are in /proc/self.
// Those run on epoll: on io_uring a thread polls each listener through its ring, which fdinfo
// does not list; there the tests hold what the kernel shows instead (one wake-up per connection,
// no listener left after stopListening).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { createEngineEchoServer } from '../../src/engine/server-engine.js';
import { forEachTcpSocketInode } from '../../src/observe/socket-owners.js';
import { stateCode } from '../../src/observe/tcp-table.js';
import { echoConfig } from '../helpers/echo-config.js';
import { readPortRange } from '../../src/observe/port-range.js';
import { IO_URING_ENV } from '../../src/engine/io-choice.js';

const BASE = echoConfig({ port: 0 });

/** The descriptors registered in each epoll set of this process (fdinfo's "tfd:" lines). */
function epollSets(): number[][] {
  const sets: number[][] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory's own descriptor, gone by now
    }
    if (target !== 'anon_inode:[eventpoll]') continue;
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    sets.push([...info.matchAll(/^tfd:\s+(\d+)/gm)].map((m) => Number(m[1])));
  }
  return sets;
}

const LISTEN = stateCode('LISTEN');

/** How many epoll sets hold each of `fds`. */
function watchersOf(sets: number[][], fds: number[]): number[] {
  return fds.map((fd) => sets.filter((s) => s.includes(fd)).length);
}

/** The inodes of the sockets /proc/net/tcp lists in LISTEN on `port`, held by a descriptor or not (read with socket-owners.ts, as `states --by process` does). */
function listenInodes(port: number): Set<number> {
  const inodes = new Set<number>();
  forEachTcpSocketInode(readFileSync('/proc/self/net/tcp', 'utf8'), (state, localPort, inode) => {
    if (state === LISTEN && localPort === port) inodes.add(inode);
  });
  return inodes;
}

/** The listening descriptors: every socket fd of this process whose inode is one of listenInodes(port). */
function listenerFds(port: number): number[] {
  const inodes = listenInodes(port);
  const fds: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m && inodes.has(Number(m[1]))) fds.push(Number(fd));
    } catch {
      // gone
    }
  }
  return fds.sort((a, b) => a - b);
}

/** Whether a listener can bind 127.0.0.1:`port` right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * A port p with p and p + 1 both free on 127.0.0.1 (two consecutive ports for `ports: 2`),
 * below the host's ephemeral range: this file runs on the host's loopback, where the suite's
 * other host tests leave client TIME_WAITs on ephemeral ports that a listener cannot bind for
 * 60 s (a 600-port range here ran out of consecutive free pairs).
 */
async function freePortPair(): Promise<number> {
  const range = readPortRange();
  const [low, high] = [range?.low ?? 32768, range?.high ?? 60999];
  // Below the range when it leaves room there, else above it, else anywhere.
  const [from, to] = low > 12_000 ? [10_000, low - 2] : high < 63_000 ? [high + 1, 65_000] : [10_000, 65_000];
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = from + Math.floor(Math.random() * (to - from));
    if ((await canListen(first)) && (await canListen(first + 1))) return first;
  }
  throw new Error('no two consecutive free ports on 127.0.0.1');
}

/** A connection that gets its echo: the server is serving. */
async function echo(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(Buffer.alloc(64, 'q')));
    s.on('data', (d) => {
      got += d.length;
      if (got >= 64) s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

/** Runs the describe's servers with TWSTORM_IO_URING set to `value` (chooseIo reads it as each server starts). */
function ioEnv(value: string | undefined): void {
  let saved: string | undefined;
  before(() => {
    saved = process.env[IO_URING_ENV];
    if (value === undefined) delete process.env[IO_URING_ENV];
    else process.env[IO_URING_ENV] = value;
  });
  after(() => {
    if (saved === undefined) delete process.env[IO_URING_ENV];
    else process.env[IO_URING_ENV] = saved;
  });
}

/** Whether the kernel lists a socket in LISTEN on `port` in this namespace (held by a descriptor or not). */
const listening = (port: number): boolean => listenInodes(port).size > 0;

/** The error code of a connection attempt to `port` ('' when it connects). */
function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve('');
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

// These run on the host's loopback, whose ephemeral range the suite's other host tests share:
// the server closes first, so the TIME_WAITs hold its port, not a client port each.
const SERVER_FIRST = echoConfig({ port: 0, close: { first: 'server', mode: 'fin', delayMs: 0, lingerSeconds: 0 } });

for (const io of ['io_uring', 'epoll'] as const) {
  describe(`engine server on ${io}: a listener shared by two threads`, () => {
    ioEnv(io === 'epoll' ? 'off' : undefined);

    it('wakes one thread per connection: no accept finds the connection already taken (emptyAccepts)', async () => {
      const server = createEngineEchoServer(SERVER_FIRST, 2);
      try {
        const [port] = await server.listen();
        // One at a time, so each connection is one wake-up. Both threads sharing one listener's
        // wake-ups (a poll of an epoll set through the ring lost EPOLLEXCLUSIVE) made one empty
        // accept per connection: 189 of 200.
        for (let i = 0; i < 100; i++) assert.equal(await echo(port!), 64);
        const stats = server.stats();
        assert.equal(stats.io, io);
        assert.equal(stats.accepted, 100);
        assert.ok(stats.emptyAccepts! <= 10, `${stats.emptyAccepts} of 100 wake-ups found nothing to accept`);
      } finally {
        await server.close();
      }
    });

    it('stopListening leaves no listening socket behind, and the server listens again', async () => {
      const server = createEngineEchoServer({ ...SERVER_FIRST, reusePort: true, listeners: 2 }, 2);
      try {
        for (let round = 0; round < 2; round++) {
          const [port] = await server.listen();
          for (let i = 0; i < 4; i++) assert.equal(await echo(port!), 64);
          await server.stopListening();
          // On io_uring a thread's poll holds its listener open: gone only once every poll is cancelled.
          assert.equal(listening(port!), false, `port ${port} still in LISTEN, round ${round}`);
          assert.equal(await connectError(port!), 'ECONNREFUSED', `port ${port}, round ${round}`);
        }
        assert.equal(server.stats().io, io);
        // And close(): the threads' polls are gone before the listeners are closed.
        const [port] = await server.listen();
        assert.equal(await echo(port!), 64);
        await server.close();
        assert.equal(listening(port!), false, `port ${port} still in LISTEN after close()`);
      } finally {
        await server.close();
      }
    });
  });
}

describe('engine server: which thread watches which listener (epoll sets)', () => {
  ioEnv('off');

  it('one listener: every thread watches it (EPOLLEXCLUSIVE wakes one per connection)', async () => {
    const server = createEngineEchoServer(BASE, 2);
    try {
      const [port] = await server.listen();
      assert.equal(await echo(port!), 64);
      assert.equal(server.stats().io, 'epoll');
      const fds = listenerFds(port!);
      assert.equal(fds.length, 1);
      assert.deepEqual(watchersOf(epollSets(), fds), [2]);
    } finally {
      await server.close();
    }
  });

  it('an SO_REUSEPORT group of 4 listeners on 2 threads: each listener in exactly one thread, two each', async () => {
    const server = createEngineEchoServer({ ...BASE, reusePort: true, listeners: 4 }, 2);
    try {
      const [port] = await server.listen();
      for (let i = 0; i < 8; i++) assert.equal(await echo(port!), 64);
      const fds = listenerFds(port!);
      assert.equal(fds.length, 4);
      const sets = epollSets();
      assert.deepEqual(watchersOf(sets, fds), [1, 1, 1, 1]);
      const perSet = sets.map((s) => fds.filter((fd) => s.includes(fd)).length).filter((n) => n > 0);
      assert.deepEqual(perSet, [2, 2]);
    } finally {
      await server.close();
    }
  });

  it('a group that does not divide evenly among the threads (2 on 3, 3 on 2): every thread watches every listener', async () => {
    for (const [listeners, threads] of [
      [2, 3],
      [3, 2],
    ] as const) {
      const server = createEngineEchoServer({ ...BASE, reusePort: true, listeners }, threads);
      try {
        const [port] = await server.listen();
        assert.equal(await echo(port!), 64);
        const fds = listenerFds(port!);
        assert.deepEqual(watchersOf(epollSets(), fds), Array(listeners).fill(threads), `${listeners} listeners on ${threads} threads`);
      } finally {
        await server.close();
      }
    }
  });

  it('two ports of a 2-listener group on 2 threads: each thread one listener of each port, again after stop and listen', async () => {
    const twoPorts = createEngineEchoServer({ ...BASE, port: await freePortPair(), ports: 2, reusePort: true, listeners: 2 }, 2);
    try {
      for (let round = 0; round < 2; round++) {
        const ports = await twoPorts.listen();
        assert.equal(ports.length, 2);
        for (const port of ports) assert.equal(await echo(port), 64);
        const sets = epollSets();
        for (const port of ports) {
          const fds = listenerFds(port);
          assert.equal(fds.length, 2);
          assert.deepEqual(watchersOf(sets, fds), [1, 1], `port ${port}, round ${round}`);
          // The two listeners of a port are in different threads' sets.
          assert.equal(new Set(fds.map((fd) => sets.findIndex((s) => s.includes(fd)))).size, 2, `port ${port}, round ${round}`);
        }
        await twoPorts.stopListening();
        assert.deepEqual(ports.flatMap((port) => listenerFds(port)), [], 'stopListening closes every listener');
      }
    } finally {
      await twoPorts.close();
    }
  });
});
