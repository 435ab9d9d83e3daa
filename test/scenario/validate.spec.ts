import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SYSCTLS, parseScenario, type Scenario } from '../../src/scenario/index.js';
import { problemsOf } from './helpers.js';

const FILE = 'scenarios/x.yaml';

test('a minimal scenario gets every default, durations in milliseconds', () => {
  const expected: Scenario = {
    name: 'x',
    description: '',
    protocol: 'tcp',
    connections: 5000,
    duration: 30_000,
    concurrency: 64,
    rate: null,
    stages: [],
    maxInFlight: 10_000,
    threads: null,
    connectTimeout: 5000,
    gracefulStop: 30_000,
    payload: { request: 64, response: 64 },
    close: { first: 'client', client: 'fin', server: 'fin', lingerSeconds: 1, delay: 0 },
    http: {
      requests: 5000,
      client: 'keepalive',
      path: '/',
      requestsPerConnection: 1,
      connections: null,
      policy: 'keepalive',
      keepAliveTimeout: 5000,
      maxRequestsPerConnection: 0,
      closeAfter: 1,
      body: 64,
      serviceDelay: { min: 0, max: 0 },
    },
    server: { host: '127.0.0.1', port: 7000, ports: 1, backlog: 4096, reuseAddr: true, reusePort: false, listeners: 1, restart: null, command: null, maxOpenFiles: null, readyTimeout: 10_000, stopTimeout: 5000 },
    client: { sourceAddresses: [], bind: false, localPorts: null, reuseAddr: false, bindAddressNoPort: false, portRange: null, readDelay: 0, idleTimeout: 10_000 },
    faults: [],
    environment: {
      isolation: 'auto',
      sysctls: {},
      topology: 'loopback',
      clients: 1,
      ipv6: false,
      client: { sysctls: {} },
      server: { sysctls: {} },
      router: { sysctls: {}, nat: null, conntrack: null },
    },
    target: null,
    allowRemoteTarget: false,
    sample: 100,
    repeat: 1,
    census: 1000,
    tail: 2000,
    matrix: {},
    thresholds: {},
  };
  assert.deepEqual(parseScenario({ name: 'x' }, FILE), expected);
});

test('given values are kept and durations converted', () => {
  const s = parseScenario(
    {
      name: 'Storm.1_a-b',
      duration: '1m30s',
      rate: 250.5,
      close: { first: 'server', server: 'rst', delay: '250us' },
      environment: { isolation: 'netns', sysctls: { 'net.ipv4.tcp_tw_reuse': 1, 'net.ipv4.ip_local_port_range': '40000 40999' } },
      sample: 10,
      tail: 0,
      server: { port: 0 },
    },
    FILE,
  );
  assert.equal(s.duration, 90_000);
  assert.equal(s.rate, 250.5);
  assert.deepEqual(s.close, { first: 'server', client: 'fin', server: 'rst', lingerSeconds: 1, delay: 0.25 });
  assert.deepEqual(s.environment.sysctls, { 'net.ipv4.tcp_tw_reuse': 1, 'net.ipv4.ip_local_port_range': '40000 40999' });
  assert.equal(s.sample, 10);
  assert.equal(s.tail, 0);
  assert.equal(s.server.port, 0);
});

test('scenario sysctls are not merged with the run defaults here', () => {
  assert.deepEqual(DEFAULT_SYSCTLS, { 'net.ipv4.tcp_tw_reuse': 0 });
  assert.deepEqual(parseScenario({ name: 'x' }, FILE).environment.sysctls, {});
});

