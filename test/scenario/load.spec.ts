import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, describe } from 'node:test';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { problemsOfAsync } from './helpers.js';

// In a describe: the hooks then belong to this file's tests alone, also when test/specs.ts
// runs every spec file in one process.
describe('scenario files', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'twstorm-scenario-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  test('a problem only the overrides made is theirs, even on a field the file set', async () => {
    // An audit: --set faults=… blamed the (valid) file for a field the file set (then a routed
    // lab's environment.topology; faults run there now, so the host's isolation stands in).
    const onHost = await file('host.yaml', 'name: host\nenvironment: { isolation: host }\n');
    const never = '--set: environment.isolation: faults are applied inside the run\'s own namespace, never on the host: expected netns or auto, got "host"';
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(onHost, ['faults=[{packets: final-ack}]'])), [never]);
    // A flag that became the one override is named as typed.
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(onHost, ['faults=[{packets: final-ack}]'], { sources: new Map([['faults=[{packets: final-ack}]', '--fault']]) })), [
      never.replace('--set', '--fault'),
    ]);
    // Several overrides: only the one that made the problem is named, as typed (a review:
    // "--set" where none was used, then "--set/--isolation" where only --isolation did).
    const target = await file('target.yaml', 'name: t\ntarget: "127.0.0.1:8080"\nenvironment: { isolation: host }\n');
    const flags = new Map([['environment.isolation=netns', '--isolation'], ['allowRemoteTarget=true', '--allow-remote-target']]);
    const both = await problemsOfAsync(() => loadScenarioFile(target, ['connections=100', ...flags.keys()], { sources: flags }));
    assert.ok(both.some((p) => p.startsWith('--isolation: target: an external target needs environment.isolation: host')), both.join('\n'));
    // A file with problems of its own keeps them as its own.
    const bad = await file('bad.yaml', 'name: bad\nconnections: 0\nenvironment: { isolation: host }\n');
    const problems = await problemsOfAsync(() => loadScenarioFile(bad, ['faults=[{packets: final-ack}]']));
    assert.ok(problems.every((p) => p.startsWith(bad)), problems.join('\n'));
  });

  test('loads a YAML file with comments and durations', async () => {
    const path = await file(
      'storm.yaml',
      [
        '# client closes first: TIME_WAIT piles up on the client',
        'name: storm',
        'connections: 20000',
        'duration: 1m',
        'close:',
        '  first: client',
        '  delay: 10ms',
        'environment:',
        '  sysctls:',
        '    net.ipv4.tcp_tw_reuse: 1',
        '',
      ].join('\n'),
    );
    const s = await loadScenarioFile(path);
    assert.equal(s.name, 'storm');
    assert.equal(s.connections, 20000);
    assert.equal(s.duration, 60_000);
    assert.equal(s.close.delay, 10);
    assert.deepEqual(s.environment.sysctls, { 'net.ipv4.tcp_tw_reuse': 1 });
    assert.equal(s.concurrency, 64);
  });

  test('loads a JSON file', async () => {
    const path = await file('storm.json', JSON.stringify({ name: 'j', rate: 500, close: { first: 'server' } }));
    const s = await loadScenarioFile(path);
    assert.equal(s.rate, 500);
    assert.equal(s.close.first, 'server');
    assert.equal(s.duration, 30_000);
  });

  test('overrides apply on top of the file', async () => {
    const path = await file('o.yaml', 'name: o\nconnections: 10\n');
    const s = await loadScenarioFile(path, ['connections=20000', 'close.first=both', 'environment.sysctls.net.ipv4.tcp_tw_reuse=1', 'rate=null']);
    assert.equal(s.connections, 20000);
    assert.equal(s.close.first, 'both');
    assert.deepEqual(s.environment.sysctls, { 'net.ipv4.tcp_tw_reuse': 1 });
    assert.equal(s.rate, null);
  });

  test('an override that fails validation is reported as coming from --set', async () => {
    const path = await file('v.yaml', 'name: v\nclose:\n  first: clinet\n');
    const problems = await problemsOfAsync(() => loadScenarioFile(path, ['connections=-1', 'close.frist=server']));
    assert.deepEqual(problems.sort(), [
      '--set: close.frist: unknown field; did you mean first? (known: first, client, server, lingerSeconds, delay)',
      '--set: connections: expected an integer from 1 to 1,000,000,000, got -1',
      `${path}: close.first: expected one of client, server, both, got "clinet"; did you mean client?`,
    ]);
  });

  test('a malformed override is reported before the file is read', async () => {
    const problems = await problemsOfAsync(() => loadScenarioFile(join(dir, 'absent.yaml'), ['connections']));
    assert.deepEqual(problems, ['--set connections: expected key.path=value']);
  });

  test('a YAML syntax error names line and column', async () => {
    const path = await file('syntax.yaml', 'name: s\nclose:\n  first: [client\nrate: 3\n');
    const problems = await problemsOfAsync(() => loadScenarioFile(path));
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', new RegExp(`^${escape(path)}:4:1: YAML syntax error: Flow sequence .*\\]$`));
  });

  test('a second YAML document is refused in the author\'s words, not the library\'s', async () => {
    // An audit: "Source contains multiple documents; please use YAML.parseAllDocuments()".
    const path = await file('two.yaml', '---\nname: a\n---\nname: b\n');
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(path)), [
      `${path}:3:1: a second YAML document starts here ("---"), but a scenario file holds one scenario: put each in a file of its own`,
    ]);
  });

  test('a duplicate key is refused, not a silent overwrite', async () => {
    const path = await file('dup.yaml', 'name: a\nconnections: 1\nconnections: 2\n');
    const problems = await problemsOfAsync(() => loadScenarioFile(path));
    assert.deepEqual(problems, [`${path}:3:1: duplicate key "connections": a key may appear once per mapping`]);
  });

  test('a missing file says so and where to find bundled ones', async () => {
    const path = join(dir, 'nope.yaml');
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(path)), [
      `no such scenario file: ${path} (bundled ones are listed by "twstorm list")`,
    ]);
  });

  test('an empty file and a non-mapping file are rejected clearly', async () => {
    const empty = await file('empty.yaml', '# nothing here\n');
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(empty)), [
      `${empty}: the file is empty, expected a mapping with at least "name"`,
    ]);
    const list = await file('list.yaml', '- name: x\n');
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(list)), [
      `${list}: expected a mapping of scenario fields at the top level, got a list`,
    ]);
    const scalar = await file('scalar.json', '42\n');
    assert.deepEqual(await problemsOfAsync(() => loadScenarioFile(scalar)), [
      `${scalar}: expected a mapping of scenario fields at the top level, got 42`,
    ]);
  });

  function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
});
