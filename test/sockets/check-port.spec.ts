// A self-check's listener port (src/sockets/check-port.ts): port 0 first; when the ephemeral
// range is full (EADDRINUSE), ports just outside it, never privileged ones or past 65535.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindCheckPort, portsOutside } from '../../src/sockets/check-port.js';

test('ports outside the range: just below it, then just above, within 1024-65535', () => {
  assert.deepEqual(portsOutside({ low: 40000, high: 40009 }).slice(0, 3), [39999, 39998, 39997]);
  assert.deepEqual(portsOutside({ low: 40000, high: 40009 }).slice(16, 18), [40010, 40011]);
  assert.deepEqual(portsOutside({ low: 1025, high: 65533 }), [1024, 65534, 65535]);
  assert.deepEqual(portsOutside({ low: 1024, high: 65535 }), []);
});

test('bindCheckPort: port 0 when it binds; else the first free port outside; another errno ends the search', () => {
  const tried: number[] = [];
  const taken = new Set([0]);
  const ok = bindCheckPort((port) => (tried.push(port), taken.has(port) ? 'EADDRINUSE' : null), '/nonexistent');
  // No readable range: the kernel's default 32768-60999 stands in.
  assert.deepEqual(ok, { error: null, port: 32767, note: 'bind(port 0): EADDRINUSE, every port of the ephemeral range 32768-60999 is held here; the check listened on port 32767, outside it' });
  assert.deepEqual(tried, [0, 32767]);
  assert.deepEqual(bindCheckPort(() => null), { error: null, port: 0, note: null });
  assert.deepEqual(bindCheckPort((port) => (port === 0 ? 'EADDRNOTAVAIL' : null)), { error: 'EADDRNOTAVAIL', port: 0, note: null });
  assert.deepEqual(bindCheckPort((port) => (port === 0 ? 'EADDRINUSE' : 'EACCES'), '/nonexistent'), { error: 'EACCES', port: 32767, note: null });
  assert.equal(bindCheckPort(() => 'EADDRINUSE', '/nonexistent').error, 'EADDRINUSE');
});
