// plan --from takes the ports the run's connect() really drew from: the namespace's range less
// the reserved ports the run recorded, narrowed by client.portRange (IP_LOCAL_PORT_RANGE).
// A capacity audit measured both against the plan that ignored them: 40 % and 52 % too many ports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planFromResult, renderPlanFromResult } from '../../src/plan/index.js';
import { addErrors, makeResult } from '../report/make-result.js';
import { newHistogram, percentilesMs } from '../../src/metrics/histograms.js';
import { encodeHistogram } from '../../src/metrics/histogram-encoding.js';
import type { RunResult } from '../../src/result/model.js';

const CLIENT = { sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: null, readDelay: 0, idleTimeout: 1000 };

function run(edit: (r: RunResult) => void): RunResult {
  return makeResult((x) => {
    x.scenario.client = { ...CLIENT };
    x.scenario.server = { ...x.scenario.server, ports: 1 };
    x.scenario.rate = 500;
    x.scenario.connections = 600;
    x.scenario.duration = 3000;
    x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40999';
    x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '0';
    edit(x);
  });
}

describe('plan --from: the ports in play', () => {
  it('reserved ports the run recorded are not usable: 1,000 less 200 reserved, gone after 600 ms at 500/s (a run measured 600.1 ms)', () => {
    const cmp = planFromResult(run((x) => (x.environment.sysctls['net.ipv4.ip_local_reserved_ports'] = '40000-40199')));
    assert.equal(cmp.inputs.reservedPorts, 200);
    assert.equal(cmp.plan.usablePorts, 800);
    assert.match(cmp.sources['reservedPorts']!, /^result: environment\.sysctls net\.ipv4\.ip_local_reserved_ports "40000-40199"$/);
    // The measured run made 300 of its 600 before the ports ran out; 800 usable ports at 500/s
    // would never run out of 600 attempts — the plan now says the ports are 800.
    assert.equal(cmp.rows[0]!.predicted, null, '600 attempts cannot exhaust 800 ports');
    // Reserved ports outside the range do not count; none recorded: none assumed, and said so.
    assert.equal(planFromResult(run((x) => (x.environment.sysctls['net.ipv4.ip_local_reserved_ports'] = '8080,30000-39999'))).inputs.reservedPorts, 0);
    const none = planFromResult(run(() => {}));
    assert.equal(none.inputs.reservedPorts, 0);
    assert.match(none.sources['reservedPorts']!, /^assumed: none \(the run did not record/);
  });

  it('client.portRange narrows the namespace range to the part the kernel honours', () => {
    const cmp = planFromResult(run((x) => (x.scenario.client.portRange = '40100 40399')));
    assert.equal(cmp.inputs.portLow, 40100);
    assert.equal(cmp.inputs.portHigh, 40399);
    assert.equal(cmp.plan.usablePorts, 300);
    assert.match(cmp.sources['portRange']!, /narrowed by scenario\.client\.portRange 40100 40399$/);
    // 300 ports at 500/s: gone after 0.6 s (measured 580 ms, 290 established: 10 reserved below).
    assert.equal(cmp.rows[0]!.predicted, 600);
    // A bound outside the namespace's range is not honoured: that side stays the namespace's.
    const half = planFromResult(run((x) => (x.scenario.client.portRange = '30000 40499')));
    assert.equal(half.inputs.portLow, 40000);
    assert.equal(half.inputs.portHigh, 40499);
  });
});

describe('plan --from: who picks the port, and whether a TIME_WAIT is taken over', () => {
  const exhaustion = (cmp: ReturnType<typeof planFromResult>) => cmp.rows.find((r) => r.label === 'time to exhaustion (from load start)')!.predicted;

  it('bind before connect with tcp_tw_reuse 1: the range is shared and held 60 s, bind() fails with EADDRINUSE after 2.5 s', () => {
    // An audit on 6.18: 200/s, 500 ports, 2 destinations, bind without IP_BIND_ADDRESS_NO_PORT:
    // 500 established, 700 EADDRINUSE at bind, exhausted at 2.5 s, TWRecycled 0.
    const cmp = planFromResult(run((x) => {
      x.scenario.client = { ...CLIENT, bind: true };
      x.scenario.server = { ...x.scenario.server, ports: 2 };
      x.scenario.rate = 200;
      x.scenario.connections = 1200;
      x.scenario.duration = 30_000;
      x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
      x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '1';
    }));
    assert.equal(cmp.plan.portPicker, 'bind');
    assert.equal(cmp.plan.reuseInForce, false);
    assert.equal(exhaustion(cmp), 2500);
    assert.equal(cmp.rows.find((r) => r.label === 'client ports in play (connections established)')!.predicted, 500);
    assert.match(renderPlanFromResult(cmp, 'r.json'), /time to exhaustion {8}2\.50 s, then bind\(\) fails with EADDRINUSE/);
  });

  it('named ports with SO_REUSEADDR: connect() takes over each TIME_WAIT, nothing runs out; without it bind() does after ports ÷ rate', () => {
    // An audit: 100 named ports, 200/s, 1,000 connections, tcp_tw_reuse 0: 1,000 established,
    // TWRecycled 900; the plan said "DOES NOT FIT, exhaustion 0.50 s, EADDRNOTAVAIL".
    const named = (reuseAddr: boolean, timestamps = '1', measuredLifeMs: number | null = 0.7) =>
      planFromResult(run((x) => {
        x.scenario.client = { ...CLIENT, bind: true, localPorts: '40000-40099', reuseAddr };
        x.scenario.rate = 200;
        x.scenario.connections = 1000;
        x.scenario.duration = 10_000;
        x.environment.sysctls['net.ipv4.tcp_timestamps'] = timestamps;
        x.summary.latencyMs.total = { ...x.summary.latencyMs.total, count: 1000, mean: 0.4 };
        x.summary.latencyMs.close = { ...x.summary.latencyMs.close, count: 1000, mean: 0.1 };
        // Measured per connection; a result from before latencyMs.life is rebuilt from the means above.
        if (measuredLifeMs === null) delete x.summary.latencyMs.life;
        else x.summary.latencyMs.life = { ...x.summary.latencyMs.total, count: 1000, mean: measuredLifeMs, p99: 0.9 };
      }));
    const reuse = named(true);
    assert.equal(reuse.inputs.namedPorts, true);
    assert.equal(reuse.inputs.reuseAddr, true);
    assert.ok(Math.abs(reuse.inputs.connectionLifeSec! - 0.0009) < 1e-12, 'the p99 life: named ports come back in turn');
    assert.match(reuse.sources['connectionLifeSec']!, /latencyMs\.life p99/);
    // Named ports come back in turn: a connection still open at its next turn fails connect().
    // Hand-made lives: 950 of 1 ms and 50 of 20 ms; 10 named ports at 2,000/s turn every 5 ms.
    // A 20 ms connection blocks the next 4 turns of its 4-tuple: e = 50 × 4 ÷ 1,000 = 0.2 turns
    // outlived per connection, and e ÷ (1 + e) = 16.7 % of the connects fail, not the 5 % of
    // connections that outlived a turn.
    const h = newHistogram();
    h.recordValueWithCount(1_000, 950);
    h.recordValueWithCount(20_000, 50);
    const inTurn = (first: 'client' | 'server', reuseAddr: boolean) =>
      planFromResult(run((x) => {
        x.scenario.client = { ...CLIENT, bind: true, localPorts: '40000-40009', reuseAddr };
        if (x.scenario.protocol === 'tcp') x.scenario.close = { ...x.scenario.close, first };
        x.scenario.rate = 2000;
        x.scenario.connections = 1000;
        x.scenario.duration = 10_000;
        x.environment.sysctls['net.ipv4.tcp_timestamps'] = '1';
        x.histograms.life = encodeHistogram(h);
        x.summary.latencyMs.life = percentilesMs(h);
        addErrors(x, reuseAddr ? 'EADDRNOTAVAIL' : 'EADDRINUSE', reuseAddr ? 'connect' : 'bind', 160);
      }));
    const taken = inTurn('client', true);
    // The p99 life (20 ms) holds a 4-tuple: 10 ÷ 20 ms = 500/s, not 10 ÷ the mean's 1.95 ms.
    assert.match(taken.sources['connectionLifeSec']!, /latencyMs\.life p99 \(named ports come back in turn/);
    assert.equal(taken.plan.fits, false);
    const busy = taken.rows.find((r) => r.label === 'connects that found their named port still open')!;
    assert.deepEqual([busy.predicted, busy.measured], [167, 160]);
    assert.ok(taken.notes.includes('named ports are taken in turn: each of the 10 4-tuples comes back every 5.00 ms at 2,000/s, and this run\'s connections outlived 0.200 turns on average (summary.latencyMs.life), so at most about 16.7 % of connects, 167, find theirs still open (EADDRNOTAVAIL): a life counts from the connection\'s scheduled start, so a driver behind schedule lengthens it; none would with 41 4-tuples, a turn longer than the slowest life (20.0 ms)'), taken.notes.join('\n'));
    assert.equal(taken.rows.some((r) => r.label === 'client ports in play (connections established)'), false, 'no pool runs dry: connects fail one by one');
    assert.match(renderPlanFromResult(taken, 'r.json'), /name at least \d+ ports in client\.localPorts, e\.g\. "40000-\d+"/);
    assert.doesNotMatch(renderPlanFromResult(taken, 'r.json'), /tcp_timestamps=1/, 'timestamps are on already');
    // The server closing first leaves the client no TIME_WAIT: its named ports are still busy
    // while open, in turn (a review: "fits", with 52 EADDRNOTAVAIL measured). Without
    // SO_REUSEADDR the pair is the unit and bind() is what fails.
    const serverFirst = inTurn('server', true);
    assert.equal(serverFirst.plan.fits, false);
    assert.equal(serverFirst.rows.find((r) => r.label === 'connects that found their named port still open')!.predicted, 167);
    const pairs = inTurn('server', false);
    assert.equal(pairs.plan.fits, false);
    assert.deepEqual(pairs.rows.find((r) => r.label === 'connects that found their named port still open')!.measured, 160);
    assert.ok(pairs.notes.some((n) => /each of the 10 \(address, port\) pairs comes back every 5\.00 ms .* \(EADDRINUSE\)/.test(n)), pairs.notes.join('\n'));
    const older = named(true, '1', null);
    assert.ok(Math.abs(older.inputs.connectionLifeSec! - 0.0005) < 1e-12);
    assert.match(older.sources['connectionLifeSec']!, /total mean \+ close\.delay \+ latencyMs\.close mean \(the result has no latencyMs\.life\)/);
    assert.equal(reuse.plan.reuseInForce, true);
    assert.equal(reuse.plan.fits, true);
    assert.equal(exhaustion(reuse), null);
    const text = renderPlanFromResult(reuse, 'r.json');
    assert.doesNotMatch(text, /ip_local_port_range to|IP_BIND_ADDRESS_NO_PORT|parity|EADDRNOTAVAIL/);
    const plain = named(false);
    assert.equal(plain.plan.fits, false);
    assert.equal(exhaustion(plain), 500);
    assert.equal(plain.plan.portFailure, 'bind() fails with EADDRINUSE');
    assert.doesNotMatch(renderPlanFromResult(plain, 'r.json'), /widen net\.ipv4\.ip_local_port_range|IP_BIND_ADDRESS_NO_PORT|parity/);
    // SO_REUSEADDR without timestamps: bind() shares the port, connect() finds the TIME_WAIT.
    const noTs = named(true, '0');
    assert.equal(exhaustion(noTs), 500);
    assert.equal(noTs.plan.portFailure, 'connect() fails with EADDRNOTAVAIL');
  });

  it('named ports in every combination with addresses and destinations: the TIME_WAIT and the ports in play are the pairs and 4-tuples they make', () => {
    // Measured on 6.18 (200/s, tcp_tw_reuse 0): 100 named ports, SO_REUSEADDR, 2 server ports:
    // TIME_WAIT peak 200; 2 addresses × 100 named ports, no SO_REUSEADDR: 200 established,
    // exhausted at 1,000 ms.
    const peak = (cmp: ReturnType<typeof planFromResult>) => cmp.rows.find((r) => r.label.startsWith('TIME_WAIT peak'))!;
    const twoDestinations = planFromResult(run((x) => {
      x.scenario.client = { ...CLIENT, bind: true, localPorts: '40000-40099', reuseAddr: true };
      x.scenario.server = { ...x.scenario.server, ports: 2 };
      x.scenario.rate = 200;
      x.scenario.connections = 1000;
      x.scenario.duration = 30_000;
      x.summary.latencyMs.total = { ...x.summary.latencyMs.total, count: 1000, mean: 0.4 };
      x.summary.timeWait = { ...x.summary.timeWait, peak: 200, peakClient: 200, peakServer: 0 };
    }));
    assert.equal(twoDestinations.inputs.destinations, 2);
    assert.deepEqual(peak(twoDestinations), { label: 'TIME_WAIT peak (client)', unit: 'sockets', predicted: 200, measured: 200, errorPct: 0 });
    const twoAddresses = planFromResult(run((x) => {
      x.scenario.client = { ...CLIENT, bind: true, localPorts: '40000-40099', sourceAddresses: ['127.0.0.2', '127.0.0.3'] };
      x.scenario.rate = 200;
      x.scenario.connections = 600;
      x.scenario.duration = 30_000;
    }));
    assert.equal(twoAddresses.inputs.sources, 2);
    assert.equal(exhaustion(twoAddresses), 1000);
    assert.equal(twoAddresses.rows.find((r) => r.label === 'client ports in play (connections established)')!.predicted, 200);
    assert.equal(peak(twoAddresses).predicted, 200);
  });

  it("tcp_timestamps 0 in the run: tcp_tw_reuse takes over nothing, the ports run out as without it", () => {
    // tw-reuse --set environment.sysctls.net.ipv4.tcp_timestamps=0: measured 1,500 EADDRNOTAVAIL
    // of 2,000 at 400/s through 500 ports; the plan said "fits, never".
    const ts = (value: string) =>
      planFromResult(run((x) => {
        x.scenario.rate = 400;
        x.scenario.connections = 2000;
        x.scenario.duration = 30_000;
        x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
        x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '1';
        x.environment.sysctls['net.ipv4.tcp_timestamps'] = value;
      }));
    const off = ts('0');
    assert.equal(off.inputs.timestamps, 0);
    assert.equal(off.sources['timestamps'], 'result: environment.sysctls');
    assert.equal(off.plan.reuseInForce, false);
    assert.equal(exhaustion(off), 1250);
    assert.equal(exhaustion(ts('1')), null);
  });

  it('client.portRange is a per-socket range: no parity half', () => {
    const cmp = planFromResult(run((x) => {
      x.scenario.client.portRange = '40100 40399';
      x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '1';
      x.scenario.rate = 100;
      x.scenario.connections = 3000;
      x.scenario.duration = 30_000;
    }));
    assert.equal(cmp.inputs.perSocketRange, true);
    // 100/s reused after 1 s through 300 ports: all 300 cycle (a per-socket range has no parity).
    assert.equal(cmp.plan.timeWait.steadyState, 300);
  });
});

describe('plan --from a run on the host network', () => {
  it('notes the TIME_WAIT the census saw before the load, which the measured peak includes', () => {
    const onHost = (before: number) =>
      planFromResult(run((x) => {
        x.environment.isolation = 'host';
        x.load = { startMs: 500, endMs: 1000 };
        x.series.census = { t: [400, 1400], client: { TIME_WAIT: [before, before + 20] }, server: {} };
      }));
    assert.ok(onHost(1548).notes.includes("host network: the census counts every host socket, and 1548 were in TIME_WAIT before the load began, so the measured TIME_WAIT peak includes sockets that are not this run's"));
    assert.ok(!onHost(0).notes.some((n) => n.startsWith('host network')));
  });
});

describe('plan --from: a closed loop that ran out', () => {
  // A closed loop has no offered rate: the plan takes the rate it reached before the ports ran
  // out, from the connections established by then, not from every one of the run (those made
  // once ports came back, by tcp_tw_reuse or a server-first close, did not run them out).
  const closed = (before: number | undefined): RunResult =>
    run((x) => {
      x.scenario.rate = null;
      x.load = { startMs: 100, endMs: 5100 };
      x.summary.connections.established = 900;
      x.summary.ports.exhaustedAtMs = 150;
      if (before === undefined) delete x.summary.ports.establishedBeforeExhaustion;
      else x.summary.ports.establishedBeforeExhaustion = before;
    });

  it('the rate is the connections established before the shortage over its time: 500 in 50 ms, 10,000/s', () => {
    const cmp = planFromResult(closed(500));
    assert.equal(cmp.inputs.rate, 10_000);
    assert.match(cmp.sources['rate']!, /established ÷ time to exhaustion \(closed loop\)/);
  });

  it('a result from before the count: every established connection, as before', () => {
    assert.equal(planFromResult(closed(undefined)).inputs.rate, 18_000);
  });
});

describe('plan --from: an open loop that ramps (stages)', () => {
  it('ramp-to-exhaustion: the ramp, not its start rate, runs the ports out (7,305 ms measured; the plan said 50 s and 400 TIME_WAIT)', () => {
    const cmp = planFromResult(run((x) => {
      x.scenario.rate = 20;
      x.scenario.stages = [{ duration: 15_000, target: 500 }];
      x.scenario.connections = 1500;
      x.scenario.duration = 20_000;
    }));
    assert.equal(cmp.inputs.rate, 20);
    assert.deepEqual(cmp.inputs.stages, [{ duration: 15_000, target: 500 }]);
    assert.equal(cmp.plan.newConnPerSec, 500);
    assert.match(cmp.sources['rate']!, /^result: scenario\.rate and stages \(open loop/);
    const row = (label: string) => cmp.rows.find((r) => r.label.startsWith(label))!.predicted;
    assert.equal(row('time to exhaustion'), 7305.4);
    assert.equal(row('TIME_WAIT peak'), 1000);
    assert.equal(row('client ports in play'), 1000);
    assert.match(renderPlanFromResult(cmp, 'ramp.json'), /time to exhaustion {8}7\.31 s, then connect\(\) fails with EADDRNOTAVAIL/);
    // Each client host of a routed lab runs the ramp of its own.
    const lab = planFromResult(run((x) => {
      x.scenario.rate = 20;
      x.scenario.stages = [{ duration: 15_000, target: 500 }];
      x.scenario.environment = { ...x.scenario.environment, topology: 'routed', clients: 2 } as typeof x.scenario.environment;
    }));
    assert.deepEqual(lab.inputs.stages, [{ duration: 15_000, target: 1000 }]);
  });
});

describe('plan --from: a result without scenario.client', () => {
  it('takes the defaults (one source address, connect() picks the port) instead of crashing', () => {
    // The result schema does not require the client block; plan --from used to exit 1 with
    // "internal error: TypeError: Cannot read properties of undefined (reading 'sourceAddresses')".
    const r = run((x) => (x.scenario.connections = 1500));
    delete (r.scenario as Partial<RunResult['scenario']>).client;
    const cmp = planFromResult(r);
    assert.equal(cmp.inputs.sources, 1);
    assert.equal(cmp.inputs.bindBeforeConnect, false);
    assert.equal(cmp.sources['sources'], 'assumed: one source address (the result has no scenario.client)');
    assert.equal(cmp.rows[0]!.predicted, 2000);
  });
});

describe('plan --from: ports that came back during the run', () => {
  it('with tcp_tw_reuse in time, the TIME_WAIT peak is the ports connect() visited, not one per connection', () => {
    // A helper's tw-reuse run: 600 connections at 100/s through 40000–40999 with tcp_tw_reuse 1
    // left 383 client TIME_WAIT; the table predicted 500 (one per connection up to half the range).
    const cmp = planFromResult(run((x) => {
      x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '1';
      x.scenario.rate = 100;
      x.scenario.connections = 600;
      x.scenario.duration = 30_000;
    }));
    assert.equal(cmp.plan.timeWait.side, 'client');
    assert.equal(cmp.rows.find((r) => r.label === 'TIME_WAIT peak (client)')!.predicted, 371);
  });

  it('the ports in play are the connections before the first shortage, not every one', () => {
    // A helper's tw-reuse run: 700/s through 500 ports with tcp_tw_reuse 1 ran out at 714.5 ms
    // after 500 connections, then got ports back each second: 1,000 established in all, and the
    // row read "500 predicted, 1,000 measured, +100 %".
    const cmp = planFromResult(run((x) => {
      x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
      x.environment.sysctls['net.ipv4.tcp_tw_reuse'] = '1';
      x.scenario.rate = 700;
      x.scenario.connections = 1400;
      x.summary.durationMs = 2050;
      x.summary.connections = { ...x.summary.connections, attempted: 1400, established: 1000, completed: 1000, failed: 400 };
      x.summary.ports = { ...x.summary.ports, distinct: 500, reused: 500, reuses: 500, exhaustedAtMs: x.load.startMs + 714.5, establishedBeforeExhaustion: 500 };
    }));
    const row = cmp.rows.find((r) => r.label.startsWith('client ports in play'))!;
    assert.equal(row.label, 'client ports in play (connections established before the first shortage)');
    assert.deepEqual([row.predicted, row.measured, row.errorPct], [500, 500, 0]);
    // Without reuse no port comes back within 60 s: a port reused toward a second destination is
    // the pool too (bind-before-connect with IP_BIND_ADDRESS_NO_PORT: 1,000 of 1,000).
    const twoDestinations = planFromResult(run((x) => {
      x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
      x.scenario.server = { ...x.scenario.server, ports: 2 };
      x.scenario.connections = 1040;
      x.summary.durationMs = 2050;
      x.summary.connections = { ...x.summary.connections, attempted: 1040, established: 1000, completed: 1000, failed: 40 };
      x.summary.ports = { ...x.summary.ports, distinct: 500, reused: 500, reuses: 500, exhaustedAtMs: x.load.startMs + 1000, establishedBeforeExhaustion: 998 };
    }));
    const both = twoDestinations.rows.find((r) => r.label.startsWith('client ports in play'))!;
    assert.deepEqual([both.label, both.predicted, both.measured], ['client ports in play (connections established)', 1000, 1000]);
  });
});
