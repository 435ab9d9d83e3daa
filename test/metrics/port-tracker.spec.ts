import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortTracker } from '../../src/metrics/port-tracker.js';
import { countPorts, newPortTable } from '../../src/metrics/port-table.js';

describe('PortTracker', () => {
  it('counts distinct ports, reused ports and reuse events', () => {
    const t = new PortTracker();
    t.opened(40000, 0);
    t.opened(40002, 5);
    t.opened(40000, 1005); // back after 1,005 ms
    t.opened(40000, 3005); // and again after 2,000 ms
    t.opened(40004, 4000);
    const s = t.summary();
    assert.equal(s.distinct, 3);
    assert.equal(s.reused, 1, 'one port carried more than one connection');
    assert.equal(s.reuses, 2);
    assert.equal(s.minReuseIntervalMs, 1005);
    // HdrHistogram keeps 3 significant digits: the median of {1005, 2000} ms is 1005 ms.
    assert.ok(Math.abs(s.medianReuseIntervalMs! - 1005) <= 1, `median ${s.medianReuseIntervalMs}`);
  });

  it('reports nulls, not zeros, for what did not happen', () => {
    const t = new PortTracker();
    t.opened(40000, 0);
    const s = t.summary();
    assert.equal(s.minReuseIntervalMs, null);
    assert.equal(s.medianReuseIntervalMs, null);
    assert.equal(s.exhaustedAtMs, null);
  });

  it('keeps the first exhaustion time', () => {
    const t = new PortTracker();
    t.exhausted(250.04);
    t.exhausted(900);
    assert.equal(t.summary().exhaustedAtMs, 250);
  });

  it('counts the connections established before the first exhaustion, and none after it', () => {
    const t = new PortTracker();
    t.opened(40000, 0);
    t.opened(40001, 1, '127.0.0.2');
    t.opened(40000, 2);
    t.exhausted(10);
    // Ports came back (a server-first close, tcp_tw_reuse): later connections are not "before".
    t.opened(40002, 20);
    t.exhausted(30);
    const s = t.summary();
    assert.equal(s.exhaustedAtMs, 10);
    assert.equal(s.establishedBeforeExhaustion, 3, 'every source address, reuses included');
    assert.equal(new PortTracker().summary().establishedBeforeExhaustion, null, 'null when the ports never ran out');
  });

  it('tracks the peak of ports in use at once', () => {
    const t = new PortTracker();
    t.opened(1, 0);
    t.opened(2, 0);
    t.released();
    t.opened(3, 1);
    t.opened(4, 2);
    t.released();
    t.released();
    assert.equal(t.summary().peakInUse, 3);
  });
});

describe('PortTracker with several source addresses', () => {
  it('counts the same port number on two source addresses as two ports', () => {
    const t = new PortTracker();
    t.opened(40000, 0, '127.0.0.2');
    t.opened(40000, 1, '127.0.0.3');
    t.opened(40000, 2000, '127.0.0.2');
    const s = t.summary();
    assert.equal(s.distinct, 2);
    assert.equal(s.reused, 1);
    assert.equal(s.minReuseIntervalMs, 2000);
  });
});

