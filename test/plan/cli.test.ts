// `twstorm plan` from the command line: defaults from this machine, stated assumptions, JSON.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const twstorm = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) =>
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
  );

describe('twstorm plan (CLI)', () => {
  it('--json with a given range: the known answer, and which inputs were assumed', async () => {
    const { code, stdout } = await twstorm(['plan', '--port-range', '32768 60999', '--tw-reuse', '0', '--max-tw-buckets', '262144', '--rate', '1000', '--hz', '250', '--json']);
    assert.equal(code, 0);
    const out = JSON.parse(stdout) as { inputs: { sources: number }; sources: Record<string, string>; plan: { perDestinationPerSec: number; exhaustionSec: number } };
    // 28,232 ports ÷ (60 s + 2.048 s, the timer wheel's granule at HZ 250).
    assert.equal(out.plan.perDestinationPerSec, 28232 / 62.048);
    assert.equal(out.sources['timerHz'], 'given: HZ 250');
    assert.ok(Math.abs(out.plan.exhaustionSec - 28.232) < 1e-9);
    assert.equal(out.sources['portRange'], 'given');
    assert.equal(out.sources['sources'], 'assumed: 1');
    assert.match(out.sources['timeWaitSec']!, /TCP_TIMEWAIT_LEN/);
  });

  it('text output names the formula and the fixes', async () => {
    const { code, stdout } = await twstorm(['plan', '--port-range', '32768 60999', '--tw-reuse', '0', '--rate', '1000', '--sources', '2', '--hz', '1000']);
    assert.equal(code, 0);
    assert.match(stdout, /timer lateness +up to 4\.096 s after that \(the timer wheel's granule at HZ 1000\): ports come back only then {2}— given: HZ 1000/);
    assert.match(stdout, /sustainable new conn\/s\s+880\.9 per destination, 880\.9 in total\s+\(= 2 × 28,232 ports ÷ 64\.1 s × 1 destination\)/);
    assert.match(stdout, /DOES NOT FIT/);
    assert.match(stdout, /use 3 source addresses instead of 2/);
  });

  it('--reserved-ports plans for another machine\'s list: only those inside the range count, and "" is none', async () => {
    // A capacity audit: plain plan could only apply this machine's list to a range given by hand.
    const [some, none] = await Promise.all([
      twstorm(['plan', '--port-range', '40000 40999', '--reserved-ports', '8080, 40000-40199', '--rate', '500', '--tw-reuse', '0', '--hz', '250']),
      twstorm(['plan', '--port-range', '40000 40999', '--reserved-ports', '', '--rate', '500', '--tw-reuse', '0', '--hz', '250']),
    ]);
    assert.equal(some.code, 0, some.stderr);
    assert.match(some.stdout, /port range {16}40000–40999, 200 reserved \(given\)/);
    assert.match(some.stdout, /= 1 × 800 ports ÷ 62\.0 s/);
    assert.match(some.stdout, /time to exhaustion {8}1\.60 s/);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /= 1 × 1,000 ports ÷ 62\.0 s/);
  });

  it('--timestamps 0 turns tcp_tw_reuse off; --per-socket-range has no parity half and widens client.portRange', async () => {
    const [off, on, perSocket] = await Promise.all([
      twstorm(['plan', '--port-range', '40000 40499', '--tw-reuse', '1', '--timestamps', '0', '--rate', '400', '--json']),
      twstorm(['plan', '--port-range', '40000 40499', '--tw-reuse', '1', '--timestamps', '1', '--rate', '400', '--json']),
      twstorm(['plan', '--port-range', '40000 40499', '--tw-reuse', '0', '--per-socket-range', '--rate', '400']),
    ]);
    assert.equal(off.code, 0, off.stderr);
    const o = JSON.parse(off.stdout) as { sources: Record<string, string>; plan: { fits: boolean; reuseInForce: boolean; exhaustionSec: number } };
    assert.equal(o.sources['timestamps'], 'given');
    assert.equal(o.plan.reuseInForce, false);
    assert.equal(o.plan.fits, false);
    assert.ok(Math.abs(o.plan.exhaustionSec - 1.25) < 1e-9);
    assert.equal((JSON.parse(on.stdout) as { plan: { fits: boolean } }).plan.fits, true);
    assert.equal(perSocket.code, 0, perSocket.stderr);
    assert.match(perSocket.stdout, /port range {16}40000–40499 per socket \(IP_LOCAL_PORT_RANGE\)/);
    assert.match(perSocket.stdout, /- widen client\.portRange \(IP_LOCAL_PORT_RANGE\) to at least/);
  });

  it('bad input is a usage error (exit 2) saying what was expected', async () => {
    const { code, stderr } = await twstorm(['plan', '--port-range', 'lots']);
    assert.equal(code, 2);
    assert.match(stderr, /--port-range: expected "LOW HIGH"/);
    // Each of these used to answer another question with exit 0 (a helper's audit).
    const cases: Array<[string[], RegExp]> = [
      [['--rate'], /^twstorm: --rate: expected a number after it, got none/],
      [['--rate='], /^twstorm: --rate: expected a number after it, got none/],
      [['--rate', '10', '--max-tw-buckets', '-1'], /^twstorm: --max-tw-buckets: expected a whole number of at least 0, got -1/],
      [['--rate', '10', '--tw-sock-bytes', '-100'], /^twstorm: --tw-sock-bytes: expected a whole number of at least 1, got -100/],
      [['--rate', '10', '--sources', '1.5'], /^twstorm: --sources: expected a whole number of at least 1, got 1\.5/],
      [['--keep-alive', '50%'], /^twstorm: --keep-alive is a share of the offered rate: give --rate too/],
      [['--from', ''], /^twstorm: --from: expected a result JSON file after it, got none/],
      [['--reserved-ports', '40000-3999'], /^twstorm: --reserved-ports: expected ports and ranges like "8080,40000-40199" within 0–65535 \(or "" for none\), got "40000-3999"/],
      [['--reserved-ports', 'x', '--rate', '1'], /^twstorm: --reserved-ports: expected ports/],
      [['--rate', '10', '--timestamps', '3'], /--timestamps/],
      [['--rate', '10', '--hz', '2.5'], /^twstorm: --hz: expected the kernel's CONFIG_HZ, a whole number like 100, 250, 300 or 1000, got 2\.5/],
      [['--rate', '10', '--hz'], /^twstorm: --hz: expected a number after it, got none/],
    ];
    // ipv4_local_port_range() refuses a low bound below ip_unprivileged_port_start (1024 by
    // default; a container may have lowered it, and then 80 is a range it takes).
    const floor = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (floor > 80) cases.push([['--port-range', '80 1000'], new RegExp(`^twstorm: --port-range: the low bound 80 is below net\\.ipv4\\.ip_unprivileged_port_start \\(${floor} here\\), and the kernel refuses such an ip_local_port_range \\(EINVAL\\); start it at ${floor} or above`)]);
    const runs = await Promise.all(cases.map(([args]) => twstorm(['plan', ...args])));
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
    }
  });

  it('--nat-pool counts one pool address per source address: 4x100 is 100 tuples for one source, 300 at most for three', async () => {
    // An audit, measured on 6.18: one client host behind 4 x 100 held 100 flows (the kernel hashes
    // source and destination address to one pool address), where the plan said 400.
    const [one, three] = await Promise.all([
      twstorm(['plan', '--nat-pool', '4x100', '--rate', '10', '--port-range', '40000 40999']),
      twstorm(['plan', '--nat-pool', '4x100', '--rate', '10', '--port-range', '40000 40999', '--sources', '3']),
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /open flows at once {6}≤ 100 \(over 1 destination\(s\)\)/);
    assert.match(three.stdout, /open flows at once {6}≤ 300 \(over 1 destination\(s\)\)/);
  });

  it('--nat-pool with --closer rst: the router keeps a CLOSE entry 10 s, so --conntrack-time-wait is refused there', async () => {
    const [rst, refused] = await Promise.all([
      twstorm(['plan', '--nat-pool', '1x100', '--closer', 'rst', '--rate', '50', '--port-range', '40000 40999']),
      twstorm(['plan', '--nat-pool', '1x100', '--closer', 'rst', '--rate', '50', '--conntrack-time-wait', '30']),
    ]);
    assert.equal(rst.code, 0, rst.stderr);
    assert.match(rst.stdout, /new connections\/s {7}< 10 where conntrack CLOSE entries \(an RST ends each flow\) hold their tuple 10 s \(nf_conntrack_tcp_timeout_close\)/);
    assert.match(rst.stdout, /at 50 new connections\/s the pool is full after 2 s on such kernels/);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^twstorm: --conntrack-time-wait is not used with --closer rst: an RST leaves the router's entry in CLOSE \(nf_conntrack_tcp_timeout_close, 10 s\), not TIME_WAIT; drop it/);
  });

  it('an input that would be ignored is refused: model flags with --from, --conntrack-time-wait without --nat-pool', async () => {
    const [from, ct] = await Promise.all([
      twstorm(['plan', '--from', 'r.json', '--rate', '5', '--sources=4', '--timestamps', '0']),
      twstorm(['plan', '--rate', '100', '--conntrack-time-wait', '60']),
    ]);
    assert.equal(from.code, 2);
    assert.match(from.stderr, /^twstorm: --from takes every input from the result, so --sources, --timestamps, --rate would be ignored: drop them, or leave out --from to model them/);
    assert.equal(ct.code, 2);
    assert.match(ct.stderr, /^twstorm: --conntrack-time-wait is the NAT model's: give --nat-pool too/);
  });
});
