import assert from 'node:assert/strict';
import { test } from 'node:test';
import { problemsOf } from './helpers.js';
import { expandMatrix, parseScenario, ScenarioError } from '../../src/scenario/index.js';
import { matrixOverrideProblems } from '../../src/scenario/matrix.js';
import { resultStem, variantSlug } from '../../src/scenario/matrix-values.js';
import { parseOverride } from '../../src/scenario/overrides.js';

const FILE = 'scenarios/m.yaml';

test('a matrix expands to every combination, each a validated scenario with its own values', () => {
  const s = parseScenario(
    { name: 'm', connections: 10, matrix: { 'close.first': ['client', 'server'], 'close.client': ['fin', 'rst'] } },
    FILE,
  );
  const variants = expandMatrix(s, FILE);
  assert.deepEqual(
    variants.map((v) => v.label),
    [
      'close.first=client close.client=fin',
      'close.first=client close.client=rst',
      'close.first=server close.client=fin',
      'close.first=server close.client=rst',
    ],
  );
  assert.deepEqual(variants.map((v) => v.slug), ['client-fin', 'client-rst', 'server-fin', 'server-rst']);
  const last = variants[3]!.scenario;
  assert.equal(last.close.first, 'server');
  assert.equal(last.close.client, 'rst');
  assert.equal(last.connections, 10);
  assert.deepEqual(last.matrix, {}, 'a variant is concrete: no matrix of its own');
});

test('sysctl names with dots can be varied', () => {
  const s = parseScenario({ name: 'm', matrix: { 'environment.sysctls.net.ipv4.tcp_tw_reuse': [0, 1] } }, FILE);
  const variants = expandMatrix(s, FILE);
  assert.deepEqual(variants.map((v) => v.scenario.environment.sysctls['net.ipv4.tcp_tw_reuse']), [0, 1]);
});

test('no matrix, no variants', () => {
  assert.deepEqual(expandMatrix(parseScenario({ name: 'm' }, FILE), FILE), []);
});

test('an unknown field or a bad value is refused with its path before anything runs', () => {
  // Matrix keys are checked with the rest of the file, so they come in the same round as other problems.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', connections: 0, matrix: { 'close.frist': ['client'] } }, FILE)), [
    'scenarios/m.yaml: connections: expected an integer from 1 to 1,000,000,000, got 0',
    'scenarios/m.yaml: matrix.close.frist: no such scenario field; did you mean close.first?',
  ]);
  // The nearest field at the level that was misspelled, the rest kept; none when nothing is near.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', matrix: { 'clinet.bind': [true], 'close.zzzzzzzz': [1] } }, FILE)), [
    'scenarios/m.yaml: matrix.clinet.bind: no such scenario field; did you mean client.bind?',
    'scenarios/m.yaml: matrix.close.zzzzzzzz: no such scenario field',
  ]);
  // Values are judged as the file is loaded, every bad one at once and each once, with the
  // file's other problems (an audit: only "clinet", and only once the rest was valid).
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', connections: 0, matrix: { 'close.first': ['clinet', 'server'], 'close.client': ['fin', 'rts'] } }, FILE)), [
    'scenarios/m.yaml: connections: expected an integer from 1 to 1,000,000,000, got 0',
    'scenarios/m.yaml: matrix.close.first: expected one of client, server, both, got "clinet"; did you mean client?',
    'scenarios/m.yaml: matrix.close.client: expected one of fin, rst, linger, got "rts"; did you mean rst?',
  ]);
  // A misspelled key does not hide the values of the others (a newcomer audit: `close.frist`
  // was said, `close.client: [fin, rts]` only once it was fixed), nor does a malformed key.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', matrix: { 'close.frist': ['client'], 'close.client': ['fin', 'rts'], 'Bad Key': [1] } }, FILE)), [
    'scenarios/m.yaml: matrix["Bad Key"]: expected a field path like "close.first"',
    'scenarios/m.yaml: matrix.close.frist: no such scenario field; did you mean close.first?',
    'scenarios/m.yaml: matrix.close.client: expected one of fin, rst, linger, got "rts"; did you mean rst?',
  ]);
  // A problem only a combination makes names its variant.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', close: { server: 'never' }, matrix: { 'close.first': ['client', 'server'] } }, FILE)), [
    'scenarios/m.yaml (matrix variant close.first=server): close.server: close.server "never" waits for the client\'s FIN and then leaks the socket: it needs close.first: client (otherwise nobody closes), got "never"',
  ]);
  // expandMatrix (a scenario changed after it was loaded, as a shard is) says every bad variant too.
  const loaded = parseScenario({ name: 'm', matrix: { 'close.first': ['client', 'server'], 'close.client': ['fin', 'rst'] } }, FILE);
  const changed = { ...loaded, matrix: { 'close.first': ['nobody', 'server'], 'close.client': ['fin', 'none'] } };
  assert.throws(() => expandMatrix(changed, FILE), (err: unknown) => {
    assert.ok(err instanceof ScenarioError);
    assert.equal(err.problems.length, 4, err.message);
    assert.match(err.problems[0]!, /matrix variant close\.first=nobody close\.client=fin\): close\.first: expected one of client, server, both/);
    return true;
  });
});

