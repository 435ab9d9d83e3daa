// Bounded input: every ceiling of limits.ts is enforced, hostile YAML is one line, and the
// address and sysctls a scenario names cannot reach beyond the run's own namespace.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadScenarioFile, parseScenario, parseScenarioText } from '../../src/scenario/index.js';
import * as L from '../../src/scenario/limits.js';
import { NAMESPACED_SYSCTLS, sysctlNameProblem } from '../../src/scenario/sysctls.js';
import { missingSysctlProblems } from '../../src/environment/sysctl.js';
import { problemsOf, problemsOfAsync } from './helpers.js';

const FILE = 'x.yaml';
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'twstorm-bounds-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});
async function file(name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('numbers have ceilings', () => {
  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ['payload 2^53-1 (crashed Buffer.alloc)', { payload: { request: 2 ** 53 - 1 } }, /payload\.request: expected an integer from 0 to 16,777,216, got 9007199254740991/],
    ['payload 2^31 (exhausted memory)', { payload: { response: 2 ** 31 } }, /payload\.response: expected an integer from 0 to 16,777,216/],
    ['http body', { http: { body: L.MAX_PAYLOAD_BYTES + 1 } }, /http\.body: expected an integer from 0 to 16,777,216/],
    ['connections', { connections: L.MAX_COUNT + 1 }, /connections: expected an integer from 1 to 1,000,000,000/],
    ['concurrency', { concurrency: 2 ** 31 }, /concurrency: expected an integer from 1 to 1,000,000/],
    ['maxInFlight', { maxInFlight: 1e300 }, /maxInFlight: expected an integer from 1 to 1,000,000/],
    ['rate too high', { rate: 1e9 }, /rate: expected a number of connections per second from 0.01 to 1,000,000, or null/],
    ['rate too low', { rate: 1e-300 }, /rate: expected a number of connections per second from 0.01/],
    ['rate infinite', { rate: Infinity }, /rate: expected a number of connections per second/],
    ['duration', { duration: '25h' }, /duration: expected a duration from 1ms to 24h/],
    ['duration as a huge number', { duration: 1e308 }, /duration: expected a duration from 1ms to 24h/],
    ['duration overflowing to Infinity', { duration: `${'9'.repeat(400)}s` }, /duration: expected a duration from 1ms to 24h/],
    ['a wait', { connectTimeout: '11m' }, /connectTimeout: expected a duration from 1ms to 10m/],
    ['tail', { tail: '1h' }, /tail: expected a duration from 0ms to 10m/],
    ['sample', { sample: '2m' }, /sample: expected a duration from 10ms to 1m/],
    ['backlog', { server: { backlog: 2 ** 31 } }, /server\.backlog: expected an integer from 1 to 1,000,000/],
    ['name length', { name: 'n'.repeat(L.MAX_NAME_LENGTH + 1) }, /name: expected a name of at most 100 characters/],
    ['description length', { description: 'd'.repeat(L.MAX_DESCRIPTION_LENGTH + 1) }, /description: expected a string of at most 10000 characters/],
    ['thresholds count', { thresholds: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`summary.errors.E${i}`, '== 0'])) }, /thresholds: expected at most 100 thresholds/],
    ['matrix values', { matrix: { connections: Array.from({ length: 65 }, (_, i) => i + 1) } }, /matrix\["connections"\]: expected at most 64 values/],
    ['stages count', { stages: Array.from({ length: 101 }, () => ({ duration: 1, target: 1 })) }, /stages: expected at most 100 stages/],
  ];
  for (const [what, fields, line] of refused) {
    it(what, () => {
      const problems = problemsOf(() => parseScenario({ name: 'x', ...fields }, FILE));
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, line);
    });
  }

  it('the maxima themselves are accepted', () => {
    const s = parseScenario(
      { name: 'x', connections: L.MAX_COUNT, concurrency: L.MAX_IN_FLIGHT, payload: { request: L.MAX_PAYLOAD_BYTES }, duration: '24h', rate: L.MIN_RATE },
      FILE,
    );
    assert.equal(s.payload.request, 16 * 1024 * 1024);
    assert.equal(s.duration, 86_400_000);
  });
});

