// `twstorm doctor` on a machine with known settings: a fresh namespace of the test's own
// with a small port range, timestamps off, a low tcp_max_tw_buckets, and a lowered open-file
// limit (prlimit). The right lines must turn yellow (warn) or red (fail), and `preflight`
// must refuse the scenario that needs more descriptors. Nothing on the host is changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { programFound } from '../../src/server/command-line.js';
import type { DoctorReport } from '../../src/doctor/index.js';
import type { Check } from '../../src/doctor/check.js';

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));
const DOCTOR = fileURLToPath(new URL('../../src/doctor/index.js', import.meta.url));
const SCENARIOS = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

const SETUP = [
  'ip link set lo up',
  'echo "40000 40999" > /proc/sys/net/ipv4/ip_local_port_range',
  'echo 0 > /proc/sys/net/ipv4/tcp_timestamps',
  'echo 1000 > /proc/sys/net/ipv4/tcp_max_tw_buckets',
].join(' && ');

/** Runs `command` (with "$@") in a fresh namespace set up as above, soft limit 128, hard 256. */
function inNamespace(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const unshare = process.getuid?.() === 0 ? ['-n'] : ['-rn'];
  const r = spawnSync(
    'unshare',
    [...unshare, 'sh', '-c', `${SETUP} && exec prlimit --nofile=128:256 ${command} "$@"`, 'sh', ...args],
    { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' },
  );
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const status = (checks: Check[]): Record<string, string> => Object.fromEntries(checks.map((c) => [c.id, c.status]));

test('doctor in a namespace with known sysctls and 256 open files: the right lines warn and fail', () => {
  const json = inNamespace(process.execPath, [BIN, 'doctor', '--json']);
  assert.equal(json.status, 1, `exit 1 when a line fails; stderr: ${json.stderr}`);
  const report = JSON.parse(json.stdout) as DoctorReport;
  const machine = status(report.machine);
  assert.equal(machine['port-range'], 'warn');
  assert.equal(machine['timestamps'], 'warn');
  assert.equal(machine['tw-buckets'], 'warn');
  assert.equal(machine['open-files'], 'fail');
  assert.equal(machine['time-wait-now'], 'ok');
  // The probe's connect() to 127.0.0.1 and bind(0) find a port in the fresh namespace.
  assert.equal(machine['port-now'], 'ok');
  assert.equal(machine['node'], 'ok');
  assert.equal(machine['tw-reuse'], 'ok');
  const files = report.machine.find((c) => c.id === 'open-files');
  // Node lifts its soft limit (128) to the hard one (256) at start-up: 256 is what a run gets.
  assert.match(files?.detail ?? '', /^256 \(hard 256\), but tw-reuse(?:-modes)? needs 2,100 per process/);
  assert.match(files?.fix ?? '', /raise ulimit -n to at least 4096: the hard limit is 256/);
  assert.match(report.machine.find((c) => c.id === 'port-range')?.detail ?? '', /^40000–40999: 1,000 usable ports, so at most ~16 new connections/);
  assert.match(report.machine.find((c) => c.id === 'tw-buckets')?.detail ?? '', /^1,000: .*up to 5,000 TIME_WAIT/);

  const scenarios = status(report.scenarios);
  assert.equal(scenarios['scenario:client-closes-first'], 'ok', '64 in flight + headroom fit in 256');
  assert.equal(scenarios['scenario:port-exhaustion'], 'ok');
  assert.equal(scenarios['scenario:tw-reuse'], 'fail', 'an open loop of 2,000 needs more than 256');
  assert.equal(report.status, 'fail');

  // Text into a pipe: no colour codes, a symbol and a word on every verdict line.
  const text = inNamespace(process.execPath, [BIN, 'doctor']);
  assert.equal(text.status, 1);
  assert.doesNotMatch(text.stdout, /\x1b\[/);
  assert.match(text.stdout, /^✗ FAIL  open-file limit\s+256 \(hard 256\)/m);
  assert.match(text.stdout, /^! warn  tcp_timestamps\s+0: tcp_tw_reuse needs TCP timestamps/m);
  assert.match(text.stdout, /^\s+→ fix: raise ulimit -n to at least 4096/m);
  assert.match(text.stdout, /^✓ ok    client-closes-first\s+runs in a fresh namespace; needs 164 open files/m);
  assert.match(text.stdout, /^overall: ✗ FAIL/m);
});

test('preflight(scenario): only what the scenario needs, and a fail where it would break', () => {
  const script = `
    const { preflight } = await import(${JSON.stringify(DOCTOR)});
    const { loadScenarioFile } = await import(${JSON.stringify(DOCTOR.replace(/doctor\/index\.js$/, 'scenario/index.js'))});
    const out = {};
    for (const [name, sets] of [
      ['client-closes-first', []],
      ['tw-reuse', []],
      ['client-closes-first', ['environment.isolation=host', 'connections=5000']],
    ]) {
      const s = await loadScenarioFile(${JSON.stringify(SCENARIOS)} + name + '.yaml', sets);
      out[name + (sets.length ? ':host' : '')] = await preflight(s);
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const r = inNamespace(process.execPath, ['--input-type=module', '-e', script]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, Check[]>;
  assert.deepEqual(status(out['client-closes-first']!), { namespace: 'ok', 'open-files': 'ok' });
  assert.deepEqual(status(out['tw-reuse']!), { namespace: 'ok', 'open-files': 'fail' });
  // On the host: the scenario's sysctls are not applied, 5,000 connections do not fit 1,000 ports,
  // and tcp_max_tw_buckets (1,000) caps the TIME_WAIT it would make.
  assert.deepEqual(status(out['client-closes-first:host']!), {
    'open-files': 'ok',
    'host-sysctls': 'warn',
    'host-ports': 'warn',
    'host-tw-buckets': 'warn',
  });
});

/**
 * `twstorm <args>` with a $PATH that holds only `tools` (symlinks to this machine's): what a
 * machine without the others has. Returns its exit and output.
 */
function withOnly(tools: string[], args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'twstorm-doctor-path-'));
  try {
    for (const tool of tools) {
      const found = (process.env['PATH'] ?? '').split(':').map((d) => path.join(d, tool)).find((f) => programFound(f));
      if (found) symlinkSync(found, path.join(bin, tool));
    }
    return spawnSync(process.execPath, [BIN, ...args.map((a) => a.replace('$BIN', bin))], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: bin, ...env } });
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

test('doctor <scenario> fails a server.command whose program is not installed, as its run would fail', () => {
  // A $PATH with the tools a run needs and no nginx: what a machine without nginx-light has.
  const r = withOnly(['sh', 'ip', 'unshare', 'setpriv', 'nsenter', 'nft', 'conntrack'], ['doctor', 'nginx-connection-close', '--json']);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { status: string; checks: Check[] };
  assert.equal(report.status, 'fail');
  const server = report.checks.find((c) => c.id === 'server-command');
  assert.equal(server?.status, 'fail');
  // Where nginx is installed (in /usr/sbin) the line says so: this $PATH leaves it out.
  assert.match(server?.detail ?? '', /^the scenario's server starts "nginx", which is not on \$PATH( \(it is in \/[\w/]+sbin\))?$/);
});

test('doctor <routed scenario> without unshare: the lab is not called buildable', () => {
  // An audit: with unshare missing the lab's probe script never ran, printed nothing, and the
  // line read "veth, nftables NAT and conntrack work in a namespace".
  const r = withOnly(['sh', 'ip', 'setpriv', 'nsenter', 'nft', 'conntrack'], ['doctor', 'routed-client-closes-first', '--json']);
  assert.equal(r.status, 1, r.stderr);
  const lab = (JSON.parse(r.stdout) as { checks: Check[] }).checks.find((c) => c.id === 'routed-lab');
  assert.equal(lab?.status, 'fail');
  assert.match(lab?.detail ?? '', /missing a network namespace \(the unshare command is missing/);
});

test('without ip a namespace is still made: the run brings lo up through the native layer', () => {
  // An audit: with iproute2 missing doctor said "cannot make one", and every run fell back to the
  // host network, though the run process never starts ip where the native layer loads.
  const namespaceLine = (env: Record<string, string>): Check | undefined => {
    const r = withOnly(['sh', 'unshare', 'setpriv', 'nsenter'], ['doctor', 'port-exhaustion', '--json'], env);
    assert.notEqual(r.status, null, r.stderr);
    return (JSON.parse(r.stdout) as { checks: Check[] }).checks.find((c) => c.id === 'namespace');
  };
  assert.equal(namespaceLine({})?.status, 'ok');
  // Without the native layer the run would need ip: then no namespace, and why.
  const without = namespaceLine({ TWSTORM_NATIVE_SOCKETS: 'off' });
  assert.equal(without?.status, 'warn');
  assert.match(without?.detail ?? '', /the ip command is missing .* as the native socket layer cannot/);
  assert.equal(without?.fix, 'to isolate it, install iproute2 (it provides ip)');
});

test('run --isolation netns where no namespace can be made: one line with the fix its reason calls for', () => {
  // As root with unshare missing, the run said "Run as root, enable unprivileged user namespaces"
  // (an audit). An empty $PATH: nothing is started, the probe finds no unshare.
  const r = withOnly([], ['run', 'client-closes-first', '--isolation', 'netns', '--out', '$BIN']);
  assert.equal(r.status, 1, r.stderr);
  // The pre-flight says it before anything starts (chooseIsolation's own line, the same fix, is its backstop).
  assert.equal(r.stderr, 'twstorm: not started: network namespace: the scenario needs isolation "netns" but no namespace can be made: the unshare command is missing (Debian package util-linux); install util-linux (it provides unshare), or set environment.isolation: auto (host fallback)\n');
  assert.doesNotMatch(r.stderr, /run as root/i);
});