describe('PortTracker on a shared port table (engine threads)', () => {
  it('two threads on one table count a port once, and the run tracker absorbs them exactly', () => {
    const table = newPortTable(2);
    const a = new PortTracker(table);
    const b = new PortTracker(table);
    assert.equal(a.openedAt(0, 40000, 10), 1, 'one port held');
    a.released();
    assert.equal(b.openedAt(0, 40000, 1010), 1, 'the same port again: still one held');
    assert.equal(b.openedAt(1, 40000, 1020), 1, 'another source address, another window');
    a.exhausted(1500);
    const run = new PortTracker();
    for (const t of [a, b]) run.reuseIntervals.add(t.reuseIntervals);
    run.absorb({ ...countPorts(table), ...a.threadFigures() });
    run.absorb({ distinct: 0, reused: 0, ...b.threadFigures() });
    const s = run.summary();
    assert.equal(s.distinct, 2);
    assert.equal(s.reused, 1);
    assert.equal(s.reuses, 1);
    assert.equal(s.minReuseIntervalMs, 1000);
    assert.equal(s.peakInUse, 2);
    assert.equal(s.exhaustedAtMs, 1500);
    assert.equal(s.establishedBeforeExhaustion, 3, "a's count of the shared table: b's connections too");
    assert.equal(run.reusesWithinTimeWait, 1);
  });

  it('the run takes the count of the thread that ran short first, whatever order they are absorbed in', () => {
    const table = newPortTable(1);
    const a = new PortTracker(table);
    const b = new PortTracker(table);
    a.openedAt(0, 40000, 1);
    b.openedAt(0, 40001, 2);
    b.exhausted(5);
    a.openedAt(0, 40002, 6);
    a.exhausted(7);
    const run = new PortTracker();
    run.absorb({ ...countPorts(table), ...a.threadFigures() });
    run.absorb({ distinct: 0, reused: 0, ...b.threadFigures() });
    assert.equal(run.summary().exhaustedAtMs, 5);
    assert.equal(run.summary().establishedBeforeExhaustion, 2);
  });

  it('a port handed between threads with an older loop-turn clock is a 0 ms reuse, never a negative one', () => {
    const table = newPortTable(1);
    const a = new PortTracker(table);
    const b = new PortTracker(table);
    a.openedAt(0, 40000, 100);
    a.released();
    // b read its clock at the start of its loop turn, 0.9 ms before a's use.
    b.openedAt(0, 40000, 99.1);
    b.released();
    assert.equal(b.threadFigures().minReuseIntervalMs, 0);
    // The later of the two times is the one the next reuse is measured from.
    a.openedAt(0, 40000, 1100);
    assert.equal(a.threadFigures().minReuseIntervalMs, 1000);
  });

  it('a handover across a second boundary keeps the port held until 60 s after its later use', () => {
    const table = newPortTable(1);
    const a = new PortTracker(table);
    const b = new PortTracker(table);
    a.openedAt(0, 40000, 1000.2);
    a.released();
    b.openedAt(0, 40000, 999.6); // b's loop turn began in the second before
    b.released();
    // 61.5 s in: the window holds the seconds 1–61 — the second 0–1 s has left it, 1–2 s has not.
    assert.equal(a.openedAt(0, 40001, 61_500), 2, 'port 40000 (last used at 1.0002 s) is still held');
  });
});

describe('4-tuple reuses within TIME_WAIT (reopened)', () => {
  it('count a port opened again towards the same server port within 60 s, never towards another one', () => {
    const tracker = new PortTracker(undefined, 2);
    tracker.opened(40000, 0, '', 0);
    tracker.opened(40000, 10, '', 1); // another destination: another 4-tuple, no TIME_WAIT to meet
    assert.equal(tracker.reusesWithinTimeWait, 0);
    tracker.opened(40000, 20, '', 0); // the first tuple again, 20 ms on: its TIME_WAIT is there
    assert.equal(tracker.reusesWithinTimeWait, 1);
    tracker.opened(40000, 60_030, '', 0); // a minute after its last open: gone
    assert.equal(tracker.reusesWithinTimeWait, 1);
    assert.equal(tracker.summary().reuses, 3, 'a port reused is still a port reused, whatever its destination');
  });

  it('one destination: every port reuse under 60 s is a 4-tuple reuse; engine threads on a shared table add up', () => {
    const table = newPortTable(1, true, 3);
    const a = new PortTracker(table);
    const b = new PortTracker(table);
    a.openedAt(0, 40000, 0, 2);
    b.openedAt(0, 40000, 5, 2); // the same tuple from another thread
    b.openedAt(0, 40000, 6, 1);
    const run = new PortTracker(undefined, 3);
    run.absorb({ ...countPorts(table), ...a.threadFigures() });
    run.absorb({ distinct: 0, reused: 0, ...b.threadFigures() });
    assert.equal(run.reusesWithinTimeWait, 1);
    const single = new PortTracker();
    single.opened(40000, 0);
    single.opened(40000, 59_999);
    single.opened(40000, 120_000);
    assert.equal(single.reusesWithinTimeWait, 1);
  });

  it('too many server ports to keep their tuples: not counted (null), never guessed', () => {
    const table = newPortTable(1, true, 65);
    assert.equal(new PortTracker(table).reusesWithinTimeWait, null);
    const own = new PortTracker(undefined, 40);
    own.opened(40000, 0, '127.0.0.1', 3);
    assert.equal(own.reusesWithinTimeWait, 0);
    own.opened(40000, 1, '127.0.0.2', 3); // a second address: 80 tables would be needed
    assert.equal(own.reusesWithinTimeWait, null);
  });
});
