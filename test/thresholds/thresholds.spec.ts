// Threshold expressions and figure paths: parsing, validation before a run, evaluation after.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { evaluateThresholds, formatThresholds, parseExpression, validateThresholds } from '../../src/thresholds/index.js';
import { asLab, makeResult } from '../report/make-result.js';
import { compareResults } from '../../src/index.js';
import { renderTerminalSummary } from '../../src/report/terminal.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/compare/baseline/client-closes-first-20260101T000000Z.json', import.meta.url));
const result = (): RunResult => JSON.parse(readFileSync(FIXTURE, 'utf8')) as RunResult;

describe('threshold expressions', () => {
  it('parses every operator, with or without spaces, integers and decimals', () => {
    const cases: Array<[string, string, number]> = [
      ['== 0', '==', 0], ['!= 0', '!=', 0], ['< 5', '<', 5], ['<= 5', '<=', 5],
      ['>= 3000', '>=', 3000], ['> 1', '>', 1], ['<2.5', '<', 2.5], ['  >=  0.75 ', '>=', 0.75], ['> -1', '>', -1], ['< .5', '<', 0.5],
    ];
    for (const [text, operator, value] of cases) {
      const parsed = parseExpression(text);
      assert.ok(parsed.ok, text);
      assert.deepEqual(parsed.comparison, { operator, value }, text);
    }
  });

  it('rejects what is not "operator number", and says so', () => {
    for (const text of ['5', '< ', '=< 5', '= 5', '<< 5', '< 5 6', '< five', '', '=== 0']) {
      const parsed = parseExpression(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.match(parsed.problem, /expected an operator/, text);
    }
  });

  it('rejects units with a hint that figures carry their own', () => {
    const parsed = parseExpression('< 5ms');
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.problem, /without a unit/);
  });
});