describe('server.host is a literal loopback address', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1']) {
    it(`accepts ${host}`, () => assert.equal(parseScenario({ name: 'x', server: { host } }, FILE).server.host, host));
  }
  for (const host of ['localhost', 'example.com', '0.0.0.0', '::', '10.0.0.1', '198.18.0.1', '::ffff:127.0.0.1', '127.1', '', 'fe80::1%lo']) {
    it(`refuses ${JSON.stringify(host)}`, () => {
      assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', server: { host } }, FILE)), [
        `${FILE}: server.host: expected a literal loopback address, 127.0.0.0/8 or ::1 (no host names: the run talks to its own namespace only), got ${JSON.stringify(host)}`,
      ]);
    });
  }
});

describe('sysctls: only the per-namespace allow-list, with a suggestion', () => {
  it('refuses a host-wide setting under net. (nf_hooks_lwtunnel is a one-way global switch)', () => {
    const [line] = problemsOf(() => parseScenario({ name: 'x', environment: { sysctls: { 'net.netfilter.nf_hooks_lwtunnel': 1 } } }, FILE));
    assert.match(line!, /environment\.sysctls\["net\.netfilter\.nf_hooks_lwtunnel"\]: not a sysctl twstorm may set: unknown, or not kept per network namespace/);
    assert.ok(sysctlNameProblem('net.core.netdev_max_backlog'), 'a global net.core setting is refused too');
    // Far from every allowed name: pointed at the list, in the README section that has it.
    assert.match(sysctlNameProblem('net.core.rmem_max')!, /; README\.md lists the ones it may \("Limits", environment\.sysctls\)$/);
    assert.ok(readFileSync(new URL('../../../README.md', import.meta.url), 'utf8').includes('**`environment.sysctls`** accepts only'), 'the README section it points to');
  });

  it('tcp_tw_recycle, still in old TIME_WAIT advice, is said to be gone since 4.12, not taken for a typo of tcp_tw_reuse', () => {
    const [line, ...rest] = problemsOf(() => parseScenario({ name: 'x', environment: { sysctls: { 'net.ipv4.tcp_tw_recycle': 1 } } }, FILE));
    assert.equal(rest.length, 0);
    assert.match(line!, /environment\.sysctls\["net\.ipv4\.tcp_tw_recycle"\]: removed in Linux 4\.12 \(it dropped connections from clients behind NAT[^)]*\); net\.ipv4\.tcp_tw_reuse lets outgoing connections take a TIME_WAIT port instead$/);
    assert.doesNotMatch(line!, /did you mean/);
  });

  it('a typo gets "did you mean", in the same round as other problems', () => {
    const problems = problemsOf(() =>
      parseScenario({ name: 'x', connections: 0, environment: { sysctls: { 'net.ipv4.tcp_fin_timout': 30 } } }, FILE),
    );
    assert.deepEqual(problems, [
      `${FILE}: connections: expected an integer from 1 to 1,000,000,000, got 0`,
      `${FILE}: environment.sysctls["net.ipv4.tcp_fin_timout"]: not a sysctl twstorm may set: unknown, or not kept per network namespace (setting it could change the host); did you mean net.ipv4.tcp_fin_timeout?`,
    ]);
  });

  it('every allowed name is a net.* setting, and the ones bundled scenarios use are allowed', () => {
    for (const name of Object.keys(NAMESPACED_SYSCTLS)) assert.match(name, /^net\.(ipv4|ipv6|core|netfilter)\.([a-z0-9_]+|conf\.all\.[a-z0-9_]+)$/);
    // The routed lab's router writes its forwarding switches through the same check.
    for (const name of ['net.ipv4.ip_local_port_range', 'net.ipv4.tcp_tw_reuse', 'net.ipv4.tcp_max_tw_buckets', 'net.core.somaxconn', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']) {
      assert.equal(sysctlNameProblem(name), undefined);
    }
  });

  it('an allowed name this kernel lacks is found by the /proc/sys check', () => {
    const present = missingSysctlProblems({ environment: { sysctls: { 'net.ipv4.tcp_tw_reuse': 1 } } }, FILE);
    assert.deepEqual(present, []);
    // Not on the allow-list: the schema reports it, so the kernel check stays silent.
    assert.deepEqual(missingSysctlProblems({ environment: { sysctls: { 'net.ipv4.nope': 1 } } }, FILE), []);
    assert.deepEqual(missingSysctlProblems({ environment: 'junk' }, FILE), []);
    // On a kernel without them (tcp_tw_reuse_delay came in 6.13): named with the file's problems, exit 2.
    const older = (path: string): boolean => !path.endsWith('/tcp_tw_reuse_delay');
    assert.deepEqual(
      missingSysctlProblems(
        { environment: { sysctls: { 'net.ipv4.tcp_tw_reuse_delay': 1000 } }, matrix: { 'environment.sysctls.net.ipv4.tcp_tw_reuse_delay': [1000] } },
        FILE,
        older,
      ),
      [
        `${FILE}: environment.sysctls["net.ipv4.tcp_tw_reuse_delay"]: this kernel has no such setting (/proc/sys/net/ipv4/tcp_tw_reuse_delay does not exist)`,
        `${FILE}: matrix.environment.sysctls.net.ipv4.tcp_tw_reuse_delay: this kernel has no such setting (/proc/sys/net/ipv4/tcp_tw_reuse_delay does not exist)`,
      ],
    );
  });
});

