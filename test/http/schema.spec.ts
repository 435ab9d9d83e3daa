// The `http` block of a scenario: defaults, the shapes it accepts, and the summary figures
// thresholds may name for HTTP runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadScenarioFile, parseScenario } from '../../src/scenario/index.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolvePath } from '../../src/result/figure-paths.js';
import { problemsOf } from '../scenario/helpers.js';

const FILE = 'scenarios/h.yaml';

test('protocol http with an empty http block gets every default', () => {
  const s = parseScenario({ name: 'h', protocol: 'http' }, FILE);
  assert.equal(s.protocol, 'http');
  assert.deepEqual(s.http, {
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
  });
});

test('service delay: fixed or a { min, max } range, in milliseconds', () => {
  assert.deepEqual(parseScenario({ name: 'h', http: { serviceDelay: '2ms' } }, FILE).http.serviceDelay, { min: 2, max: 2 });
  assert.deepEqual(parseScenario({ name: 'h', http: { serviceDelay: { min: '1ms', max: 5 } } }, FILE).http.serviceDelay, { min: 1, max: 5 });
  const problems = problemsOf(() => parseScenario({ name: 'h', http: { serviceDelay: { min: 5, max: 1 } } }, FILE));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /http\.serviceDelay: expected min <= max/);
});

test('a wrong client mode or policy names the choices', () => {
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'h', http: { client: 'pool' } }, FILE)), [
    `${FILE}: http.client: expected one of keepalive, connection-close, reset, agent-per-request, raw, got "pool"`,
  ]);
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'h', http: { policy: 'close' } }, FILE)), [
    `${FILE}: http.policy: expected one of keepalive, close-after, wait-client, rst, got "close"; did you mean close-after?`,
  ]);
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'h', http: { reqests: 5 } }, FILE)).length, 1);
});

test('the http block is accepted (and ignored) under protocol tcp', () => {
  const s = parseScenario({ name: 't', http: { client: 'reset' } }, FILE);
  assert.equal(s.protocol, 'tcp');
  assert.equal(s.http.client, 'reset');
});

test('summary.requests figures can be named in thresholds', () => {
  for (const figure of ['total', 'ok', 'failed', 'ratePerSec', 'perConnection']) {
    assert.equal(resolvePath(`summary.requests.${figure}`).ok, true, figure);
  }
  assert.equal(resolvePath('summary.requests.perRequest').ok, false);
});

test('fields protocol http does not use are refused with what to set instead, not ignored', () => {
  assert.deepEqual(
    problemsOf(() => parseScenario({ name: 'h', protocol: 'http', connections: 100, payload: { request: 10 }, close: { first: 'server' } }, FILE)),
    [
      `${FILE}: connections: not used under protocol http; the run counts requests: set http.requests`,
      `${FILE}: payload: not used under protocol http; the response body is http.body; the request is GET http.path`,
      `${FILE}: close: not used under protocol http; who closes is http.client and http.policy`,
    ],
  );
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'h', protocol: 'http', matrix: { 'close.first': ['client', 'server'] } }, FILE)), [
    `${FILE}: matrix.close.first: not used under protocol http; who closes is http.client and http.policy`,
  ]);
  // A matrix over the protocol keeps both kinds of field, each for its own variants.
  const both = parseScenario({ name: 'h', protocol: 'http', connections: 100, matrix: { protocol: ['tcp', 'http'] } }, FILE);
  assert.equal(both.connections, 100);
});

