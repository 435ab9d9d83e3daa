// The NAT pool as a limit: tuples per destination, open flows, and new connections/s where
// conntrack's TIME_WAIT entries hold their tuple.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeNatLimit, renderNatLimit } from '../../src/plan/nat-limit.js';

test('1 address x 100 ports: 100 open flows per destination; 100/120 s new connections/s held', () => {
  const inputs = { poolAddresses: 1, poolPorts: 100, destinations: 1, conntrackTimeWaitSec: 120, newConnPerSec: 10 };
  const limit = computeNatLimit(inputs);
  assert.equal(limit.tuplesPerDestination, 100);
  assert.equal(limit.openFlows, 100);
  assert.equal(limit.perSecHeld, 100 / 120);
  assert.equal(limit.fitsHeld, false);
  assert.equal(limit.exhaustionSecHeld, 10);
  assert.match(renderNatLimit(inputs, limit), /pool is full after 10 s/);
});

test('more addresses and destinations multiply the pool; a rate within it fits', () => {
  const limit = computeNatLimit({ poolAddresses: 4, poolPorts: 64512, destinations: 2, conntrackTimeWaitSec: 120, newConnPerSec: 2000 });
  assert.equal(limit.openFlows, 4 * 64512 * 2);
  assert.equal(limit.fitsHeld, true);
  assert.equal(limit.exhaustionSecHeld, null);
});

test('exactly at the pool\'s rate does not fit: a tuple is asked for again the moment its entry\'s TIME_WAIT ends', () => {
  const inputs = { poolAddresses: 1, poolPorts: 100, destinations: 1, conntrackTimeWaitSec: 2, newConnPerSec: 50 };
  const limit = computeNatLimit(inputs);
  assert.equal(limit.fitsHeld, false);
  assert.equal(limit.exhaustionSecHeld, 2);
  assert.match(renderNatLimit(inputs, limit), /new connections\/s {7}< 50 where/);
  assert.equal(computeNatLimit({ ...inputs, newConnPerSec: 0 }).fitsHeld, true);
});
