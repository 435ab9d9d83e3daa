// Fields a merge of shards once took from the first shard alone (an audit with real runs):
// the server's per-listener counts, its linger closes, its I/O mode and restart; the fault
// counters; the driver's per-thread shares. Each is held here against what two shards recorded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeResults } from '../../src/result/merge.js';
import type { RunResult } from '../../src/result/model.js';
import { finding, makeResult } from '../report/make-result.js';

/** Shard `index` of 2 of the hand-made scenario, started `offsetMs` after the first. */
function shard(index: number, offsetMs: number, edit: (r: RunResult) => void): RunResult {
  return makeResult((r) => {
    r.startedAt = new Date(Date.parse('2026-01-01T00:00:00.000Z') + offsetMs).toISOString();
    r.environment.sysctls['net.ipv4.ip_local_port_range'] = index === 0 ? '32768 46883' : '46884 60999';
    (r as { shard?: unknown }).shard = {
      index,
      count: 2,
      whole: { connections: 2000, requests: null, rate: null, portRange: '32768 60999', concurrency: 32, maxInFlight: 20_000, stages: [], httpConnections: null, resume: null, localPorts: null },
    };
    edit(r);
  });
}

const merge = (a: RunResult, b: RunResult) => mergeResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]);

describe('merge: server stats', () => {
  it('adds per-listener counts listener by listener, and linger closes; the longest block is the max', async () => {
    const a = shard(0, 0, (r) => {
      r.server.stats = { ...r.server.stats, accepted: 200, acceptedPerListener: [50, 46, 53, 51], linger: { closes: 4, blockedMsTotal: 4090, blockedMsMax: 1025 }, emptyAccepts: 3 };
    });
    const b = shard(1, 20, (r) => {
      r.server.stats = { ...r.server.stats, accepted: 200, acceptedPerListener: [49, 52, 48, 51], linger: { closes: 4, blockedMsTotal: 4100, blockedMsMax: 1030 }, emptyAccepts: 2 };
    });
    const s = (await merge(a, b)).server.stats;
    assert.equal(s.accepted, 400);
    assert.deepEqual(s.acceptedPerListener, [99, 98, 101, 102]);
    assert.equal(s.acceptedPerListener!.reduce((x, y) => x + y, 0), s.accepted, 'the listeners account for every accept');
    assert.deepEqual(s.linger, { closes: 8, blockedMsTotal: 8190, blockedMsMax: 1030 });
    assert.equal(s.emptyAccepts, 5);
  });

  it('one listener of each adds up too (http-keepalive: [32] beside accepted 64)', async () => {
    const one = (i: number) => shard(i, i * 10, (r) => void (r.server.stats = { ...r.server.stats, accepted: 32, acceptedPerListener: [32] }));
    const s = (await merge(one(0), one(1))).server.stats;
    assert.deepEqual([s.accepted, s.acceptedPerListener], [64, [64]]);
  });

  it('io is io_uring only when every server served on it; each fallback reason is kept', async () => {
    const a = shard(0, 0, (r) => void (r.server.stats = { ...r.server.stats, io: 'io_uring' }));
    const b = shard(1, 10, (r) => void (r.server.stats = { ...r.server.stats, io: 'epoll', ioFallback: 'TWSTORM_IO_URING=off' }));
    const s = (await merge(a, b)).server.stats;
    assert.equal(s.io, 'epoll');
    assert.equal(s.ioFallback, 'TWSTORM_IO_URING=off');
    const both = (await merge(shard(0, 0, (r) => void (r.server.stats.io = 'io_uring')), shard(1, 10, (r) => void (r.server.stats.io = 'io_uring')))).server.stats;
    assert.equal(both.io, 'io_uring');
    assert.equal('ioFallback' in both, false);
  });

  it("the restart: ok only when both came back, the longest outage, every bind attempt on the common clock", async () => {
    const a = shard(0, 0, (r) => {
      r.server.restart = { ok: true, unavailableMs: 120, ports: [7000], attempts: [{ tMs: 1000, code: 'EADDRINUSE' }, { tMs: 1100, code: null }] };
    });
    const b = shard(1, 500, (r) => {
      r.server.restart = { ok: false, unavailableMs: 5000, ports: [7000], attempts: [{ tMs: 900, code: 'EADDRINUSE' }] };
    });
    const restart = (await merge(a, b)).server.restart!;
    assert.equal(restart.ok, false);
    assert.equal(restart.unavailableMs, 5000);
    assert.deepEqual(restart.attempts, [{ tMs: 1000, code: 'EADDRINUSE' }, { tMs: 1100, code: null }, { tMs: 1400, code: 'EADDRINUSE' }]);
    assert.deepEqual(restart.ports, [7000]);
  });
});

