import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oneChange } from '../../../src/report/verdict.js';
import { story } from '../../../src/report/story.js';
import { ConnectFill } from '../../../src/metrics/connect-fill.js';
import { connectFillData } from '../../../src/result/connect-fill-data.js';
import { percentilesMs } from '../../../src/metrics/histograms.js';
import { connectFillSummary } from '../../../src/result/connect-cliff.js';
import type { RunResult } from '../../../src/result/model.js';
import { asLab, finding, makeResult } from '../make-result.js';

/**
 * A run's connect-fill figures as build.ts makes them: `n` connections into an `n`-port range
 * from 40000, one a millisecond, held = connections so far; even ports first, as the kernel
 * hands them out; each connect takes `usOf(port, held)`.
 */
function withConnects(n: number, usOf: (odd: boolean, held: number) => number, rangeSize = n, clientHoldsPorts = true): (r: RunResult) => void {
  return (r) => {
    const f = new ConnectFill(100, 'connect-call');
    for (let i = 0; i < n; i++) {
      const odd = i >= n / 2;
      const port = 40000 + (odd ? 2 * (i - n / 2) + 1 : 2 * i);
      f.record(200 + i, port, i + 1, usOf(odd, i + 1));
    }
    recordFill(r, f, n, rangeSize, clientHoldsPorts);
  };
}

/** The result's figures from the recorded connects, as build.ts derives them. */
function recordFill(r: RunResult, f: ConnectFill, n: number, rangeSize: number, clientHoldsPorts: boolean): void {
  const range = { low: 40000, high: 40000 + rangeSize - 1, size: rangeSize };
  r.summary.ports.range = range;
  r.environment.sysctls['net.ipv4.ip_local_port_range'] = `${range.low} ${range.high}`;
  r.load = { startMs: 200, endMs: 200 + n };
  r.connectFill = connectFillData(f);
  r.summary.connectFill = connectFillSummary(r.connectFill, range, percentilesMs(f.even), percentilesMs(f.odd), clientHoldsPorts);
  f.even.destroy();
  f.odd.destroy();
}

/** `n` connects on even ports only (none of the second parity yet) into a `rangeSize`-port range from 40000, one a millisecond. */
function withEvenConnects(n: number, usOf: (held: number) => number, rangeSize: number): (r: RunResult) => void {
  return (r) => {
    const f = new ConnectFill(100, 'connect-call');
    for (let i = 0; i < n; i++) f.record(200 + i, 40000 + 2 * i, i + 1, usOf(i + 1));
    recordFill(r, f, n, rangeSize, true);
  };
}