test('sysctl values the kernel would refuse are problems of the file, with the rest of them', () => {
  // A newcomer audit: a reversed range was 'not "LOW HIGH"' at run time (exit 1), and
  // tcp_tw_reuse=5 a write the kernel rejected mid-start.
  const problems = problemsOf(() =>
    parseScenario(
      {
        name: 'x',
        connections: 0,
        environment: { sysctls: { 'net.ipv4.ip_local_port_range': '60000 50000', 'net.ipv4.tcp_tw_reuse': 5 } },
      },
      FILE,
    ),
  );
  // Whole lines: what was given is said once (a review: "got 5, got 5").
  assert.deepEqual(problems, [
    `${FILE}: connections: expected an integer from 1 to 1,000,000,000, got 0`,
    `${FILE}: environment.sysctls["net.ipv4.ip_local_port_range"]: low 60000 is above high 50000: write it as "50000 60000", got "60000 50000"`,
    `${FILE}: environment.sysctls["net.ipv4.tcp_tw_reuse"]: expected an integer from 0 to 2, got 5`,
  ]);
  // The kernel refuses a low bound under ip_unprivileged_port_start (ipv4_local_port_range),
  // unless the scenario lowers that too.
  const low = { name: 'x', environment: { sysctls: { 'net.ipv4.ip_local_port_range': '500 600' } } };
  assert.match(problemsOf(() => parseScenario(low, FILE))[0]!, /low 500 is below net\.ipv4\.ip_unprivileged_port_start \(1024\), which the kernel refuses/);
  const lowered = { name: 'x', environment: { sysctls: { 'net.ipv4.ip_local_port_range': '500 600', 'net.ipv4.ip_unprivileged_port_start': 500 } } };
  assert.equal(parseScenario(lowered, FILE).environment.sysctls['net.ipv4.ip_local_port_range'], '500 600');
  // A router's or a host's own sysctls are checked the same way.
  const lab = { name: 'x', environment: { isolation: 'netns', topology: 'routed', client: { sysctls: { 'net.ipv4.ip_local_port_range': '40000-40999' } } } };
  assert.match(problemsOf(() => parseScenario(lab, FILE))[0]!, /environment\.client\.sysctls\["net\.ipv4\.ip_local_port_range"\]: expected two port numbers "LOW HIGH"/);
});

test('parseScenario does not modify its input', () => {
  const raw = { name: 'x', close: { first: 'server' } };
  parseScenario(raw, FILE);
  assert.deepEqual(raw, { name: 'x', close: { first: 'server' } });
});

const oneProblem: Array<[string, Record<string, unknown>, string]> = [
  ['wrong enum', { close: { first: 'clinet' } }, 'close.first: expected one of client, server, both, got "clinet"; did you mean client?'],
  ['wrong type', { connections: 'many' }, 'connections: expected an integer from 1 to 1,000,000,000, got "many"'],
  ['negative int', { connections: -1 }, 'connections: expected an integer from 1 to 1,000,000,000, got -1'],
  ['fractional int', { payload: { request: 1.5 } }, 'payload.request: expected an integer from 0 to 16,777,216, got 1.5'],
  ['port out of range', { server: { port: 65536 } }, 'server.port: expected an integer from 0 to 65535, got 65536'],
  ['rate zero', { rate: 0 }, 'rate: expected a number of connections per second from 0.01 to 1,000,000, or null, got 0'],
  ['object where a value goes', { close: 'client' }, 'close: expected a mapping, got "client"'],
  ['list where a value goes', { environment: { sysctls: [1] } }, 'environment.sysctls: expected a mapping, got a list ([1])'],
  ['unknown key, top level', { conections: 5 }, 'conections: unknown field; did you mean connections? (known: name, description, protocol, connections, duration, gracefulStop, concurrency, rate, stages, maxInFlight, threads, connectTimeout, payload, close, http, server, client, environment, faults, target, allowRemoteTarget, sample, census, tail, repeat, matrix, thresholds)'],
  ['unknown key, nested', { close: { frist: 'client' } }, 'close.frist: unknown field; did you mean first? (known: first, client, server, lingerSeconds, delay)'],
  ['bad duration', { duration: '3 parsecs' }, 'duration: expected a duration from 1ms to 24h (like "100ms", "30s" or a number of milliseconds), got "3 parsecs"'],
  ['duration of the wrong type', { tail: true }, 'tail: expected a duration from 0ms to 10m (like "100ms", "30s" or a number of milliseconds), got true'],
  ['negative duration', { tail: -1 }, 'tail: expected a duration from 0ms to 10m (like "100ms", "30s" or a number of milliseconds), got -1'],
  ['duration below its minimum', { sample: '5ms' }, 'sample: expected a duration from 10ms to 1m (like "100ms", "30s" or a number of milliseconds), got "5ms"'],
  ['bad sysctl key', { environment: { sysctls: { 'kernel.pid_max': 1 } } }, 'environment.sysctls["kernel.pid_max"]: expected a per-network-namespace sysctl name like "net.ipv4.tcp_tw_reuse" (only net.* can be set)'],
  ['bad sysctl value', { environment: { sysctls: { 'net.ipv4.tcp_tw_reuse': true } } }, 'environment.sysctls["net.ipv4.tcp_tw_reuse"]: expected a string or a number, got true'],
  ['protocol', { protocol: 'udp' }, 'protocol: expected one of tcp, http, got "udp"'],
];