describe('merge: faults', () => {
  /** A lost-final-ack shard: its rule dropped `matched` final ACKs of its own connections. */
  const lossy = (index: number, matched: number) =>
    shard(index, index * 10, (r) => {
      (r.scenario as { faults?: unknown }).faults = [{ packets: 'final-ack', direction: 'to-server', action: 'drop', percent: 100, count: null }];
      r.faults = [{ rule: 'drop final-ack to-server', packets: 'final-ack', direction: 'to-server', action: 'drop', matched }];
      r.summary.kernel['TcpRetransSegs'] = matched;
    });

  it('keeps each rule, its matched segments added over the shards, and the verdict says so', async () => {
    const m = await merge(lossy(0, 100), lossy(1, 100));
    assert.deepEqual(m.faults, [{ rule: 'drop final-ack to-server', packets: 'final-ack', direction: 'to-server', action: 'drop', matched: 200 }]);
    assert.match(finding(m, 'faults')?.text ?? '', /^200 final ACKs to the server dropped by nft/);
  });

  it('a merge without faults has none', async () => {
    const m = await merge(shard(0, 0, () => undefined), shard(1, 10, () => undefined));
    assert.equal('faults' in m, false);
  });
});

describe('merge: driver threads', () => {
  const rows = (n: number, each: number) =>
    Array.from({ length: n }, (_, thread) => ({ thread, attempted: each, established: each, completed: each, failed: 0, busyMs: each / 10, wallMs: 500, turns: each * 2 }));
  const withThreads = (index: number, n: number) =>
    shard(index, index * 10, (r) => void Object.assign(r.summary.driver, { threads: rows(n, 1000 / n) }));

  it("keeps every shard's threads, numbered on, their counts adding to the merged connections", async () => {
    const m = await merge(withThreads(0, 2), withThreads(1, 4));
    const threads = (m.summary.driver as { threads?: Array<{ thread: number; attempted: number }> }).threads;
    assert.deepEqual(threads?.map((t) => [t.thread, t.attempted]), [[0, 500], [1, 500], [2, 250], [3, 250], [4, 250], [5, 250]]);
    assert.equal(threads!.reduce((n, t) => n + t.attempted, 0), m.summary.connections.attempted);
  });

  it('left out when a shard has none (the net fallback): part of the threads is not the whole', async () => {
    const m = await merge(withThreads(0, 2), shard(1, 10, () => undefined));
    assert.equal('threads' in m.summary.driver, false);
  });
});