test('a value listed twice is refused; values one file name cannot tell apart get distinct slugs', () => {
  // An audit: [client, client] ran twice and wrote one result file.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', matrix: { 'close.first': ['client', 'client', 'server', 'server'] } }, FILE)), [
    'scenarios/m.yaml: matrix.close.first: "client" is listed more than once: each variant runs once, so list each value once',
    'scenarios/m.yaml: matrix.close.first: "server" is listed more than once: each variant runs once, so list each value once',
  ]);
  // The repeat does not hide the other keys' values: each value is judged once.
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', matrix: { connections: [100, 100], 'close.client': ['fin', 'rts'] } }, FILE)), [
    'scenarios/m.yaml: matrix.connections: 100 is listed more than once: each variant runs once, so list each value once',
    'scenarios/m.yaml: matrix.close.client: expected one of fin, rst, linger, got "rts"; did you mean rst?',
  ]);
  const ranges = parseScenario({ name: 'm', matrix: { 'environment.sysctls.net.ipv4.ip_local_port_range': ['40000 40499', '40000  40499', '40000\t40499'] } }, FILE);
  const variants = expandMatrix(ranges, FILE);
  assert.deepEqual(variants.map((v) => v.slug), ['40000_40499', '40000_40499-2', '40000_40499-3']);
  assert.equal(new Set(variants.map((v) => resultStem(v.scenario, v))).size, 3, 'no two variants write one file');
});

test('a scenario with a target expands (its target is parsed again from the text)', () => {
  const s = parseScenario({ name: 'm', target: '127.0.0.1:8080', environment: { isolation: 'host' }, matrix: { 'close.client': ['fin', 'rst'] } }, FILE);
  assert.deepEqual(expandMatrix(s, FILE).map((v) => v.scenario.target?.port), [8080, 8080]);
});

test('a matrix cannot vary the name or itself, and cannot explode', () => {
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', matrix: { name: ['a', 'b'] } }, FILE)), ['scenarios/m.yaml: matrix.name: cannot vary name in a matrix']);
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'm', matrix: { connections: [1, 2, 3, 4, 5, 6, 7, 8, 9], concurrency: [1, 2, 3, 4, 5, 6, 7, 8] } }, FILE)), [
    'scenarios/m.yaml: matrix: 72 variants; at most 64 are run at once (split the matrix)',
  ]);
});

test('a file-name stem is the scenario and its variant\'s values, from a variant or from the values a result records', () => {
  const [variant] = expandMatrix(parseScenario({ name: 'm', matrix: { 'close.first': ['client'], 'close.client': ['fin'] } }, 'm.yaml'), 'm.yaml');
  assert.equal(resultStem({ name: 'm' }, variant!), 'm-client-fin');
  // A merge knows only the values its results recorded: the same stem, so two variants never share a file.
  assert.equal(resultStem({ name: 'm' }, { slug: variantSlug(variant!.values) }), 'm-client-fin');
  assert.equal(variantSlug({ 'http.path': '/a b' }), '_a_b');
  assert.equal(resultStem({ name: 'm' }, null), 'm');
});

test('a --set of a field the matrix varies is refused, also when another --set narrowed that key', () => {
  const raw = { name: 'm', matrix: { 'close.first': ['client', 'server'], 'close.client': ['fin', 'rst'] } };
  const problems = (...sets: string[]) => matrixOverrideProblems(raw, sets.map(parseOverride));
  // An audit: the narrowed run went ahead with close.first=server, exit 0, the --set dropped.
  assert.deepEqual(problems('matrix.close.first=[server]', 'close.first=client', 'matrix.close.client=[fin]'), [
    '--set close.first=client: the matrix varies close.first (server), which would override it in every variant; give the value in the matrix instead, --set "matrix.close.first=[client]", or drop it with --set "matrix={}"',
  ]);
  assert.deepEqual(problems('close.first=client'), [
    '--set close.first=client: the matrix varies close.first (client, server), which would override it in every variant; narrow the matrix with --set "matrix.close.first=[…]" or drop it with --set "matrix={}"',
  ]);
  // A narrowing alone, a replaced matrix without the key, and no matrix: nothing to refuse.
  assert.deepEqual(problems('matrix.close.first=[server]'), []);
  assert.deepEqual(problems('matrix={close.client: [rst]}', 'close.first=server'), []);
  assert.deepEqual(problems('matrix={}', 'close.first=server'), []);
});
