// Whether a client connecting to a host reaches a listener's address (src/server/listeners.ts):
// the answer a user's server readiness and a loopback target's listener check share.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { servesHost } from '../../src/server/listeners.js';

describe('servesHost (server/listeners.ts)', () => {
  it('an IPv4 host: its own address, 0.0.0.0, and :: unless IPV6_V6ONLY', () => {
    assert.equal(servesHost('127.0.0.1', '127.0.0.1'), true);
    assert.equal(servesHost('0.0.0.0', '127.0.0.1'), true);
    assert.equal(servesHost('::', '127.0.0.1'), true);
    assert.equal(servesHost('::', '127.0.0.1', true), false);
    assert.equal(servesHost('127.0.0.2', '127.0.0.1'), false);
    assert.equal(servesHost('::1', '127.0.0.1'), false);
  });

  it('an IPv4-mapped host (a target written [::ffff:127.0.0.1]:port) is the IPv4 address it maps', () => {
    // A connect to ::ffff:127.0.0.1 reaches a listener on 127.0.0.1: it was "NOT SERVED".
    assert.equal(servesHost('127.0.0.1', '::ffff:127.0.0.1'), true);
    assert.equal(servesHost('0.0.0.0', '::FFFF:127.0.0.1'), true);
    assert.equal(servesHost('::', '::ffff:127.0.0.1'), true);
    assert.equal(servesHost('::', '::ffff:127.0.0.1', true), false);
    // ::1 is IPv6 loopback, another address.
    assert.equal(servesHost('::1', '::ffff:127.0.0.1'), false);
    assert.equal(servesHost('127.0.0.2', '::ffff:127.0.0.1'), false);
  });

  it('an IPv6 host: ::1 or ::', () => {
    assert.equal(servesHost('::1', '::1'), true);
    assert.equal(servesHost('::', '::1', true), true);
    assert.equal(servesHost('127.0.0.1', '::1'), false);
    assert.equal(servesHost('0.0.0.0', '::1'), false);
  });
});