describe('merge: the engine that made the load', () => {
  const engine = (index: number, facts: Partial<RunResult['environment']>) => shard(index, index * 10, (r) => void Object.assign(r.environment, facts));

  it("adds the shards' engine threads, and keeps the engine and its I/O they share", async () => {
    const m = await merge(engine(0, { engine: 'native', threads: 2, engineIo: 'io_uring' }), engine(1, { engine: 'native', threads: 1, engineIo: 'io_uring' }));
    assert.equal(m.environment.threads, 3);
    assert.equal(m.environment.engine, 'native');
    assert.equal(m.environment.engineIo, 'io_uring');
    assert.equal(m.merged!.warnings.some((w) => /different engine/.test(w)), false, m.merged!.warnings.join('; '));
  });

  it('names no engine when the shards ran different ones, and warns which ran where', async () => {
    const m = await merge(
      engine(0, { engine: 'native', threads: 1, engineIo: 'epoll', engineIoFallback: 'io_uring_setup: EPERM' }),
      engine(1, { engine: 'net', threads: 1, engineFallback: 'koffi did not load' }),
    );
    assert.equal(m.environment.engine, undefined);
    assert.equal(m.environment.engineFallback, undefined);
    assert.equal(m.environment.engineIo, undefined);
    assert.equal(m.environment.threads, 2);
    assert.deepEqual(m.merged!.warnings.filter((w) => /different engine/.test(w)), ['the results ran different engines (native in a.json, net in b.json): the merged figures mix them, and the merge names none']);
    // Both native, on different I/O: that is the warning.
    const io = await merge(engine(0, { engine: 'native', threads: 1, engineIo: 'epoll' }), engine(1, { engine: 'native', threads: 1, engineIo: 'io_uring' }));
    assert.equal(io.environment.engineIo, undefined);
    assert.deepEqual(io.merged!.warnings.filter((w) => /different engine/.test(w)), ['the results ran different engine I/O (epoll in a.json, io_uring in b.json): the merged figures mix them, and the merge names none']);
    // Both on epoll: the I/O is named, with the first reason for the fallback.
    const epoll = await merge(engine(0, { engine: 'native', threads: 1, engineIo: 'epoll', engineIoFallback: 'io_uring_setup: EPERM' }), engine(1, { engine: 'native', threads: 1, engineIo: 'epoll' }));
    assert.equal(epoll.environment.engineIo, 'epoll');
    assert.equal(epoll.environment.engineIoFallback, 'io_uring_setup: EPERM');
  });
});

