import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyOverrides } from '../../src/scenario/index.js';
import { problemsOf } from './helpers.js';

test('a number override gives a number', () => {
  assert.deepEqual(applyOverrides({ name: 'x', connections: 5 }, ['connections=20000']), { name: 'x', connections: 20000 });
});

test('a string override replaces a nested field and keeps its siblings', () => {
  const raw = { name: 'x', close: { first: 'client', server: 'rst' } };
  assert.deepEqual(applyOverrides(raw, ['close.first=server']), { name: 'x', close: { first: 'server', server: 'rst' } });
  assert.equal(raw.close.first, 'client', 'the input object is not modified');
});

test('missing intermediate mappings are created', () => {
  assert.deepEqual(applyOverrides({ name: 'x' }, ['server.port=0', 'payload.request=1']), {
    name: 'x',
    server: { port: 0 },
    payload: { request: 1 },
  });
});

test('a sysctl name with dots is one key inside environment.sysctls', () => {
  assert.deepEqual(
    applyOverrides({ environment: { sysctls: { 'net.core.somaxconn': 128 } } }, [
      'environment.sysctls.net.ipv4.tcp_tw_reuse=1',
      'environment.sysctls["net.ipv4.ip_local_port_range"]=40000 40999',
    ]),
    {
      environment: {
        sysctls: { 'net.core.somaxconn': 128, 'net.ipv4.tcp_tw_reuse': 1, 'net.ipv4.ip_local_port_range': '40000 40999' },
      },
    },
  );
});

test('values are YAML: null, flow maps, quoted strings, empty string', () => {
  assert.deepEqual(
    applyOverrides({ rate: 5 }, [
      'rate=null',
      'environment.sysctls={net.ipv4.tcp_tw_reuse: 2}',
      'server.host="127.0.0.9"',
      'description=',
      'duration=1m30s',
    ]),
    {
      rate: null,
      environment: { sysctls: { 'net.ipv4.tcp_tw_reuse': 2 } },
      server: { host: '127.0.0.9' },
      description: '',
      duration: '1m30s',
    },
  );
});

test('later overrides win', () => {
  assert.deepEqual(applyOverrides({}, ['connections=1', 'connections=2']), { connections: 2 });
});

test('an empty scenario can be built from overrides alone', () => {
  assert.deepEqual(applyOverrides(null, ['name=x']), { name: 'x' });
});

test('malformed overrides are rejected with what was expected', () => {
  for (const text of ['connections', '=5', 'a..b=1', '.a=1', 'a.=1', 'a[=1', 'a["b"]c=1']) {
    assert.deepEqual(problemsOf(() => applyOverrides({}, [text])), [`--set ${text}: expected key.path=value`]);
  }
});

test('an override through a non-mapping value is rejected', () => {
  assert.deepEqual(problemsOf(() => applyOverrides({ close: 'client' }, ['close.first=server'])), [
    '--set close.first=server: close is "client", not a mapping',
  ]);
});

test('an override whose value is not YAML is rejected', () => {
  const [line] = problemsOf(() => applyOverrides({}, ['payload={request: 1']));
  assert.match(line ?? '', /^--set payload=\{request: 1: value is not valid YAML: /);
});

test('an override value with a second YAML document says so, not the library\'s API advice', () => {
  assert.deepEqual(problemsOf(() => applyOverrides({}, ['description=a\n---\nb'])), [
    '--set description=a\n---\nb: value is not valid YAML: it holds more than one YAML document ("---")',
  ]);
});

test('a value YAML reads as a mapping without braces is refused with the quoting that keeps it a string', () => {
  // A helper's audit: `--set 'server.command=python3 -m http.server 7000 --bind ::'` said only "got a mapping".
  assert.deepEqual(problemsOf(() => applyOverrides({}, ['server.command=python3 -m http.server 7000 --bind ::'])), [
    `--set server.command=python3 -m http.server 7000 --bind ::: YAML reads the value as a mapping (it holds ": " or ends with ":"); quote it to keep it a string: --set 'server.command="python3 -m http.server 7000 --bind ::"', or write a mapping as {key: value}`,
  ]);
  assert.deepEqual(problemsOf(() => applyOverrides({}, ['description=say "a: b"'])).length, 1);
  // Quoted it is the string; a mapping in braces is a mapping.
  assert.deepEqual(applyOverrides({}, ['server.command="python3 -m http.server 7000 --bind ::"']), { server: { command: 'python3 -m http.server 7000 --bind ::' } });
  assert.deepEqual(applyOverrides({}, ['payload={request: 1}']), { payload: { request: 1 } });
});