for (const [what, fields, line] of oneProblem) {
  test(`error line: ${what}`, () => {
    assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', ...fields }, FILE)), [`${FILE}: ${line}`]);
  });
}

test('error line: missing name', () => {
  assert.deepEqual(problemsOf(() => parseScenario({ connections: 5 }, FILE)), [
    `${FILE}: name: required field is missing: expected a name like "client-closes-first"`,
  ]);
});

test('error line: a name unusable in file names', () => {
  assert.deepEqual(problemsOf(() => parseScenario({ name: '../etc' }, FILE)), [
    `${FILE}: name: expected a name of letters, digits, ".", "_" and "-", starting with a letter or digit, got "../etc"`,
  ]);
});

test('error line: top level that is not a mapping', () => {
  assert.deepEqual(problemsOf(() => parseScenario(['x'], FILE)), [`${FILE}: (top level): expected a mapping, got a list (["x"])`]);
});

test('several problems give one line each, unknown keys one per key', () => {
  const problems = problemsOf(() =>
    parseScenario({ name: 'x', connections: 0, close: { first: 'nobody', frist: 1, secnd: 2 }, census: 'often' }, FILE),
  );
  assert.deepEqual(problems.sort(), [
    `${FILE}: census: expected a duration from 10ms to 1m (like "100ms", "30s" or a number of milliseconds), got "often"`,
    `${FILE}: close.first: expected one of client, server, both, got "nobody"`,
    `${FILE}: close.frist: unknown field; did you mean first? (known: first, client, server, lingerSeconds, delay)`,
    `${FILE}: close.secnd: unknown field (known: first, client, server, lingerSeconds, delay)`,
    `${FILE}: connections: expected an integer from 1 to 1,000,000,000, got 0`,
  ]);
});

test('socket options that only make sense together are checked together', () => {
  const problems = (raw: object): string[] => {
    try {
      parseScenario({ name: 'x', ...raw }, FILE);
      return [];
    } catch (err) {
      return (err as { problems: string[] }).problems;
    }
  };
  assert.deepEqual(problems({ server: { listeners: 4 } }), [
    `${FILE}: server.listeners: more than 1 listener per port needs server.reusePort: true (without SO_REUSEPORT the second bind fails), got 4`,
  ]);
  assert.deepEqual(problems({ server: { listeners: 4, reusePort: true } }), []);
  assert.deepEqual(problems({ client: { bindAddressNoPort: true } }), [
    `${FILE}: client.bindAddressNoPort: needs client.bind: true and no client.localPorts (the kernel picks the port at connect()), got true`,
  ]);
  assert.deepEqual(problems({ client: { localPorts: '40000-40499' } }), [
    `${FILE}: client.bind: client.localPorts and client.reuseAddr apply to bind-before-connect: set client.bind: true, got false`,
  ]);
  assert.deepEqual(problems({ client: { bind: true, localPorts: '40499-40000' } }), [
    `${FILE}: client.localPorts: expected low-high with 1 <= low <= high <= 65535, got "40499-40000"`,
  ]);
  assert.deepEqual(problems({ server: { port: 0, ports: 2 } }), [
    `${FILE}: server.ports: several ports need a fixed server.port to count from (0 picks one free port only), got 2`,
  ]);
  // With server.command each problem names its own field (an audit: server.ports 2 was reported
  // as "server.port …, got 9000").
  assert.deepEqual(problems({ server: { port: 9000, ports: 2, command: 'srv' } }), [
    `${FILE}: server.ports: with server.command, the client connects to server.port only: leave server.ports out (its default is 1), got 2`,
  ]);
  assert.deepEqual(problems({ server: { port: 0, command: 'srv' } }), [
    `${FILE}: server.port: with server.command, set the fixed port the command listens on (not 0: twstorm waits for a listener on it), got 0`,
  ]);
});

/** The problems parseScenario reports for a file holding `raw` (none: []). */
function problemsIn(raw: object): string[] {
  try {
    parseScenario({ name: 'x', ...raw }, FILE);
    return [];
  } catch (err) {
    return (err as { problems: string[] }).problems;
  }
}