describe('validateThresholds (before a run, no result needed)', () => {
  it('accepts the issue\'s examples, any errno code, and kernel counters', () => {
    assert.deepEqual(
      validateThresholds(
        {
          'summary.errors.EADDRNOTAVAIL': '== 0',
          'summary.latencyMs.connect.p99': '< 5',
          'summary.timeWait.peakClient': '< 20000',
          'summary.connections.ratePerSec': '>= 3000',
          'summary.errors.SOME_FUTURE_CODE': '== 0',
          'summary.kernel.TcpExtTCPTimeWaitOverflow': '== 0',
          'summary.ports.range.size': '>= 500',
          'summary.driver.eventLoopDelayMs.p99': '< 50',
        },
        'x.yaml',
      ),
      [],
    );
  });

  it('an unknown figure names the path and the known keys at that level', () => {
    const [problem, ...rest] = validateThresholds({ 'summary.timeWait.peek': '< 5' }, 'scenarios/x.yaml');
    assert.equal(rest.length, 0);
    assert.equal(
      problem,
      'scenarios/x.yaml: thresholds.summary.timeWait.peek: unknown figure "peek" under summary.timeWait; did you mean peak? (known: peak, peakClient, peakServer, end, sockstatPeak, peakAtMs, reopened)',
    );
  });

  it('rejects paths outside summary, groups, bad errno keys, unknown counters, and bad expressions — each naming the path', () => {
    const problems = validateThresholds(
      {
        'timeWait.peak': '< 5',
        'summary.latencyMs.connect': '< 5',
        'summary.errors.eaddrnotavail': '== 0',
        'summary.kernel.TcpExtNope': '== 0',
        'summary.timeWait.peak.x': '< 1',
        'summary.connections.failed': 'less than 3',
        'summary.errors.EADDRNOTAVAIL.total': '== 0',
      },
      'f.yaml',
    );
    assert.equal(problems.length, 7, problems.join('\n'));
    // A near miss of a counter gets the guess, as every name a user types does.
    const [counter] = validateThresholds({ 'summary.kernel.TcpActiveOpen': '== 0' }, 'f.yaml');
    assert.match(counter!, /unknown kernel counter "TcpActiveOpen" under summary\.kernel; did you mean TcpActiveOpens\? \(known: /);
    assert.match(problems[0]!, /thresholds\.timeWait\.peak: unknown figure "timeWait" at the top \(known: summary, lab\)/);
    assert.match(problems[1]!, /thresholds\.summary\.latencyMs\.connect: .* is a group, not a figure: name one of count, min, mean, p50/);
    assert.match(problems[2]!, /thresholds\.summary\.errors\.eaddrnotavail: "eaddrnotavail" is not an errno code/);
    assert.match(problems[3]!, /thresholds\.summary\.kernel\.TcpExtNope: unknown kernel counter "TcpExtNope" .*known: TcpActiveOpens/);
    assert.match(problems[4]!, /thresholds\.summary\.timeWait\.peak\.x: summary\.timeWait\.peak is a figure: there is nothing below it \(drop "\.x"\)/);
    assert.match(problems[5]!, /thresholds\.summary\.connections\.failed: bad threshold "less than 3"/);
    assert.match(problems[6]!, /summary\.errors\.EADDRNOTAVAIL is a figure: there is nothing below it \(drop "\.total"\)/);
    for (const p of problems) assert.ok(p.startsWith('f.yaml: thresholds.'), p);
  });
});

describe('validateThresholds against the runs a scenario makes', () => {
  // An audit: a threshold on summary.latencyMs.close or .life under an undici client passed the
  // check, ran the whole load, then failed with "it did not happen, or the result predates this
  // figure" (exit 3): no run of that kind ever records them.
  const close = { 'summary.latencyMs.close.p99': '< 50', 'summary.latencyMs.life.p99': '< 50', 'summary.latencyMs.total.p99': '< 50' };

  it('refuses close and life latency under an undici client, naming the client and what to gate instead', () => {
    const problems = validateThresholds(close, 'f.yaml', { name: 'x', protocol: 'http', http: { client: 'agent-per-request' } });
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /^f\.yaml: thresholds\.summary\.latencyMs\.close\.p99: never recorded with http\.client agent-per-request: .*gate summary\.latencyMs\.total, or use http\.client raw/);
    assert.match(problems[1]!, /^f\.yaml: thresholds\.summary\.latencyMs\.life\.p99: never recorded with http\.client agent-per-request: /);
    // The default client is keepalive, an undici one too.
    assert.equal(validateThresholds(close, 'f.yaml', { name: 'x', protocol: 'http' }).length, 2);
    // The raw client times both on the engine's own sockets, and a tcp run does too.
    assert.deepEqual(validateThresholds(close, 'f.yaml', { name: 'x', protocol: 'http', http: { client: 'raw' } }), []);
    assert.deepEqual(validateThresholds(close, 'f.yaml', { name: 'x' }), []);
  });

  it('refuses requests under tcp, and judges every matrix variant', () => {
    const requests = { 'summary.requests.ok': '> 0' };
    const [tcp, ...rest] = validateThresholds(requests, 'f.yaml', { name: 'x', protocol: 'tcp' });
    assert.equal(rest.length, 0);
    assert.match(tcp!, /^f\.yaml: thresholds\.summary\.requests\.ok: recorded by protocol http runs only/);
    assert.deepEqual(validateThresholds(requests, 'f.yaml', { name: 'x', protocol: 'http' }), []);
    // A matrix that makes a tcp variant, or an undici one, has a run that never records it.
    const [variant] = validateThresholds(requests, 'f.yaml', { name: 'x', protocol: 'http', matrix: { protocol: ['http', 'tcp'] } });
    assert.match(variant!, /recorded by protocol http runs only.*\(in a matrix variant\)$/);
    assert.equal(validateThresholds(close, 'f.yaml', { name: 'x', protocol: 'http', http: { client: 'raw' }, matrix: { 'http.client': ['raw', 'reset'] } }).length, 2);
    assert.deepEqual(validateThresholds(close, 'f.yaml', { name: 'x', protocol: 'http', matrix: { 'http.client': ['raw'] } }), []);
  });
});

