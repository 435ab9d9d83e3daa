import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { story } from '../../../src/report/story.js';
import { renderTerminalSummary } from '../../../src/report/terminal.js';
import { addErrors, asLab, finding, makeHttpResult, makeResult } from '../make-result.js';
import type { RunResult } from '../../../src/result/model.js';
import type { LabFacts } from '../../../src/result/lab.js';
import { rateBeforeExhaustion, shortageHosts } from '../../../src/result/figures.js';
import { renderHtmlReport } from '../../../src/report/html/index.js';

/** A run whose 500-port range ran out `atMs` into the run clock, the load having begun at `loadStartMs`. */
const ranOut = (loadStartMs: number, atMs: number, edit: (x: RunResult) => void): RunResult =>
  makeResult((x) => {
    x.load = { startMs: loadStartMs, endMs: loadStartMs + 500 };
    x.summary.ports.exhaustedAtMs = atMs;
    x.summary.ports.range = { low: 40000, high: 40499, size: 500 };
    x.summary.ports.distinct = 500;
    edit(x);
  });

describe('verdict rule: client ports and their exhaustion (verdict/port-exhaustion.ts)', () => {
  it('ports: ran out, with when, the range and the EADDRNOTAVAIL count', () => {
    // exhaustedAtMs is on the run clock; the load began 150 ms into it, so 0.25 s of load.
    const r = ranOut(150, 400, (x) => addErrors(x, 'EADDRNOTAVAIL', 'connect', 200));
    const f = finding(r, 'ports')!;
    assert.equal(f.alert, true);
    assert.equal(f.text, 'Ran out 0.25 s into the load: the range 40000–40499 has 500 ports, 500 distinct ports were used, and 200 connects failed with EADDRNOTAVAIL.');
  });

  it('ports: named ports (client.localPorts) that ran out are named as such, never as the ephemeral range', () => {
    // An audit: 10 named ports, SO_REUSEADDR, 2,000/s: 52 connects found every port busy with a live
    // connection, and the story said "The ephemeral port range (28,232 ports, 32768–60999) ran out".
    const r = ranOut(0, 9, (x) => {
      x.summary.ports.range = { low: 32768, high: 60999, size: 28_232 };
      x.summary.ports.distinct = 10;
      x.scenario.client = { ...x.scenario.client, bind: true, localPorts: '40000-40009', reuseAddr: true };
      addErrors(x, 'EADDRNOTAVAIL', 'connect', 52);
    });
    assert.equal(finding(r, 'ports')!.text, 'Ran out 9.00 ms into the load: the client names 10 ports, 40000–40009, 10 distinct ports were used, and 52 connects failed with EADDRNOTAVAIL.');
    const sentences = story(r);
    assert.ok(sentences.includes('The 10 ports the client names (client.localPorts 40000–40009) ran out after 9.00 ms of load: 52 connects failed with EADDRNOTAVAIL.'), sentences.join('\n'));
    assert.equal(sentences.some((t) => /ephemeral/.test(t)), false, sentences.join('\n'));
    assert.match(renderTerminalSummary(r), /^ports .*; range 40000–40009 \(10, named by the client\); exhausted at 9\.00 ms into the load/m);
    // The change: ports for rate × the slowest connections' life, not the reuse gap, which is
    // ports ÷ rate by construction (an audit: "ran out … needs about 9 ports").
    r.scenario.rate = 2000;
    r.summary.kernel['TcpExtTWRecycled'] = 1938;
    r.summary.ports.medianReuseIntervalMs = 5;
    r.scenario.connections = 2000;
    r.summary.latencyMs.life = { ...r.summary.latencyMs.total, count: 1948, mean: 0.9, p99: 10.4, max: 52 };
    const change = oneChange(r);
    assert.equal(change.change, 'Name more ports (client.localPorts)');
    assert.equal(
      change.why,
      'The 10 named ports ran short 9.00 ms into the load: each is held while its connection is open and comes back in turn, so the slowest connections decide: 10.4 ms (life p99); ' +
        'at 2,000/s this load needs about 21 named ports. With 21, only connections slower than 10.4 ms (the slowest 1 %) find theirs busy; with 104, none would (the slowest lived 52.0 ms).',
    );
    // Two source addresses and two destinations: each named port carries 4 4-tuples a turn (a
    // review: the verdict said 21 where the plan said 6).
    r.scenario.client = { ...r.scenario.client, sourceAddresses: ['127.0.0.2', '127.0.0.3'] };
    r.scenario.server = { ...r.scenario.server, ports: 2 };
    assert.match(oneChange(r).why, /this load needs about 6 named ports \(each serves 2 source addresses, each 2 destinations apart\)\./);
    // The server closing first leaves no TIME_WAIT to take over, and still a port per open connection.
    r.scenario.client = { ...r.scenario.client, sourceAddresses: [], reuseAddr: false };
    r.scenario.server = { ...r.scenario.server, ports: 1 };
    if (r.scenario.protocol === 'tcp') r.scenario.close = { ...r.scenario.close, first: 'server' };
    assert.match(oneChange(r).why, /held while its connection is open and comes back in turn.*needs about 21 named ports/);
  });

  it('ports: named ports under a ramp (stages) are judged at its peak, not at the rate it starts from', () => {
    // An audit: rate 20 ramping to 600/s over 3 s, 200 named ports, 1,500 connections: "at 20/s
    // this load needs about 1,200 named ports" (20 × 60 s), where the ramp asked 600/s.
    const ramped = (stages: Array<{ duration: number; target: number }>): RunResult =>
      makeResult((x) => {
        x.scenario.rate = 20;
        x.scenario.stages = stages;
        x.scenario.connections = 1500;
        x.scenario.client = { ...x.scenario.client, bind: true, localPorts: '40000-40199' };
        x.summary.ports = { ...x.summary.ports, distinct: 200, exhaustedAtMs: 1340 };
        addErrors(x, 'EADDRINUSE', 'bind', 1300);
      });
    const up = oneChange(ramped([{ duration: 3000, target: 600 }]));
    assert.match(up.why, /; at the ramp's peak of 600\/s this load needs about 1,500 named ports\./, up.why);
    // Flat (no stages), the rate itself, in the same words as before: 20/s × 62.048 s (60 s and HZ 250's granule).
    assert.match(oneChange(ramped([])).why, /; at 20\/s this load needs about 1,241 named ports\./);
    // A ramp down from its start: the start is the peak.
    assert.match(oneChange(ramped([{ duration: 3000, target: 5 }])).why, /; at 20\/s this load needs about 1,241 named ports\./);
  });

  it('ports: a merge of shards, or a lab, says its exhaustion time is the first slice\'s or host\'s to run out', () => {
    const r = ranOut(0, 60, (x) => {
      addErrors(x, 'EADDRNOTAVAIL', 'connect', 10);
      (x as RunResult & { merged: unknown }).merged = { contributors: [{ shard: { index: 0, count: 2 } }, { shard: { index: 1, count: 2 } }], warnings: [] };
    });
    assert.match(finding(r, 'ports')!.text, /^Ran out 0\.06 s into the load \(the first of 2 shards' slices of the range\): the range 40000–40499 has 500 ports/);
    assert.ok(story(r).some((l) => /ran out after 0\.06 s of load \(the first of 2 shards' slices of the range\): 10 connects failed/.test(l)), story(r).join('\n'));
    // A routed lab: the first client host's range to run out.
    const lab = ranOut(0, 60, (x) => asLab(x, 2));
    assert.match(finding(lab, 'ports')!.text, /^Ran out 0\.06 s into the load \(the first of 2 client hosts' ranges\): each of the 2 client hosts has the range/);
    // Copies (not shards) each had the whole range: nothing to add.
    const copies = ranOut(0, 60, (x) => ((x as RunResult & { merged: unknown }).merged = { contributors: [{ shard: null }, { shard: null }], warnings: [] }));
    assert.match(finding(copies, 'ports')!.text, /^Ran out 0\.06 s into the load: the range/);
  });

  it('ports: bind-before-connect runs out at bind(): its EADDRINUSE is the shortage, said once, not an "other" error', () => {
    const r = ranOut(0, 60, (x) => {
      x.summary.errors = { EADDRINUSE: 703, ECONNRESET: 2 };
      x.errors = { EADDRINUSE: { total: 703, byPhase: { bind: 700, connect: 3 } }, ECONNRESET: { total: 2, byPhase: { read: 2 } } };
    });
    assert.equal(finding(r, 'ports')!.text, 'Ran out 0.06 s into the load: the range 40000–40499 has 500 ports, 500 distinct ports were used, and 700 binds failed with EADDRINUSE.');
    const lines = story(r);
    assert.ok(lines.some((l) => /ran out after 0\.06 s of load: 700 binds failed with EADDRINUSE\.$/.test(l)), lines.join('\n'));
    // Only what is not the shortage: the 3 connect-phase EADDRINUSE and the resets.
    assert.ok(lines.includes('Other client errors: EADDRINUSE 3, ECONNRESET 2.'), lines.join('\n'));
  });

  it('ports: EADDRNOTAVAIL from bind() is an address the host lacks, not a shortage: an "other" error, never "connects failed"', () => {
    const r = makeResult((x) => addErrors(x, 'EADDRNOTAVAIL', 'bind', 40));
    const f = finding(r, 'ports')!;
    assert.equal(f.alert, false);
    assert.doesNotMatch(f.text, /EADDRNOTAVAIL/);
    const lines = story(r);
    assert.ok(lines.includes('Other client errors: EADDRNOTAVAIL 40.'), lines.join('\n'));
    assert.ok(!lines.some((l) => /connects failed/.test(l)), lines.join('\n'));
    // The same count at connect() is the shortage, and told as one.
    const connect = makeResult((x) => addErrors(x, 'EADDRNOTAVAIL', 'connect', 40));
    assert.ok(!story(connect).some((l) => /^Other client errors/.test(l)), story(connect).join('\n'));
  });

  it('ports: never ran out, with the share held and the reuse gaps', () => {
    const r = makeResult((x) => {
      x.summary.ports.reuses = 40;
      x.summary.ports.minReuseIntervalMs = 1001;
      x.summary.ports.medianReuseIntervalMs = 1005;
    });
    const f = finding(r, 'ports')!;
    assert.equal(f.alert, false);
    assert.match(f.text, /^Never ran out: at most 1,000 client ports were held at once \(3\.5% of the range\)/);
    assert.match(f.text, /40 connections got a port used before; the shortest gap was 1,001 ms, the median 1,005 ms/);
  });

  it('a routed lab: each client host has a range of its own, so the share held is of all of them, and none needs widening', () => {
    // A figures audit's 2-host lab: 1,950 connections from each host, 2,000 ports in each, 3,900
    // held at the peak. Read against one range it said "195 % of the range" and advised widening it.
    const lab = makeResult((x) => {
      x.scenario.connections = 1950;
      x.summary.connections = { ...x.summary.connections, attempted: 3900, established: 3900, completed: 3900, ratePerSec: 3273 };
      x.summary.ports = { ...x.summary.ports, distinct: 3900, peakInUse: 64, exhaustedAtMs: null, range: { low: 40000, high: 41999, size: 2000 } };
      x.summary.timeWait = { ...x.summary.timeWait, peak: 3900, peakClient: 3900, peakServer: 0, end: 3900, sockstatPeak: 3900 };
      x.series.census = { t: [0, 1000], client: { TIME_WAIT: [0, 3900] }, server: {} };
      asLab(x, 2);
    });
    const f = finding(lab, 'ports')!;
    assert.match(f.text, /^Never ran out: at most 3,900 client ports were held at once \(98% of the 2 ranges\); each of the 2 client hosts has the range 40000–41999, 2,000 ports\./);
    assert.notEqual(oneChange(lab).rule, 'widen-port-range');
  });

  it('widen-port-range: ran out, and the load fits in a wider range', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 700;
        x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 200, range: { low: 40000, high: 40499, size: 500 } };
        addErrors(x, 'EADDRNOTAVAIL', 'connect', 200);
      }),
    );
    assert.equal(c.rule, 'widen-port-range');
    assert.match(c.why, /needs about 700 ports per destination/);
    assert.match(c.why, /A range of at least 700 ports/);
  });

  it('widen-port-range with client.portRange: the per-socket range is the one to widen', () => {
    // Seen in the report of client-closes-first --set client.portRange=40000-40100: its 101 ports
    // ran out and the change named net.ipv4.ip_local_port_range, 28,232 ports wide already.
    const r = ranOut(0, 20, (x) => {
      x.scenario.connections = 700;
      x.scenario.client = { ...x.scenario.client, portRange: '40000-40499' };
      addErrors(x, 'EADDRNOTAVAIL', 'connect', 200);
    });
    const c = oneChange(r);
    assert.equal(c.rule, 'widen-port-range');
    assert.equal(c.change, 'Widen client.portRange (or add source addresses)');
    assert.match(c.why, /A range of at least 700 ports .* covers it, with net\.ipv4\.ip_local_port_range at least as wide/);
  });

  it('two destinations: connect() needs a port per destination; bind() before connect() shares the range and is told IP_BIND_ADDRESS_NO_PORT', () => {
    // An audit: bind-before-connect, 1,200 connections to 2 server ports from 500 ports.
    const twoPorts = (bindAddressNoPort: boolean) =>
      makeResult((x) => {
        x.scenario.connections = 1200;
        x.scenario.client = { ...x.scenario.client, bind: true, bindAddressNoPort };
        x.scenario.server = { ...x.scenario.server, ports: 2 };
        x.server.ports = [7000, 7001];
        x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 200, range: { low: 40000, high: 40499, size: 500 } };
        addErrors(x, bindAddressNoPort ? 'EADDRNOTAVAIL' : 'EADDRINUSE', bindAddressNoPort ? 'connect' : 'bind', 200);
      });
    const noPort = oneChange(twoPorts(true));
    assert.equal(noPort.rule, 'widen-port-range');
    assert.match(noPort.why, /needs about 600 ports per destination/);
    const bound = oneChange(twoPorts(false));
    assert.equal(bound.rule, 'bind-address-no-port');
    assert.match(bound.why, /needs about 1,200 ports in all, for its 2 destinations together \(bind\(\) before connect\(\) takes a port free for every one\)\. With it connect\(\) picks the port per destination/);
    // Named ports (client.localPorts): the named range is judged, and SO_REUSEADDR is the change
    // (a review: "the 28,232-port range ran out … 150 ports per destination" of 100 named ports).
    const named = oneChange(
      makeResult((x) => {
        x.scenario.connections = 300;
        x.scenario.client = { ...x.scenario.client, bind: true, localPorts: '40000-40099' };
        x.scenario.server = { ...x.scenario.server, ports: 2 };
        x.summary.ports = { ...x.summary.ports, distinct: 100, exhaustedAtMs: 100 };
        addErrors(x, 'EADDRINUSE', 'bind', 96);
      }),
    );
    assert.equal(named.change, 'Set SO_REUSEADDR on the client (client.reuseAddr: true), or name more ports (client.localPorts)');
    assert.match(named.why, /^The 100 named ports ran short .*: each is held 60 s in TIME_WAIT and up to 2\.05 s more \(the kernel's timer wheel at HZ 250\); at [\d,]+\/s this load needs about 300 named ports \(each bound once for all 2 destinations\)\./);
  });

  it('widen-port-range also fires on a projection: the rate would exhaust the range within TIME_WAIT', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 1_000_000;
        x.summary.connections.ratePerSec = 600; // 36,000 ports per 60 s > 28,232, < 64,512
      }),
    );
    assert.equal(c.rule, 'widen-port-range');
    assert.match(c.why, /At 600 new connections\/s the 28,232-port range would run out after 47\.1 s/);
  });

  it('TIME_WAIT on both sides: only the connections that left theirs on the client hold a port', () => {
    // Measured: http-connection-close (policy close-after) at 500/s through 500 ports, 1,500
    // connections, 3 client and 247 server TIME_WAIT (a few FINs cross): nothing ran out, plan
    // said fits, and the verdict said "the 500-port range would run out after 2.54 s".
    const close = (peakClient: number) =>
      oneChange(
        makeHttpResult((x) => {
          x.scenario.http = { ...x.scenario.http, client: 'keepalive', policy: 'close-after', requests: 1500 };
          x.scenario.rate = 500;
          x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
          x.summary.connections = { ...x.summary.connections, attempted: 1500, established: 1500, completed: 1500, ratePerSec: 197 };
          x.summary.requests = { total: 1500, ok: 1500, failed: 0, ratePerSec: 197, perConnection: 1 };
          x.summary.timeWait = { peak: peakClient + 247, peakClient, peakServer: 247, end: peakClient + 247, sockstatPeak: peakClient + 247 };
          x.summary.ports = { ...x.summary.ports, distinct: 250, exhaustedAtMs: null, range: { low: 40000, high: 40499, size: 500 } };
        }),
      );
    assert.doesNotMatch(close(3).why, /would run out/);
    // Most connections leaving their TIME_WAIT on the client do hold the ports: 1,200 of 1,500.
    assert.match(close(1200).why, /^At 158 new connections\/s the 500-port range would run out after 3\.17 s/);
  });

  it('server-closes-first: no range is wide enough, but the server\'s TIME_WAIT table can hold it', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 1_000_000;
        x.summary.connections.ratePerSec = 2000; // 120,000 > 64,512 ports; ≤ 131,072 buckets
      }),
    );
    assert.equal(c.rule, 'server-closes-first');
    // One per client port and destination, not 120,000: the client's 14,116 even ports.
    assert.match(c.why, /one per client port and destination \(a port used again reopens it\): about 14,115, under its tcp_max_tw_buckets \(131,072\)/);
  });

  it('keep-alive: beyond any port range and any TIME_WAIT table', () => {
    const run = (buckets: string) =>
      oneChange(
        makeResult((x) => {
          x.scenario.connections = 10_000_000;
          x.summary.connections.ratePerSec = 8000;
          x.environment.sysctls['net.ipv4.tcp_max_tw_buckets'] = buckets;
        }),
      );
    // The server closing first would hold ~14,116 (one per client port), more than 10,000.
    const c = run('10000');
    assert.equal(c.rule, 'keep-alive');
    // 8,000/s × 62.048 s: TIME_WAIT's 60 s and the 2.048 s the timer wheel may add at HZ 250.
    assert.match(c.why, /held 60 s in TIME_WAIT and up to 2\.05 s more \(the kernel's timer wheel at HZ 250\), so this load needs about 496,384 ports/);
    // Under 131,072 it fits there: 496,384 connections a hold reopen the same 14,116 4-tuples.
    assert.equal(run('131072').rule, 'server-closes-first');
  });

  it('tcp_tw_reuse shortens the hold: the measured reuse gap replaces 60 s', () => {
    const c = oneChange(
      makeResult((x) => {
        x.scenario.connections = 1_000_000;
        x.summary.connections.ratePerSec = 2000;
        x.summary.kernel['TcpExtTWRecycled'] = 500;
        x.summary.ports.medianReuseIntervalMs = 1000;
      }),
    );
    assert.equal(c.rule, 'none');
  });

  it('one change: ports ran out because every request opened a connection → a keep-alive pool, not a wider range', () => {
    const c = oneChange(
      makeHttpResult((x) => {
        x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 250, range: { low: 40000, high: 40499, size: 500 } };
        addErrors(x, 'EADDRNOTAVAIL', 'connect', 500);
        x.summary.requests = { total: 1000, ok: 500, failed: 500, ratePerSec: 2000, perConnection: 1 };
      }),
    );
    assert.equal(c.rule, 'keep-alive');
    assert.equal(c.change, 'Reuse connections: a keep-alive pool, without reset: true');
    assert.match(c.why, /^The 500-port range ran out 0\.25 s into the load: .* needs about 1,000 ports per destination\./);
    assert.match(c.why, /Every request opened its own connection \(1 request per connection\): undici reset: true/);
    assert.match(c.why, /needs at most 16 of them/);
  });
});