test("the bundled server's own settings are refused with server.command, never silently ignored", () => {
  assert.deepEqual(problemsIn({ server: { port: 9000, command: 'srv', backlog: 10, reusePort: true, reuseAddr: false }, close: { server: 'rst' } }), [
    `${FILE}: server.backlog: describes the bundled server; with server.command, your server sets its own listen() backlog: leave server.backlog out, got 10`,
    `${FILE}: server.reuseAddr: describes the bundled server; with server.command, your server sets its own SO_REUSEADDR: leave server.reuseAddr out, got false`,
    `${FILE}: server.reusePort: describes the bundled server; with server.command, your server sets its own SO_REUSEPORT: leave server.reusePort out, got true`,
    `${FILE}: close.server: describes the bundled server; with server.command, your server closes as it is written to (taken to be a FIN): leave close.server out, got "rst"`,
  ]);
  // The defaults, written out, are no problem (fin-timeout-myth says close.server: fin).
  assert.deepEqual(problemsIn({ server: { port: 9000, command: 'srv', backlog: 4096 }, close: { server: 'fin' } }), []);
});

test('a fault rule that would answer RSTs with RSTs is refused: nft never does (it would only drop them)', () => {
  assert.deepEqual(problemsIn({ faults: [{ packets: 'final-ack', action: 'reset' }, { packets: 'rst', action: 'reset' }] }), [
    `${FILE}: faults[1].action: an RST is never answered with an RST (nft reject skips RSTs, RFC 793 §3.4), so this rule would only drop them: use action: drop, got "reset"`,
  ]);
});