describe('stages', () => {
  it('an open-loop ramp is accepted with its durations in ms', () => {
    const s = parseScenario({ name: 'x', rate: 50, duration: '1m', stages: [{ duration: '20s', target: 1000 }, { duration: 0, target: 0.5 }] }, FILE);
    assert.deepEqual(s.stages, [{ duration: 20_000, target: 1000 }, { duration: 0, target: 0.5 }]);
  });

  it('closed-loop targets are whole numbers in flight; the stages must fit in duration', () => {
    const problems = problemsOf(() =>
      parseScenario({ name: 'x', stages: [{ duration: '40s', target: 2.5 }, { duration: '1s', target: -1 }, { during: '1s' }] }, FILE),
    );
    assert.deepEqual(problems.sort(), [
      `${FILE}: stages[1].target: expected a number from 0 to 1,000,000, got -1`,
      `${FILE}: stages[2].duration: required field is missing: expected a duration from 0ms to 24h (like "100ms", "30s" or a number of milliseconds)`,
      `${FILE}: stages[2].during: unknown field (known: duration, target)`,
      `${FILE}: stages[2].target: required field is missing: expected a number from 0 to 1,000,000`,
    ]);
    assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', stages: [{ duration: '40s', target: 2.5 }] }, FILE)), [
      `${FILE}: duration: the stages last 40s, longer than the load may: raise duration to at least 40s, got "30s"`,
      `${FILE}: stages[0].target: closed loop (rate: null): a target is a number in flight, expected an integer from 0 to 1,000,000, got 2.5`,
    ]);
  });
});