describe('verdict rule: connect() slowing as the range fills (verdict/connect-cliff.ts)', () => {
  it('names the cliff (ports held, share of the range, time into the load, how much slower), the parity cause and the remedy', () => {
    // ~12 µs while even ports are free; past half, the walk over 2,000 even ports: ~600 µs.
    const r = makeResult(withConnects(4000, (odd, held) => (odd ? 600 + (held % 7) * 10 : 12 + (held % 3))));
    const f = finding(r, 'connect-cliff');
    assert.ok(f, 'the rule fires');
    assert.equal(f.alert, true);
    assert.match(f.text, /^The connect\(\) call became \d+(\.\d)?× slower once 1,9\d\d ports were held \(\d\d% of the 4,000-port range\), 1\.\d\d s into the load/);
    assert.match(f.text, /p50 0\.01\d → 0\.6\d+ ms/);
    assert.match(f.text, /even ports first \(the parity of the range's low end, 40000\), then odd: the first odd port was handed out only when 2,001 ports were held \(the range has 2,000 even ones\)/);
    assert.match(f.text, /tcp_tw_reuse=1/);
    assert.match(f.text, /IP_BIND_ADDRESS_NO_PORT/);
    assert.match(f.text, /wider net\.ipv4\.ip_local_port_range/);
    assert.match(f.text, /fewer client-first closes/);
    // The terminal summary says it too, in one line.
    assert.ok(story(r).some((l) => /^connect\(\) became \d+(\.\d)?× slower .* once 1,9\d\d ports were held \(\d\d% of the range\), 1\.\d\d s into the load: the kernel walks every held even port in connect\(\) before it tries an odd one\.$/.test(l)));
    // Nothing ran out, so the port walk is the one change.
    const c = oneChange(r);
    assert.equal(c.rule, 'connect-scan');
    assert.match(c.why, /connect\(\) became \d+(\.\d)?× slower/);
  });

  it('in a lab of several client hosts it says whose connects these are: the first host\'s, each walking its own range', () => {
    // An audit: several-clients' cliff read client1's figures as the lab's.
    const r = makeResult((x) => {
      withConnects(4000, (odd, held) => (odd ? 600 + (held % 7) * 10 : 12 + (held % 3)))(x);
      asLab(x, 3);
    });
    const on = 'On client1 (of 3 client hosts, each walking its own range): ';
    assert.ok(finding(r, 'connect-cliff')!.text.startsWith(`${on}The connect() call became`), finding(r, 'connect-cliff')!.text);
    assert.ok(story(r).some((l) => l.startsWith(`${on}connect() became`)), story(r).join('\n'));
    assert.ok(oneChange(r).why.startsWith(`${on}connect() became`), oneChange(r).why);
    // One client host's connects are the whole load: nothing to name.
    const one = makeResult((x) => {
      withConnects(4000, (odd, held) => (odd ? 600 + (held % 7) * 10 : 12 + (held % 3)))(x);
      asLab(x, 1);
    });
    assert.match(finding(one, 'connect-cliff')!.text, /^The connect\(\) call became/);
  });

  it('names the parity walk only where the run shows it: not at 26 % of the range with no odd port handed out', () => {
    // An audit: "the kernel walks every held even port before it tries an odd one" at 26 % fill,
    // where no odd port had been tried and the first parity was half free.
    const r = makeResult(withEvenConnects(1600, (held) => (held > 1040 ? 200 : 12), 4000));
    const cliff = r.summary.connectFill!.cliff!;
    assert.ok(cliff.atFill! >= 0.25 && cliff.atFill! < 0.3, `cliff at ${cliff.atFill}`);
    assert.equal(r.summary.connectFill!.odd.count, 0);
    const line = story(r).find((l) => /^connect\(\) became/.test(l))!;
    assert.doesNotMatch(line, /walks every held even port/);
    assert.match(line, /: connect\(\) steps over the held ports of its pool before it finds a free one, more of them the fuller the pool, but no odd port was needed yet\.$/);
    assert.doesNotMatch(oneChange(r).why, /one parity/);
    assert.doesNotMatch(finding(r, 'connect-cliff')!.text, /walked all the even ports/);
    // Two destinations: each walk meets only its own destination's ports, about half the count.
    const two = makeResult((x) => {
      withEvenConnects(1600, (held) => (held > 1040 ? 200 : 12), 4000)(x);
      x.scenario = { ...x.scenario, server: { ...x.scenario.server, ports: 2 } } as RunResult['scenario'];
    });
    assert.match(finding(two, 'connect-cliff')!.text, /, about 5\d\d toward each of the 2 destinations \(1\d(\.\d)?% of each pool\)/);
    // The first test's run, with odd ports handed out past half: the parity walk is named.
    const half = makeResult(withConnects(4000, (odd, held) => (odd ? 600 + (held % 7) * 10 : 12 + (held % 3))));
    assert.ok(story(half).some((l) => /the kernel walks every held even port in connect\(\) before it tries an odd one\.$/.test(l)));
  });

  it('a slow start and scattered slow connects before the cliff do not move it off half the range', () => {
    // The first 64 connects slow (cold start), and every 20th even one a busy-machine stall.
    const r = makeResult(withConnects(4000, (odd, held) => (odd ? 600 : held <= 64 || held % 20 === 0 ? 900 : 12)));
    const cliff = r.summary.connectFill!.cliff!;
    assert.ok(cliff.atHeld >= 1900 && cliff.atHeld <= 2000, `cliff at ${cliff.atHeld}`);
    assert.ok(cliff.atMs! > r.load.startMs);
  });

  it('says "connect latency" when the net fallback timed connect to established', () => {
    const r = makeResult(withConnects(4000, (odd) => (odd ? 900 : 150)));
    r.connectFill!.measure = 'established';
    assert.match(finding(r, 'connect-cliff')!.text, /^Connect latency became/);
  });

  it('does not fire on a flat run, nor on noise that doubles the latency, nor on results without the figures', () => {
    assert.equal(finding(makeResult(withConnects(4000, () => 12)), 'connect-cliff'), undefined);
    assert.equal(finding(makeResult(withConnects(4000, (odd) => (odd ? 25 : 12))), 'connect-cliff'), undefined);
    // Slow but only by microseconds: no cliff.
    assert.equal(finding(makeResult(withConnects(4000, (odd) => (odd ? 6 : 1))), 'connect-cliff'), undefined);
    assert.equal(finding(makeResult(), 'connect-cliff'), undefined);
    assert.notEqual(oneChange(makeResult(withConnects(4000, () => 12))).rule, 'connect-scan');
    assert.ok(!story(makeResult(withConnects(4000, () => 12))).some((l) => /connect\(\) became/.test(l)));
  });

  it('does not fire where the port scan cannot be the cause: a few % of a wide range held, or no client port held at all', () => {
    // 4× slower past 400 of 28,232 ports (1.4 %): the walk then probes ~1.03 ports, not 4×.
    const early = makeResult(withConnects(800, (_odd, held) => (held > 400 ? 48 : 12), 28_232));
    assert.equal(early.summary.connectFill!.cliff, null);
    assert.equal(finding(early, 'connect-cliff'), undefined);
    assert.ok(!story(early).some((l) => /connect\(\) became/.test(l)));
    // The same cliff as the first test's, but the server closes first: the client holds no port.
    const serverFirst = makeResult(withConnects(4000, (odd) => (odd ? 600 : 12), 4000, false));
    assert.equal(serverFirst.summary.connectFill!.cliff, null);
    assert.equal(finding(serverFirst, 'connect-cliff'), undefined);
    // With the ports held and the range filling, the same figures are a cliff.
    assert.notEqual(makeResult(withConnects(4000, (odd) => (odd ? 600 : 12))).summary.connectFill!.cliff, null);
  });
});