test('faults: filled with defaults; never on the host firewall, nor with a percentage out of range', () => {
  const s = parseScenario({ name: 'x', faults: [{ packets: 'final-ack', count: 5 }] }, FILE);
  assert.deepEqual(s.faults, [{ packets: 'final-ack', direction: 'both', action: 'drop', count: 5, percent: 100 }]);
  const onHost = problemsOf(() => parseScenario({ name: 'x', faults: [{ packets: 'fin' }], environment: { isolation: 'host' } }, FILE));
  assert.equal(onHost.length, 1);
  assert.match(onHost[0]!, /environment\.isolation: faults are applied inside the run's own namespace, never on the host: expected netns or auto, got "host"$/);
  // Every lab problem names the field to change and shows its own value (a docs audit saw
  // "server: …, got 1" for a restart phase and "got nothing" for ipv6: true).
  const lab = (input: Record<string, unknown>) => problemsOf(() => parseScenario({ name: 'x', ...input }, FILE));
  // The hint fits the field (an audit: "the loopback form uses environment.sysctls" for ipv6 and clients).
  assert.match(lab({ environment: { ipv6: true } })[0]!, /environment\.ipv6: only with environment\.topology: routed \(on loopback, set server\.host: "::1"\), got true$/);
  assert.match(lab({ environment: { clients: 3 } })[0]!, /environment\.clients: only with environment\.topology: routed, got 3$/);
  assert.match(lab({ environment: { client: { sysctls: { 'net.ipv4.tcp_tw_reuse': 1 } } } })[0]!, /environment\.client\.sysctls: only with environment\.topology: routed \(the loopback form uses environment\.sysctls\)/);
  // SNAT is IPv4 only: an IPv6 lab with NAT translated nothing (an audit).
  assert.deepEqual(lab({ environment: { isolation: 'netns', topology: 'routed', ipv6: true, router: { nat: { ports: '40000-40099' } } } }).filter((p) => /nat/.test(p)).map((p) => p.replace(/, got .*$/, '')), [
    `${FILE}: environment.router.nat: SNAT is IPv4 only (the router's rule is an nft table ip): leave router.nat out with environment.ipv6: true, or connect over IPv4`,
  ]);
  // The router must forward: a 0 timed out every connect at the router with no word why (an audit).
  const forwarding = "the router forwards between the client hosts and the server host, so a routed lab needs";
  assert.deepEqual(lab({ environment: { isolation: 'netns', topology: 'routed', router: { sysctls: { 'net.ipv4.ip_forward': 0 } } } }), [
    `${FILE}: environment.router.sysctls["net.ipv4.ip_forward"]: ${forwarding} net.ipv4.ip_forward on (the lab sets it to 1) and the hosts do not forward: leave it out, got 0`,
  ]);
  assert.match(lab({ environment: { isolation: 'netns', topology: 'routed', ipv6: true, sysctls: { 'net.ipv6.conf.all.forwarding': '0' } } })[0]!, /environment\.sysctls\["net\.ipv6\.conf\.all\.forwarding"\]: the router forwards .* leave it out, got "0"$/);
  // The other family's, or forwarding on, is no problem.
  assert.equal(parseScenario({ name: 'x', environment: { isolation: 'netns', topology: 'routed', sysctls: { 'net.ipv6.conf.all.forwarding': 0, 'net.ipv4.ip_forward': 1 } } }, FILE).environment.topology, 'routed');
  assert.match(lab({ environment: { topology: 'routed' }, server: { restart: {} } })[0]!, /server\.restart: topology routed runs one server port without the restart phase or extra listeners: leave server\.restart out, got a mapping$/);
  assert.match(lab({ environment: { topology: 'routed' }, client: { sourceAddresses: ['127.0.0.2'] } })[0]!, /client\.sourceAddresses: topology routed: each client host uses its own address: leave client\.sourceAddresses out, got a list \(\["127\.0\.0\.2"\]\)$/);
  // Faults in a routed lab are the router's (environment/faults.ts, forward hook).
  assert.equal(parseScenario({ name: 'x', environment: { isolation: 'netns', topology: 'routed' }, faults: [{ packets: 'fin' }] }, FILE).faults.length, 1);
  // `target` shows the address as written, not the parsed object (a review: "got a mapping").
  assert.ok(lab({ faults: [{ packets: 'fin' }], target: '127.0.0.1:8080' }).some((p) => /target: faults need the bundled or own server in the run's namespace, not an external target: leave target out, got "127\.0\.0\.1:8080"$/.test(p)));
  // A service delay past its ceiling says the ceiling.
  assert.match(lab({ protocol: 'http', http: { serviceDelay: '11m' } })[0]!, /http\.serviceDelay: expected a duration from 0ms to 10m \(like "2ms"\) or \{ min, max \} of them, got "11m"$/);
  const percent = problemsOf(() => parseScenario({ name: 'x', faults: [{ packets: 'any', percent: 0 }] }, FILE));
  assert.match(percent[0]!, /faults\[0\]\.percent: expected a percentage from 1 to 100/);
});

test('cross-field rules run on the valid fields of a file that has wrong ones, and never judge a wrong one', () => {
  // An audit: the stages were not said to outlast duration while close.first was misspelled.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', duration: '1s', stages: [{ duration: '2s', target: 5 }], close: { first: 'clinet' } }, FILE)), [
    'scenarios/x.yaml: close.first: expected one of client, server, both, got "clinet"; did you mean client?',
    'scenarios/x.yaml: duration: the stages last 2s, longer than the load may: raise duration to at least 2s, got "1s"',
  ]);
  // A number past its bound is wrong too: no rule compares against it (an audit: "the stages
  // last 0ms, longer than the load may: raise duration to at least 0ms, got "-1"").
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', duration: -1 }, FILE)), [
    'scenarios/x.yaml: duration: expected a duration from 1ms to 24h (like "100ms", "30s" or a number of milliseconds), got -1',
  ]);
  // A rule that reads a wrong field is left out, not run on its default: with the topology
  // misspelled, ipv6 is not "only with environment.topology: routed".
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', environment: { topology: 'routd', ipv6: true }, server: { listeners: 2, port: 'abc' } }, FILE)), [
    'scenarios/x.yaml: server.port: expected an integer from 0 to 65535, got "abc"',
    'scenarios/x.yaml: environment.topology: expected one of loopback, routed, got "routd"; did you mean routed?',
    'scenarios/x.yaml: server.listeners: more than 1 listener per port needs server.reusePort: true (without SO_REUSEPORT the second bind fails), got 2',
  ]);
  // A wrong list item takes its list out; a wrong name gets a stand-in; an unknown key goes.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'a b', stages: [{ duration: '1s', target: -1 }], sever: {}, close: { first: 'server', server: 'never' } }, FILE)), [
    'scenarios/x.yaml: name: expected a name of letters, digits, ".", "_" and "-", starting with a letter or digit, got "a b"',
    'scenarios/x.yaml: stages[0].target: expected a number from 0 to 1,000,000, got -1',
    'scenarios/x.yaml: sever: unknown field; did you mean server? (known: name, description, protocol, connections, duration, gracefulStop, concurrency, rate, stages, maxInFlight, threads, connectTimeout, payload, close, http, server, client, environment, faults, target, allowRemoteTarget, sample, census, tail, repeat, matrix, thresholds)',
    'scenarios/x.yaml: close.server: close.server "never" waits for the client\'s FIN and then leaks the socket: it needs close.first: client (otherwise nobody closes), got "never"',
  ]);
});