describe('hostile YAML is one line', () => {
  const one = (text: string): string => {
    const problems = problemsOf(() => parseScenarioText(text, FILE));
    assert.equal(problems.length, 1, problems.join('\n'));
    return problems[0]!;
  };

  it('billion laughs', () => {
    let text = 'name: t\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    assert.match(one(text), /^x\.yaml: cannot be read: YAML aliases expand to too many nodes \(more than 100\)/);
  });

  it('an alias cycle', () => {
    assert.equal(one('name: t\npayload: &p\n  request: 1\n  self: *p\n'), `${FILE}: a YAML alias refers to a mapping or list that contains it (a cycle): expected plain data`);
  });

  it('nesting: deep flow collections and deep blocks', () => {
    assert.match(one(`name: t\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), /nested (more than 16 levels deep|too deeply to parse)/);
    assert.match(one(`name: t\nx: ${'['.repeat(20)}${']'.repeat(20)}\n`), /^x\.yaml:2:\d+: nested more than 16 levels deep/);
    assert.match(one(Array.from({ length: 40 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')), /nested more than 16 levels deep/);
  });

  it('duplicate keys, prototype keys, complex keys', () => {
    assert.equal(one('name: a\nclose:\n  first: client\n  first: server\n'), `${FILE}:4:3: duplicate key "first": a key may appear once per mapping`);
    assert.match(one('name: a\n__proto__: {x: 1}\n'), /^x\.yaml:2:1: key "__proto__" is not allowed/);
    assert.match(one('name: a\nthresholds: {constructor: "< 1"}\n'), /key "constructor" is not allowed/);
    assert.match(one('name: a\n? [a, b]\n: 1\n'), /a key must be a plain name/);
  });

  it('too many keys, NUL bytes, too large', () => {
    const keys = Array.from({ length: L.MAX_KEYS + 1 }, (_, i) => `k${i}: ${i}`).join('\n');
    assert.match(one(`name: t\n${keys}\n`), /more than 1000 keys, the most a scenario may have/);
    assert.equal(one('name: t\0\n'), `${FILE}: contains NUL bytes: expected a YAML or JSON text file`);
    assert.match(one(`name: t\ndescription: "${'x'.repeat(L.MAX_FILE_BYTES)}"\n`), /the file is larger than 1024 KiB/);
  });

  it('a 10 MB file with 400k keys is refused by size before it is read', async () => {
    const text = Array.from({ length: 400_000 }, (_, i) => `key${i}: ${i}`).join('\n');
    assert.ok(text.length > 5_000_000);
    const path = await file('huge.yaml', text);
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(path)), [
      `${path}: the file is ${Buffer.byteLength(text)} bytes, larger than 1024 KiB, the most a scenario may be (scenarios are a few KB)`,
    ]);
  });

  it('not a regular file: /dev/zero and a FIFO are refused without reading', async () => {
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile('/dev/zero')), ['/dev/zero: not a regular file, expected a scenario file']);
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(fifo)), [`${fifo}: not a regular file, expected a scenario file`]);
  });
});

describe('--set', () => {
  it('refuses __proto__, constructor and prototype, as path or inside a value', async () => {
    const path = await file('s.yaml', 'name: s\n');
    for (const set of ['__proto__.x=1', 'constructor=2', 'close.prototype=3', 'environment.sysctls.__proto__=1']) {
      const [line] = await problemsOfAsync(() => loadScenarioFile(path, [set]));
      assert.match(line!, /is not a scenario field \(it would change an object's prototype\)/, set);
    }
    const [line] = await problemsOfAsync(() => loadScenarioFile(path, ['close={__proto__: {first: server}}']));
    assert.match(line!, /^--set close=\{__proto__: \{first: server\}\}: key "__proto__" is not allowed/);
    assert.equal(({} as Record<string, unknown>)['first'], undefined, 'no prototype was touched');
  });

  it('a field the matrix varies is refused, naming the matrix key; narrowing or dropping the matrix works', async () => {
    const path = await file('m.yaml', 'name: m\nmatrix:\n  close.first: [client, server]\n  close.client: [fin, rst]\n');
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(path, ['close.first=server', 'close={first: both}'])), [
      '--set close.first=server: the matrix varies close.first (client, server), which would override it in every variant; narrow the matrix with --set "matrix.close.first=[…]" or drop it with --set "matrix={}"',
      '--set close={first: both}: the matrix varies close.first (client, server), which would override it in every variant; narrow the matrix with --set "matrix.close.first=[…]" or drop it with --set "matrix={}"',
      '--set close={first: both}: the matrix varies close.client (fin, rst), which would override it in every variant; narrow the matrix with --set "matrix.close.client=[…]" or drop it with --set "matrix={}"',
    ]);
    const narrowed = await loadScenarioFile(path, ['matrix.close.first=[server]']);
    assert.deepEqual(narrowed.matrix, { 'close.first': ['server'], 'close.client': ['fin', 'rst'] });
    const dropped = await loadScenarioFile(path, ['matrix={}', 'close.first=server']);
    assert.deepEqual([dropped.matrix, dropped.close.first], [{}, 'server']);
    const replaced = await problemsOfAsync(() => loadScenarioFile(path, ['matrix={close.client: [fin, rst]}', 'close.client=rst']));
    assert.match(replaced[0]!, /the matrix varies close\.client \(fin, rst\)/);
  });
});
