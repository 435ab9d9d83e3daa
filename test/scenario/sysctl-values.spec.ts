// Sysctl values the kernel's write would refuse are refused as the file loads (exit 2), not after
// the namespace is built ("the kernel rejected the value", exit 1: an audit's
// tcp_fin_timeout=abc, somaxconn=-5, ip_local_reserved_ports=abc).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseScenario } from '../../src/scenario/index.js';
import { INTEGER_SYSCTLS, LIST_SYSCTLS, NAMESPACED_SYSCTLS, sysctlValueProblem } from '../../src/scenario/sysctls.js';
import { problemsOf } from './helpers.js';

const FILE = 'scenarios/x.yaml';
const withSysctls = (sysctls: Record<string, unknown>) => ({ name: 'x', environment: { sysctls } });

test('every sysctl a scenario may set has its value checked: one integer within bounds, or a list of its own', () => {
  for (const name of Object.keys(NAMESPACED_SYSCTLS)) {
    assert.ok(Object.hasOwn(INTEGER_SYSCTLS, name) !== LIST_SYSCTLS.has(name), `${name}: in exactly one of INTEGER_SYSCTLS and LIST_SYSCTLS`);
  }
  // This machine's values (read only): a setting that holds one integer is checked as one,
  // and every value the kernel holds now passes the check.
  for (const name of Object.keys(NAMESPACED_SYSCTLS)) {
    let value: string;
    try {
      value = readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trimEnd();
    } catch {
      continue; // Not on this kernel (or no conntrack loaded).
    }
    if (/^-?\d+$/.test(value)) assert.ok(Object.hasOwn(INTEGER_SYSCTLS, name), `${name} holds one integer (${value}) here`);
    assert.equal(sysctlValueProblem(name, value), undefined, `${name}: the kernel's own ${JSON.stringify(value)}`);
  }
});

test('a value the kernel would refuse is a problem of the file, with the others', () => {
  assert.deepEqual(
    problemsOf(() =>
      parseScenario(
        withSysctls({
          'net.ipv4.tcp_fin_timeout': 'abc',
          'net.core.somaxconn': -5,
          'net.ipv4.ip_local_reserved_ports': 'abc',
          'net.ipv4.tcp_syn_retries': '010',
          'net.ipv4.tcp_rmem': '4096,131072,6291456',
          'net.ipv4.tcp_sack': 256,
          'net.ipv4.tcp_keepalive_time': 1.5,
        }),
        FILE,
      ),
    ),
    [
      `${FILE}: environment.sysctls["net.ipv4.tcp_fin_timeout"]: expected an integer from -2147483 to 2147483, got "abc"`,
      `${FILE}: environment.sysctls["net.core.somaxconn"]: expected an integer from 0 to 2147483647, got -5`,
      `${FILE}: environment.sysctls["net.ipv4.ip_local_reserved_ports"]: expected ports and low-high ranges from 0 to 65535, separated by commas without spaces, like "8080,9000-9010" ("" for none), got "abc"`,
      `${FILE}: environment.sysctls["net.ipv4.tcp_syn_retries"]: expected an integer from 1 to 127, written without a leading 0 (the kernel reads "010" as octal, 8), got "010"`,
      `${FILE}: environment.sysctls["net.ipv4.tcp_rmem"]: expected up to three positive integers "MIN DEFAULT MAX" (bytes, apart by whitespace), like "4096 131072 6291456", got "4096,131072,6291456"`,
      `${FILE}: environment.sysctls["net.ipv4.tcp_sack"]: expected an integer from 0 to 255, got 256`,
      `${FILE}: environment.sysctls["net.ipv4.tcp_keepalive_time"]: expected an integer from -2147483 to 2147483, got 1.5`,
    ],
  );
  // What the kernel takes passes: strings of digits, the lists in their forms.
  const fine = parseScenario(
    withSysctls({
      'net.ipv4.tcp_fin_timeout': '30',
      'net.core.somaxconn': 0,
      'net.ipv4.ip_local_reserved_ports': '8080,9000-9010',
      'net.ipv4.tcp_wmem': '4096 16384',
      'net.ipv4.tcp_max_tw_buckets': -1,
    }),
    FILE,
  );
  assert.equal(fine.environment.sysctls['net.ipv4.tcp_fin_timeout'], '30');
  assert.equal(sysctlValueProblem('net.ipv4.ip_local_reserved_ports', ''), undefined);
  assert.match(sysctlValueProblem('net.ipv4.ip_local_reserved_ports', '9010-9000') ?? '', /^expected ports and low-high ranges/);
  assert.match(sysctlValueProblem('net.ipv4.ip_local_reserved_ports', '70000') ?? '', /^expected ports and low-high ranges/);
});