test('IPv4 source addresses with an IPv6 destination are refused at load, not at the first connection', () => {
  // An audit: "source address 127.0.0.2 (IPv4) cannot reach ::1 (IPv6)", exit 1, after the namespace was built.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', server: { host: '::1' }, client: { sourceAddresses: ['127.0.0.2'] } }, FILE)), [
    'scenarios/x.yaml: client.sourceAddresses: are IPv4 and cannot reach ::1, the server.host (IPv6): a socket connects within one address family; leave client.sourceAddresses out, or set server.host to an IPv4 loopback address like "127.0.0.1", got a list (["127.0.0.2"])',
  ]);
  const target = (text: string) => ({ name: 'x', target: text, environment: { isolation: 'host' }, client: { sourceAddresses: ['127.0.0.2'] } });
  assert.match(problemsOf(() => parseScenario(target('[::1]:8080'), FILE))[0]!, /cannot reach ::1, the target \(IPv6\).*or target an IPv4 address/);
  assert.match(problemsOf(() => parseScenario(target('[::ffff:127.0.0.1]:8080'), FILE))[0]!, /cannot reach ::ffff:127\.0\.0\.1, the target \(IPv6\)/);
  // Same family, no source addresses, or a name resolved at run time: nothing to refuse.
  assert.equal(parseScenario(target('127.0.0.1:8080'), FILE).client.sourceAddresses.length, 1);
  assert.equal(parseScenario(target('localhost:8080'), FILE).client.sourceAddresses.length, 1);
  assert.equal(parseScenario({ name: 'x', server: { host: '::1' } }, FILE).server.host, '::1');
});

test('duration 0 is refused at load: such a load attempts no connection', () => {
  // An audit: --set duration=0 was accepted, then the run failed "the load driver attempted no connection", exit 1.
  for (const value of [0, '0s', '0.5']) {
    assert.deepEqual(problemsOf(() => parseScenario({ name: 'x', duration: value }, FILE)), [
      `scenarios/x.yaml: duration: expected a duration from 1ms to 24h (like "100ms", "30s" or a number of milliseconds), got ${JSON.stringify(value)}`,
    ]);
  }
  assert.equal(parseScenario({ name: 'x', duration: '1ms' }, FILE).duration, 1);
});

test('a bad target says what was given once', () => {
  // An audit: 'expected "host:port" or "[v6-address]:port" (got "nohost"), got "nohost"'.
  const problems = (target: string) => problemsOf(() => parseScenario({ name: 'x', target, environment: { isolation: 'host' } }, FILE));
  assert.deepEqual(problems('nohost'), ['scenarios/x.yaml: target: expected "host:port" or "[v6-address]:port", got "nohost"']);
  assert.deepEqual(problems('http://[x'), ['scenarios/x.yaml: target: not a valid URL, got "http://[x"']);
});

test("README's quoted error lines are what a file with those four mistakes gets, all at once", async () => {
  // The README once quoted the enum line without its "did you mean", which the tool has long added.
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const quoted = readme.split('\n').filter((l) => l.startsWith(`twstorm: ${FILE}: `)).map((l) => l.slice('twstorm: '.length));
  assert.equal(quoted.length, 4, 'the README block of error lines');
  const { validateScenario } = await import('../../src/scenario/validate.js');
  const { validateThresholds } = await import('../../src/thresholds/index.js');
  const raw = {
    name: 'x',
    close: { first: 'clinet', frist: 'client' },
    environment: { sysctls: { 'net.ipv4.tcp_fin_timout': 30 } },
    thresholds: { 'summary.timeWait.peek': '< 5' },
  };
  // The threshold check `twstorm run` adds (src/run/load-scenario.ts).
  const problems = problemsOf(() => validateScenario(raw, FILE, [], [(r, source) => validateThresholds(r['thresholds'], source, r)]));
  assert.deepEqual(problems, quoted);
});
