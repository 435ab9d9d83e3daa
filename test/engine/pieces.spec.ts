// The engine's pieces without a run: load splitting, the shared port table, the closer queue,
// and the epoll_event layout the self-check finds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { engineAvailability, clientThreads, prewarmEngine, releaseWarmThreads, warmThreads } from '../../src/engine/client-engine.js';
import { split } from '../../src/util/shares.js';
import { countPorts, newPortTable, PortTableView } from '../../src/metrics/port-table.js';
import { CloserQueue, newCloserQueue } from '../../src/engine/linger-closers.js';
import { loadRawSockets, encodeEpollEvent, epollTag, epollEvents } from '../../src/sockets/raw.js';

describe('split', () => {
  it('shares differ by at most one and add up exactly', () => {
    assert.deepEqual(split(10, 3), [4, 3, 3]);
    assert.deepEqual(split(2, 4), [1, 1, 0, 0]);
    for (const [total, parts] of [[1_000_003, 7], [64, 2], [5, 5]] as const) {
      const s = split(total, parts);
      assert.equal(s.reduce((a, b) => a + b, 0), total);
      assert.ok(Math.max(...s) - Math.min(...s) <= 1);
    }
  });
});

describe('engine threads', () => {
  const needs = { threads: null, rate: null, concurrency: 64, maxInFlight: 1_000, count: 10_000 };
  it('closed loop: no more threads than connections in flight, nor than connections', () => {
    assert.equal(clientThreads({ ...needs, concurrency: 1 }), 1);
    assert.equal(clientThreads({ ...needs, threads: 8, count: 3 }), 3);
    assert.equal(clientThreads({ ...needs, threads: 8, count: 0 }), 1);
    assert.equal(clientThreads(needs), Math.min(os.availableParallelism(), 64));
  });
  it('closed-loop ramp: bounded by the highest stage target, the connections it will hold in flight', () => {
    // A ramp from concurrency 1 to 64 holds 64 in flight at its peak: one thread made all of them.
    assert.equal(clientThreads({ ...needs, threads: 4, concurrency: 1, stages: [{ duration: 10_000, target: 64 }] }), 4);
    assert.equal(clientThreads({ ...needs, threads: 4, concurrency: 1, stages: [{ duration: 10_000, target: 2.5 }] }), 3);
    // An open loop's stage targets are rates: maxInFlight still bounds it.
    assert.equal(clientThreads({ ...needs, threads: 4, rate: 10, concurrency: 1, maxInFlight: 2, stages: [{ duration: 10_000, target: 500 }] }), 2);
  });
  it('open loop: bounded by maxInFlight, not by concurrency', () => {
    assert.equal(clientThreads({ ...needs, threads: 4, rate: 100, concurrency: 1, maxInFlight: 2 }), 2);
    assert.equal(clientThreads({ ...needs, threads: 4, rate: 100, concurrency: 1, maxInFlight: 100 }), 4);
  });
  it('the threads started ahead of a run are the ones its load will take, no more', () => {
    // A one-connection-at-a-time load on a many-CPU machine used to warm a thread per CPU.
    prewarmEngine({ ...needs, threads: 6, concurrency: 1 });
    assert.equal(warmThreads(), engineAvailability().ok ? 1 : 0);
    // What a run that failed before its load left: ended at the run's end (execute.ts).
    releaseWarmThreads();
    assert.equal(warmThreads(), 0);
  });
});

describe('shared port table', () => {
  it('a port used by two threads counts once, reused once, with the interval between them', () => {
    const table = newPortTable(2);
    const a = new PortTableView(table);
    const b = new PortTableView(table);
    assert.equal(a.opened(0, 40000, 10), -1);
    a.released();
    assert.equal(b.opened(0, 40000, 1010), 1000);
    assert.equal(b.opened(1, 40000, 1020), -1, 'another source address is another port');
    assert.equal(a.opened(0, 40001, 1030), -1);
    assert.deepEqual(countPorts(table), { distinct: 3, reused: 1, opened: 4 });
    assert.equal(a.reuses + b.reuses, 1);
    assert.equal(b.minIntervalMs, 1000);
    assert.equal(Math.max(a.peakInUse, b.peakInUse), 3);
  });
});

describe('closer queue', () => {
  it('hands fds over in order and reports the end once stopped and empty', () => {
    const q = new CloserQueue(newCloserQueue());
    for (const fd of [7, 8, 9]) q.push(fd);
    assert.deepEqual([q.take(), q.take()], [7, 8]);
    q.stop();
    assert.equal(q.take(), 9);
    assert.equal(q.take(), -1);
  });
});

describe('raw syscalls self-check', () => {
  it('finds the struct epoll_event layout of this architecture and round-trips a tag', () => {
    const r = loadRawSockets();
    assert.ok(r.ok, r.ok ? '' : r.reason);
    // x86-64 packs the struct (__EPOLL_PACKED); every other architecture aligns data to 8.
    assert.deepEqual(r.layout, process.arch === 'x64' ? { eventSize: 12, dataOffset: 4 } : { eventSize: 16, dataOffset: 8 });
    const ev = encodeEpollEvent(r.layout, 0x2005, 12345);
    assert.equal(epollTag(r.layout, ev, 0), 12345);
    assert.equal(epollEvents(r.layout, ev, 0), 0x2005);
  });
});