describe('merge: what a split shares out and what it cannot', () => {
  it("the merged scenario's fault count is the whole's, and the rule is named by it", async () => {
    const half = (index: number) =>
      shard(index, index * 10, (r) => {
        (r.scenario as { faults?: unknown }).faults = [{ packets: 'final-ack', direction: 'to-server', action: 'drop', percent: 100, count: 100 }];
        r.faults = [{ rule: 'drop final-ack to-server (first 100)', packets: 'final-ack', direction: 'to-server', action: 'drop', matched: 100 }];
      });
    // Shards of a split differ in their fault counts: merged, not refused as another setting.
    const m = await merge(half(0), half(1));
    assert.equal(m.scenario.faults[0]!.count, 200);
    assert.equal(m.faults![0]!.rule, 'drop final-ack to-server (first 200)');
    assert.equal(m.faults![0]!.matched, 200);
  });

  it("a tcp split's http.requests (cut, though unread) adds back to the whole's, whatever the order of the files", async () => {
    // shard.ts cuts 5,001 into 2,501 and 2,500 and records no whole request count under tcp.
    const share = (index: number) =>
      shard(index, index * 10, (r) => {
        (r.scenario as { http?: unknown }).http = { requests: 2501 - index, client: 'keepalive', connections: null };
      });
    const shares = [share(0), share(1)].map((r) => r.scenario.http.requests);
    const total = shares.reduce((a, n) => a + n, 0);
    assert.equal((await merge(share(0), share(1))).scenario.http.requests, total);
    assert.equal((await merge(share(1), share(0))).scenario.http.requests, total);
  });

  it('a sysctl the machines had otherwise (not set by the scenario) is warned about, naming each value', async () => {
    const reuse = (index: number, value: string) => shard(index, index * 10, (r) => (r.environment.sysctls['net.ipv4.tcp_tw_reuse'] = value));
    const m = await merge(reuse(0, '0'), reuse(1, '1'));
    assert.ok(
      m.merged!.warnings.includes('the results ran with different net.ipv4.tcp_tw_reuse (0 in a.json, 1 in b.json): merged as one storm, the result records 0, the first one\'s'),
      m.merged!.warnings.join(' | '),
    );
    // The same everywhere, and the port range every shard has a slice of: nothing to say.
    const same = await merge(reuse(0, '1'), reuse(1, '1'));
    assert.equal(same.merged!.warnings.some((w) => w.includes('different net.')), false, same.merged!.warnings.join(' | '));
  });

  it("kernels of different CONFIG_HZ: the merge keeps the HZ whose timer ends a TIME_WAIT latest, and says so", async () => {
    const hz = (index: number, value: number | null | undefined) =>
      shard(index, index * 10, (r) => {
        if (value === undefined) delete r.environment.timerHz;
        else r.environment.timerHz = value;
      });
    // Taken from the first alone, HZ 250 (2.048 s late) stood for a shard at 1000 (4.096 s), unsaid.
    const m = await merge(hz(0, 250), hz(1, 1000));
    assert.equal(m.environment.timerHz, 1000);
    assert.ok(m.merged!.warnings.includes('the results ran on kernels of different CONFIG_HZ (250 in a.json, 1000 in b.json): the merged result records 1000, the one whose timer ends a TIME_WAIT latest'), m.merged!.warnings.join(' | '));
    assert.equal((await merge(hz(0, 1000), hz(1, 100))).environment.timerHz, 100);
    // One that did not record it: not known, so the worst.
    assert.equal((await merge(hz(0, 250), hz(1, undefined))).environment.timerHz, null);
    const same = await merge(hz(0, 250), hz(1, 250));
    assert.equal(same.environment.timerHz, 250);
    assert.equal(same.merged!.warnings.some((w) => w.includes('CONFIG_HZ')), false, same.merged!.warnings.join(' | '));
  });

  it('a per-namespace limit the scenario sets is warned about: each shard held it whole', async () => {
    const capped = (index: number) =>
      shard(index, index * 10, (r) => {
        r.scenario.environment.sysctls = { ...r.scenario.environment.sysctls, 'net.ipv4.tcp_max_tw_buckets': 200 } as typeof r.scenario.environment.sysctls;
      });
    const m = await merge(capped(0), capped(1));
    assert.ok(
      m.merged!.warnings.some((w) => /^net\.ipv4\.tcp_max_tw_buckets=200 held in each of the 2 shards' own namespace, not split: together they could hold 2 times it/.test(w)),
      m.merged!.warnings.join(' | '),
    );
    const plain = await merge(shard(0, 0, () => undefined), shard(1, 10, () => undefined));
    assert.equal(plain.merged!.warnings.some((w) => w.includes('not split')), false);
  });
});

describe('merge: an interrupted contributor', () => {
  it('is refused as a missing shard is (its load only partly ran), and merged with a warning under --partial', async () => {
    const cut = shard(1, 10, (r) => {
      r.interrupted = true;
      r.stoppedBy = 'interrupted';
      r.interruptedBy = 'SIGTERM';
    });
    await assert.rejects(
      merge(shard(0, 0, () => undefined), cut),
      (e: Error) => e.message === 'b.json was interrupted, so the merged totals would be part of the load and its thresholds would gate that part; run it again, or --partial to merge these anyway',
    );
    const m = await mergeResults([{ file: 'a.json', result: shard(0, 0, () => undefined) }, { file: 'b.json', result: cut }], { partial: true });
    assert.equal(m.interrupted, true);
    // What interrupted it goes with it (a CI job's timeout).
    assert.equal(m.interruptedBy, 'SIGTERM');
    assert.ok(m.merged!.warnings.includes('b.json was interrupted: the totals hold only the part of its load that ran'), m.merged!.warnings.join(' | '));
  });
});

describe('merge: another scenario is refused as such', () => {
  it('named first, before the port ranges or the split it also differs in (what to do: compare them)', async () => {
    const expected = (file: string) => `b.json is scenario "tw-reuse" but a.json is "${file}": merge runs of one scenario; compare different ones instead`;
    // tw-reuse beside client-closes-first was refused for "different port ranges … run them with --shard i/N".
    const copy = (name: string, range: string, offsetMs: number) =>
      makeResult((r) => {
        r.scenario.name = name;
        r.startedAt = new Date(Date.parse(r.startedAt) + offsetMs).toISOString();
        r.environment.sysctls['net.ipv4.ip_local_port_range'] = range;
      });
    await assert.rejects(merge(copy('hand-made', '32768 60999', 0), copy('tw-reuse', '40000 40499', 10)), (e: Error) => e.message === expected('hand-made'));
    // Shards of two scenarios: not "a different split … its whole connections differs".
    const other = shard(1, 20, (r) => {
      r.scenario.name = 'tw-reuse';
      (r as { shard?: { whole: { connections: number } } }).shard!.whole.connections = 500;
    });
    await assert.rejects(merge(shard(0, 0, () => undefined), other), (e: Error) => e.message === expected('hand-made'));
  });
});
