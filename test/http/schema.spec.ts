// The `http` block of a scenario: defaults, the shapes it accepts, and the summary figures
// thresholds may name for HTTP runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScenario } from '../../src/scenario/index.js';
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
    `${FILE}: http.policy: expected one of keepalive, close-after, wait-client, rst, got "close"`,
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