test('requestsPerConnection, the raw client\'s own, is refused under an undici client, not ignored; path is every client\'s', async () => {
  // An audit: a setting that did nothing without a word (undici's pool decides the connections).
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'h', protocol: 'http', http: { path: '/bytes/512', requestsPerConnection: 10 } }, FILE)), [
    `${FILE}: http.requestsPerConnection: used by http.client raw only, not keepalive: the undici pool decides how many requests a connection carries (http.client keepalive reuses, connection-close and reset close after each); set http.client: raw, or leave http.requestsPerConnection out`,
  ]);
  assert.equal(parseScenario({ name: 'h', protocol: 'http', http: { client: 'reset', path: '/bytes/512' } }, FILE).http.path, '/bytes/512');
  // The default written out (README's block copied whole) is no problem; raw reads it.
  assert.equal(parseScenario({ name: 'h', protocol: 'http', http: { client: 'reset', requestsPerConnection: 1 } }, FILE).http.client, 'reset');
  assert.equal(parseScenario({ name: 'h', protocol: 'http', http: { client: 'raw', requestsPerConnection: 10 } }, FILE).http.requestsPerConnection, 10);
  // A matrix over the client keeps it for its raw variants, and only then.
  assert.equal(parseScenario({ name: 'h', protocol: 'http', http: { requestsPerConnection: 10 }, matrix: { 'http.client': ['keepalive', 'raw'] } }, FILE).http.requestsPerConnection, 10);
  assert.match(problemsOf(() => parseScenario({ name: 'h', protocol: 'http', http: { requestsPerConnection: 10 }, matrix: { 'http.client': ['keepalive', 'reset'] } }, FILE))[0]!, /http\.requestsPerConnection: used by http\.client raw only/);
  assert.deepEqual(problemsOf(() => parseScenario({ name: 'h', protocol: 'http', matrix: { 'http.requestsPerConnection': [1, 10] } }, FILE)), [
    `${FILE}: matrix.http.requestsPerConnection: used by http.client raw only, not keepalive: the undici pool decides how many requests a connection carries (http.client keepalive reuses, connection-close and reset close after each)`,
  ]);
  // A --set is named as the source.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-http-raw-'));
  try {
    const file = path.join(dir, 'h.yaml');
    await writeFile(file, 'name: h\nprotocol: http\nhttp: { requests: 100 }\n');
    await assert.rejects(loadScenarioFile(file, ['http.requestsPerConnection=5']), /--set: http\.requestsPerConnection: used by http\.client raw only/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--set connections on an HTTP scenario is refused as the --set, not run without it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-http-set-'));
  try {
    const file = path.join(dir, 'h.yaml');
    await writeFile(file, 'name: h\nprotocol: http\nhttp: { requests: 100 }\n');
    await assert.rejects(loadScenarioFile(file, ['connections=500']), (err: unknown) => {
      assert.deepEqual((err as { problems: string[] }).problems, ['--set: connections: not used under protocol http; the run counts requests: set http.requests']);
      return true;
    });
    // A tcp file switched by --set protocol=http keeps its own tcp fields (no --set removes them).
    const tcp = path.join(dir, 't.yaml');
    await writeFile(tcp, 'name: t\nconnections: 50\nclose: { first: server }\n');
    assert.equal((await loadScenarioFile(tcp, ['protocol=http'])).protocol, 'http');
    await assert.rejects(loadScenarioFile(tcp, ['protocol=http', 'close.first=client']), /--set: close: not used under protocol http/);
    // Its matrix over close.* would run one load per variant, all the same: refused, with the way out.
    const matrix = path.join(dir, 'm.yaml');
    await writeFile(matrix, 'name: m\nmatrix: { close.first: [client, server] }\n');
    await assert.rejects(loadScenarioFile(matrix, ['protocol=http']), /matrix\.close\.first: not used under protocol http; who closes is http\.client and http\.policy \(or drop the matrix: --set "matrix=\{\}"\)/);
    assert.equal((await loadScenarioFile(matrix, ['protocol=http', 'matrix={}'])).protocol, 'http');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('http.path is a request target every client can send: "/" and visible ASCII, no space', () => {
  // An audit: since the undici clients send http.path, `path: /a b` passed the schema and every
  // request failed with UND_ERR_INVALID_ARG (undici refuses it), with no word of why.
  for (const path of ['/a b', '/caf\u00e9', '/x\r\nX-Injected: 1', 'bytes/512']) {
    const problems = problemsOf(() => parseScenario({ name: 'h', protocol: 'http', http: { path } }, FILE));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.ok(problems[0]!.startsWith(`${FILE}: http.path: expected a request target like "/bytes/512": "/" and then visible ASCII, no space (percent-encode others, e.g. %20), got `), problems[0]);
    assert.doesNotMatch(problems[0]!, /[\r\n]/, 'one line');
  }
  for (const path of ['/', '/bytes/512', '/a%20b?x=1&y=%C3%A9', '/~user/index.html']) {
    assert.equal(parseScenario({ name: 'h', protocol: 'http', http: { path } }, FILE).http.path, path);
  }
});
