// IP_LOCAL_PORT_RANGE (Linux 6.3): the u32 layout the kernel reads (low port in bits 0-15),
// the rule by which it combines a socket's range with the namespace's, the self-check that
// proves both on this kernel, and the one-line refusals where it cannot be honoured (a kernel
// without it, the net fallback, a range the kernel would ignore).
import { test, afterEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import {
  getLocalPortRange,
  requireFeature,
  resetSocketLayer,
  setLocalPortRange,
  socketFeatures,
  SocketFeatureError,
} from '../../src/sockets/index.js';
import { realNative } from '../helpers/native.js';
import { AF_INET, IP_LOCAL_PORT_RANGE, IPPROTO_IP, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM } from '../../src/sockets/constants.js';
import { decodePortRange, encodePortRange } from '../../src/sockets/structs.js';
import { effectivePortRange, honoured } from '../../src/scenario/port-range.js';
import { requireSocketFeatures } from '../../src/run/native-needs.js';
import { parseScenario, ScenarioError } from '../../src/scenario/index.js';

// In a describe: the hooks then belong to this file's tests alone, also when test/specs.ts
// runs every spec file in one process.
describe('IP_LOCAL_PORT_RANGE', () => {
  afterEach(() => resetSocketLayer());

  test('the u32 carries the low port in the low 16 bits and the high port in the high 16 (host order)', () => {
    const buf = encodePortRange(40000, 40999);
    const value = os.endianness() === 'LE' ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
    assert.equal(value, 40999 * 65536 + 40000);
    assert.deepEqual(decodePortRange(buf), { low: 40000, high: 40999 });
    assert.deepEqual(decodePortRange(encodePortRange(65535, 65535)), { low: 65535, high: 65535 });
    assert.throws(() => encodePortRange(1, 65536), /two ports from 0 to 65535/);
  });

  test('per-socket bounds count only inside the namespace range (inet_sk_get_local_port_range)', () => {
    const ns = { low: 32768, high: 60999 };
    assert.deepEqual(effectivePortRange(ns, { low: 40000, high: 40999 }), { low: 40000, high: 40999 });
    assert.deepEqual(effectivePortRange(ns, { low: 1024, high: 40999 }), { low: 32768, high: 40999 }, 'a low bound below the range is ignored');
    assert.deepEqual(effectivePortRange(ns, { low: 50000, high: 65000 }), { low: 50000, high: 60999 }, 'a high bound above it is ignored');
    assert.deepEqual(effectivePortRange(ns, null), ns);
    assert.equal(honoured(ns, { low: 40000, high: 40999 }), true);
    assert.equal(honoured(ns, { low: 30000, high: 40999 }), false);
  });

  test('on this kernel the option is self-checked: read back, reversed range refused, bind(0) lands inside', () => {
    const f = socketFeatures();
    assert.equal(f.options.localPortRange, true, f.reasons.localPortRange);
    assert.ok(f.checks.some((c) => /IP_LOCAL_PORT_RANGE \(0\/51\): u32 40000-40999 read back the same, the reversed range refused \(EINVAL\)/.test(c)), f.checks.join('\n'));
    assert.ok(f.checks.some((c) => /IP_LOCAL_PORT_RANGE \d+-\d+: bind\(port 0\) got port \d+, inside it/.test(c)), f.checks.join('\n'));
  });

  test('setLocalPortRange / getLocalPortRange on a fresh fd round-trip, and null clears it', () => {
    const native = realNative();
    const fd = native.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0).ret;
    assert.ok(fd >= 0);
    try {
      assert.equal(getLocalPortRange(fd), null, 'a new socket has no range of its own');
      setLocalPortRange(fd, { low: 41000, high: 41099 });
      assert.deepEqual(getLocalPortRange(fd), { low: 41000, high: 41099 });
      assert.throws(() => setLocalPortRange(fd, { low: 41099, high: 41000 }), /setsockopt EINVAL/);
      setLocalPortRange(fd, null);
      assert.equal(getLocalPortRange(fd), null);
    } finally {
      native.close(fd);
    }
  });

  test('a kernel without it (ENOPROTOOPT, before 6.3): the option alone is off, and the refusal names the kernel', () => {
    const real = realNative();
    resetSocketLayer(() => ({
      ...real,
      setsockopt: (fd, level, name, value) =>
        level === IPPROTO_IP && name === IP_LOCAL_PORT_RANGE ? { ret: -1, errno: os.constants.errno.ENOPROTOOPT } : real.setsockopt(fd, level, name, value),
    }));
    const f = socketFeatures();
    assert.equal(f.available, true);
    assert.equal(f.options.localPortRange, false);
    assert.equal(f.options.bindAddressNoPort, true);
    assert.equal(f.reasons.localPortRange, `this kernel (Linux ${os.release()}) has no IP_LOCAL_PORT_RANGE (setsockopt: ENOPROTOOPT); it came in Linux 6.3`);
    const s = parseScenario({ name: 's', client: { portRange: '40000-40999' } }, 's.yaml');
    assert.throws(
      () => requireSocketFeatures(s),
      (err: unknown) => {
        assert.ok(err instanceof SocketFeatureError);
        assert.equal(
          err.message,
          `IP_LOCAL_PORT_RANGE (a per-socket ephemeral port range, Linux 6.3+) is not available: this kernel (Linux ${os.release()}) has no ` +
            'IP_LOCAL_PORT_RANGE (setsockopt: ENOPROTOOPT); it came in Linux 6.3. Scenarios that do not set client.portRange still run.',
        );
        assert.equal(err.message.split('\n').length, 1);
        return true;
      },
    );
    // A scenario without the field does not need it.
    assert.doesNotThrow(() => requireSocketFeatures(parseScenario({ name: 's' }, 's.yaml')));
  });

  test('an FFI without the engine\'s raw calls cannot honour it: the net fallback connects before any option', () => {
    const real = realNative();
    const { raw: _raw, ...withoutRaw } = real;
    resetSocketLayer(() => withoutRaw);
    assert.equal(socketFeatures().options.localPortRange, false);
    assert.throws(() => requireFeature('localPortRange', 'client.portRange'), /only the engine can set it before connect\(\)/);
  });

  test('the scenario field: one range parser, and refused where the kernel would ignore it', () => {
    const ok = parseScenario({ name: 's', client: { portRange: '40000 40999' } }, 's.yaml');
    assert.equal(ok.client.portRange, '40000 40999');
    const problems = (raw: Record<string, unknown>): string => {
      try {
        parseScenario(raw, 's.yaml');
      } catch (err) {
        assert.ok(err instanceof ScenarioError);
        return err.message;
      }
      return '';
    };
    assert.match(problems({ name: 's', client: { portRange: '40999-40000' } }), /client\.portRange: expected a port range like "40000-40999"/);
    assert.match(problems({ name: 's', client: { portRange: '1024-2047' } }), /client\.portRange: must lie inside net\.ipv4\.ip_local_port_range \(32768-60999 in this run\)/);
    assert.match(
      problems({ name: 's', client: { portRange: '1024-2047' }, environment: { sysctls: { 'net.ipv4.ip_local_port_range': '40000 40999' } } }),
      /40000-40999 in this run/,
    );
    assert.equal(problems({ name: 's', client: { portRange: '1024-2047' }, environment: { isolation: 'host' } }), '', 'the host\'s range is not known before the run');
    assert.match(problems({ name: 's', protocol: 'http', client: { portRange: '40000-40999' } }), /undici's sockets are connected by Node, which cannot set it/);
    assert.equal(problems({ name: 's', protocol: 'http', http: { client: 'raw' }, client: { portRange: '40000-40999' } }), '');
    assert.match(problems({ name: 's', client: { bind: true, localPorts: '40000-40099', portRange: '40000-40999' } }), /no effect with client\.localPorts/);
  });
});