describe('a routed lab\'s count before the ports ran out: each client host at its own moment', () => {
  // several-clients, measured: client1 began 1.2 s before the other two and ran out 0.71 s into
  // its load after 988 connections; client2 991 in 0.29 s, client3 999 in 0.28 s of theirs. The
  // lab's time is client1's, its count all three's: "after 2,978 connections (4,190/s)" in 0.71 s.
  const hosts = [
    { name: 'client1', established: 988, afterMs: 714.6 },
    { name: 'client2', established: 991, afterMs: 291 },
    { name: 'client3', established: 999, afterMs: 280.8 },
  ];
  const lab = (): RunResult =>
    ranOut(1000, 1714.6, (x) => {
      asLab(x, 3);
      x.summary.ports.range = { low: 40000, high: 40999, size: 1000 };
      x.summary.ports.establishedBeforeExhaustion = 2978;
      addErrors(x, 'EADDRNOTAVAIL', 'connect', 600);
      const clients = (x as RunResult & { lab: LabFacts }).lab.hosts.filter((h) => h.role === 'client');
      clients.forEach((h, i) => {
        h.summary = structuredClone(x.summary);
        h.summary.ports.establishedBeforeExhaustion = hosts[i]!.established;
        h.exhaustedAfterMs = hosts[i]!.afterMs;
      });
    });

  it('says each host\'s count, time and rate, and no lab-wide rate over the first host\'s time', async () => {
    const r = lab();
    assert.equal(rateBeforeExhaustion(r), null);
    assert.deepEqual(shortageHosts(r)!.map((h) => Math.round(h.ratePerSec!)), [1383, 3405, 3558]);
    const each = 'after 2,978 connections (each client host until its own range ran out, from its own start: client1 988 in 0.71 s, 1,383/s; client2 991 in 0.29 s, 3,405/s; client3 999 in 0.28 s, 3,558/s)';
    const terminal = renderTerminalSummary(r);
    assert.ok(terminal.includes(`; exhausted at 0.71 s into the load (the first of 3 client hosts' ranges), ${each}`), terminal);
    assert.doesNotMatch(terminal, /until the ports ran out/);
    const page = await renderHtmlReport([r]);
    assert.ok(page.includes(`the port range ran out 0.71 s into the load (the first of 3 client hosts&#39; ranges), ${each}, at the first failure`), 'the RAN OUT box');
    assert.doesNotMatch(page, /new connections\/s\), at the first failure/);
  });

  it('one client host: its count over its time, as one run\'s', () => {
    const r = ranOut(150, 400, (x) => {
      asLab(x, 1);
      x.summary.ports.establishedBeforeExhaustion = 500;
      const host = (x as RunResult & { lab: LabFacts }).lab.hosts[0]!;
      host.summary = structuredClone(x.summary);
      host.exhaustedAfterMs = 250;
    });
    assert.equal(rateBeforeExhaustion(r), 2000);
    assert.match(renderTerminalSummary(r), /; exhausted at 0\.25 s into the load, after 500 connections$/m);
  });
});
