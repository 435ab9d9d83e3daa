// Whether a client connecting to a host reaches a listener's address (src/server/listeners.ts):
// the answer a user's server readiness and a loopback target's listener check share.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { listenerText, servesHost } from '../../src/server/listeners.js';

/** [listener address, host the client connects to, IPV6_V6ONLY on a :: listener, reached]. */
const CASES: ReadonlyArray<[string, string, boolean, boolean]> = [
  // An IPv4 host: its own address, 0.0.0.0, and :: unless IPV6_V6ONLY.
  ['127.0.0.1', '127.0.0.1', false, true],
  ['0.0.0.0', '127.0.0.1', false, true],
  ['::', '127.0.0.1', false, true],
  ['::', '127.0.0.1', true, false],
  ['127.0.0.2', '127.0.0.1', false, false],
  ['::1', '127.0.0.1', false, false],
  // An IPv4-mapped host (a target written [::ffff:127.0.0.1]:port) is the IPv4 address it maps:
  // a connect to it reaches a listener on 127.0.0.1, which was said "NOT SERVED". ::1 is another.
  ['127.0.0.1', '::ffff:127.0.0.1', false, true],
  ['0.0.0.0', '::FFFF:127.0.0.1', false, true],
  ['::', '::ffff:127.0.0.1', false, true],
  ['::', '::ffff:127.0.0.1', true, false],
  ['::1', '::ffff:127.0.0.1', false, false],
  ['127.0.0.2', '::ffff:127.0.0.1', false, false],
  // An IPv6 host: ::1 or ::.
  ['::1', '::1', false, true],
  ['::', '::1', true, true],
  ['127.0.0.1', '::1', false, false],
  ['0.0.0.0', '::1', false, false],
];

it('servesHost (server/listeners.ts): which listeners a client connecting to a host reaches', () => {
  for (const [address, host, v6only, reached] of CASES) assert.equal(servesHost(address, host, v6only), reached, `${host} → ${address}${v6only ? ' (v6only)' : ''}`);
});

it('listenerText: how the user-server readiness and the target check name a listener', () => {
  assert.equal(listenerText('127.0.0.1', false), '127.0.0.1');
  assert.equal(listenerText('::1', false), '[::1]');
  assert.equal(listenerText('::', false), '[::]');
  assert.equal(listenerText('::', true), '[::] (IPv6 only, IPV6_V6ONLY)');
  assert.equal(listenerText('127.0.0.1', true, 8080), '127.0.0.1:8080');
  assert.equal(listenerText('::', true, 8080), '[::]:8080 (IPv6 only, IPV6_V6ONLY)');
});