describe('evaluateThresholds', () => {
  it('evaluates every operator against the measured figure', () => {
    const r = result();
    const tw = r.summary.timeWait.peakClient; // 300
    assert.equal(tw, 300);
    const outcomes = evaluateThresholds(
      {
        'summary.timeWait.peakClient': '== 300',
        'summary.timeWait.peak': '!= 300',
        'summary.timeWait.peakServer': '< 1',
        'summary.connections.established': '<= 299',
        'summary.connections.completed': '>= 300',
        'summary.connections.failed': '> 0',
      },
      r,
    );
    assert.deepEqual(
      outcomes.map((o) => [o.path, o.measured, o.pass]),
      [
        ['summary.timeWait.peakClient', 300, true],
        ['summary.timeWait.peak', 300, false],
        ['summary.timeWait.peakServer', 0, true],
        ['summary.connections.established', 300, false],
        ['summary.connections.completed', 300, true],
        ['summary.connections.failed', 0, false],
      ],
    );
  });

  it('an errno code that did not occur counts as 0; a figure that did not happen fails with a reason', () => {
    const r = result();
    assert.equal(r.summary.ports.exhaustedAtMs, null);
    const [errno, exhausted] = evaluateThresholds({ 'summary.errors.EADDRNOTAVAIL': '== 0', 'summary.ports.exhaustedAtMs': '> 1000' }, r);
    assert.deepEqual(errno, { path: 'summary.errors.EADDRNOTAVAIL', expression: '== 0', measured: 0, pass: true });
    assert.equal(exhausted!.measured, null);
    assert.equal(exhausted!.pass, false);
    assert.match(exhausted!.reason!, /did not happen/);
  });

  it('summary.errors.total is every code together, as compare names it: accepted before the run, summed after', () => {
    assert.deepEqual(validateThresholds({ 'summary.errors.total': '== 0', 'summary.serverErrors.total': '< 5' }, 'x.yaml'), []);
    const r = makeResult((x) => (x.summary.errors = { ECONNRESET: 2, EADDRNOTAVAIL: 5 }));
    const [total, none] = evaluateThresholds({ 'summary.errors.total': '< 5', 'summary.serverErrors.total': '== 0' }, r);
    assert.deepEqual(total, { path: 'summary.errors.total', expression: '< 5', measured: 7, pass: false });
    assert.equal(none!.measured, 0);
  });

  it('formats pass/fail lines with the measured value', () => {
    const text = formatThresholds(
      evaluateThresholds({ 'summary.errors.EADDRNOTAVAIL': '== 0', 'summary.latencyMs.connect.p99': '< 0.001' }, result()),
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'thresholds    1 of 2 FAILED');
    assert.match(lines[1]!, /^ {2}PASS {2}summary\.errors\.EADDRNOTAVAIL == 0 +measured 0$/);
    const p99 = String(result().summary.latencyMs.connect.p99).replace('.', '\\.');
    assert.match(lines[2]!, new RegExp(`^ {2}FAIL {2}summary\\.latencyMs\\.connect\\.p99 < 0\\.001 +measured ${p99}$`));
    assert.equal(formatThresholds([]), 'thresholds    none');
  });
});

it('a yes/no figure gates as 1 or 0', () => {
  const r = makeResult((x) => (x.summary.restart = { ok: false, unavailableMs: 3000, attempts: 30, failures: { EADDRINUSE: 30 } }));
  const [outcome] = evaluateThresholds({ 'summary.restart.ok': '== 1' }, r);
  assert.equal(outcome!.measured, 0);
  assert.equal(outcome!.pass, false);
  const [failures] = evaluateThresholds({ 'summary.restart.failures.EADDRINUSE': '== 0' }, r);
  assert.equal(failures!.measured, 30);
});

it("a kernel counter is every measured host's: a routed lab's server host counts too, as in one namespace", async () => {
  // summary.kernel of a lab holds the client hosts' counters; the server host's are in lab.hosts.
  const lab = makeResult((x) => {
    x.summary.kernel = { ...x.summary.kernel, TcpExtListenOverflows: 0, TcpOutRsts: 3 };
    asLab(x, 2);
    const server = (x as RunResult & { lab: { hosts: Array<{ role: string; kernel?: Record<string, number> }> } }).lab.hosts.find((h) => h.role === 'server')!;
    server.kernel = { TcpExtListenOverflows: 40, TcpOutRsts: 2 };
  });
  const [overflows, rsts] = evaluateThresholds({ 'summary.kernel.TcpExtListenOverflows': '== 0', 'summary.kernel.TcpOutRsts': '< 5' }, lab);
  assert.equal(overflows!.measured, 40, 'the server host dropped: the gate fails');
  assert.equal(overflows!.pass, false);
  assert.equal(rsts!.measured, 5);
  // The terminal shows what the gate reads.
  assert.match(renderTerminalSummary(lab), /kernel +\(client and server hosts\) .*/);
  // compare reads it the same way: a lab whose server host began to overflow is a regression.
  const quiet = structuredClone(lab);
  (quiet as unknown as { lab: { hosts: Array<{ role: string; kernel?: Record<string, number> }> } }).lab.hosts.find((h) => h.role === 'server')!.kernel = { TcpExtListenOverflows: 0, TcpOutRsts: 2 };
  const report = await compareResults(quiet, lab, { metrics: ['summary.kernel.TcpExtListenOverflows'] });
  const row = report.scenarios[0]!.metrics.find((m) => m.metric === 'summary.kernel.TcpExtListenOverflows')!;
  assert.deepEqual([row.baseline, row.current, row.status], [0, 40, 'regression']);
});

describe('thresholds on a routed lab\'s router (lab.router…), the figures compare judges', () => {
  const router = { 'lab.router.conntrack.counters.insert_failed': '== 0', 'lab.router.conntrack.limit.droppedSyns': '< 10' };

  it('are accepted for a routed lab, refused for a loopback run or a loopback matrix variant, and a typo is named', () => {
    assert.deepEqual(validateThresholds(router, 'f.yaml', { name: 'x', environment: { topology: 'routed' } }), []);
    const loopback = validateThresholds(router, 'f.yaml', { name: 'x' });
    assert.equal(loopback.length, 2, loopback.join('\n'));
    assert.match(loopback[0]!, /^f\.yaml: thresholds\.lab\.router\.conntrack\.counters\.insert_failed: recorded by a routed lab's router only \(environment\.topology: routed\)/);
    const [variant, ...rest] = validateThresholds({ 'lab.router.conntrack.counters.drop': '== 0' }, 'f.yaml', { name: 'x', environment: { topology: 'routed' }, matrix: { 'environment.topology': ['routed', 'loopback'] } });
    assert.equal(rest.length, 0);
    assert.match(variant!, /routed lab's router only.*\(in a matrix variant\)$/);
    const [typo] = validateThresholds({ 'lab.router.conntrack.counters.insert_fail': '== 0' }, 'f.yaml', { name: 'x', environment: { topology: 'routed' } });
    assert.match(typo!, /unknown router figure "lab\.router\.conntrack\.counters\.insert_fail"; did you mean lab\.router\.conntrack\.counters\.insert_failed\?/);
    // The top level names lab beside summary: it said "(known: summary)" alone.
    const [top] = validateThresholds({ 'router.conntrack.counters.drop': '== 0' }, 'f.yaml', { name: 'x', environment: { topology: 'routed' } });
    assert.match(top!, /unknown figure "router" at the top \(known: summary, lab\)$/);
  });

  it('gate on what the router counted: a refused flow fails it though no host saw an error', () => {
    const lab = makeResult((x) => {
      asLab(x, 2);
      const conntrack = (x as RunResult & { lab: { router: { conntrack: { counters: Record<string, number>; limit: unknown } } } }).lab.router.conntrack;
      conntrack.counters = { insert: 200, insert_failed: 120, drop: 120, early_drop: 0 };
      conntrack.limit = { max: 50, droppedSyns: 4 };
    });
    assert.deepEqual(lab.summary.errors, {});
    const [failed, syns] = evaluateThresholds(router, lab);
    assert.deepEqual([failed!.measured, failed!.pass], [120, false]);
    assert.deepEqual([syns!.measured, syns!.pass], [4, true]);
    // A counter the router's conntrack did not give is not measured, not 0: the gate says so.
    const [unread] = evaluateThresholds({ 'lab.router.conntrack.counters.early_drop': '== 0' }, makeResult((x) => {
      asLab(x, 2);
      (x as RunResult & { lab: { router: { conntrack: { counters: Record<string, number> } } } }).lab.router.conntrack.counters = {};
    }));
    assert.equal(unread!.pass, false);
    assert.match(unread!.reason ?? '', /no value in this result/);
  });
});
