// The NAT pool as a limit: tuples per destination, open flows, and new connections/s where
// conntrack's TIME_WAIT entries hold their tuple.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeNatLimit, ratesApart, renderNatLimit } from '../../src/plan/nat-limit.js';

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

test('each source address uses one pool address: 1 source behind 4 x 100 has 100 tuples; 3 sources at most 300', () => {
  // nf_nat_core find_best_ips_proto hashes source and destination address to one pool address
  // (measured on 6.18: 1 client host behind 4 x 100 held 100 flows; 50 of 150 timed out).
  const one = { poolAddresses: 4, poolPorts: 100, destinations: 1, sources: 1, conntrackTimeWaitSec: 120, newConnPerSec: null, openFlowsWanted: 150 };
  const limit = computeNatLimit(one);
  assert.equal(limit.tuplesPerDestination, 400);
  assert.equal(limit.addressesUsed, 1);
  assert.equal(limit.openFlows, 100);
  assert.equal(limit.fitsOpen, false);
  assert.match(renderNatLimit(one, limit), /1 source\(s\) use at most 1 of the 4\n/);
  const three = computeNatLimit({ ...one, sources: 3 });
  assert.equal(three.openFlows, 300);
  assert.match(renderNatLimit({ ...one, sources: 3 }, three), /3 source\(s\) use at most 3 of the 4; sources that hash to one address share its 100 ports, so that is the most/);
  // More sources than addresses use them all.
  assert.equal(computeNatLimit({ ...one, sources: 10 }).openFlows, 400);
});

test('exactly at the pool\'s rate does not fit: a tuple is asked for again the moment its entry\'s TIME_WAIT ends', () => {
  const inputs = { poolAddresses: 1, poolPorts: 100, destinations: 1, conntrackTimeWaitSec: 2, newConnPerSec: 50 };
  const limit = computeNatLimit(inputs);
  assert.equal(limit.fitsHeld, false);
  assert.equal(limit.exhaustionSecHeld, 2);
  assert.match(renderNatLimit(inputs, limit), /new connections\/s {7}< 50 where/);
  assert.equal(computeNatLimit({ ...inputs, newConnPerSec: 0 }).fitsHeld, true);
});

test('an RST close: the router keeps a CLOSE entry 10 s (nf_conntrack_tcp_timeout_close), not TIME_WAIT\'s 120 s', () => {
  // plan --nat-pool 1x100 --closer rst --rate 50 used 120 s: 0.8/s and "full after 2 s".
  const inputs = { poolAddresses: 1, poolPorts: 100, destinations: 1, conntrackTimeWaitSec: 120, rst: true, newConnPerSec: 5 };
  const limit = computeNatLimit(inputs);
  assert.equal(limit.heldSec, 10);
  assert.equal(limit.perSecHeld, 10);
  assert.equal(limit.fitsHeld, true);
  assert.match(renderNatLimit(inputs, limit), /< 10 where conntrack CLOSE entries \(an RST ends each flow\) hold their tuple 10 s \(nf_conntrack_tcp_timeout_close\)/);
  assert.equal(computeNatLimit({ ...inputs, conntrackCloseSec: 5 }).perSecHeld, 20);
  assert.equal(computeNatLimit({ ...inputs, rst: false }).perSecHeld, 100 / 120);
});

test('open flows wanted against the pool: more than its tuples do not fit, whatever the rate', () => {
  const inputs = { poolAddresses: 1, poolPorts: 100, destinations: 1, conntrackTimeWaitSec: 120, newConnPerSec: null, openFlowsWanted: 160 };
  const limit = computeNatLimit(inputs);
  assert.equal(limit.fitsOpen, false);
  assert.match(renderNatLimit(inputs, limit), /the load keeps 160 flows open at once: 60 find no tuple, and their connects time out \(ETIMEDOUT\)/);
  assert.equal(computeNatLimit({ ...inputs, openFlowsWanted: 100 }).fitsOpen, true);
  assert.equal(computeNatLimit({ ...inputs, openFlowsWanted: undefined }).fitsOpen, null);
});

test('the pool\'s capacity is never rounded up, nor the load down: 0.87/s against 100 tuples ÷ 115 s does not fit, and reads so', () => {
  const inputs = { poolAddresses: 1, poolPorts: 100, destinations: 1, conntrackTimeWaitSec: 115, newConnPerSec: 0.87 };
  const limit = computeNatLimit(inputs);
  assert.equal(limit.fitsHeld, false);
  const text = renderNatLimit(inputs, limit);
  // It read "< 0.9" and "at 0.9 new connections/s the pool is full".
  assert.match(text, /new connections\/s {7}< 0\.86 \(one per 1\.15 s\) where/);
  assert.match(text, /at 0\.87 new connections\/s the pool is full/);
});

test('two close rates print apart: the pool\'s floor above the load\'s ceiling when it fits, never "< 100" beside "100 fit"', () => {
  // A review: 12,005 tuples held 120 s allow 100.04/s; 100.02/s offered printed "< 100" and "100 new connections/s fit".
  const inputs = { poolAddresses: 1, poolPorts: 12_005, destinations: 1, conntrackTimeWaitSec: 120, newConnPerSec: 100.02 };
  const text = renderNatLimit(inputs, computeNatLimit(inputs));
  assert.match(text, /new connections\/s {7}< 100\.04 where/);
  assert.match(text, /\n {2}100\.02 new connections\/s fit\n/);
  // Apart already at 0.1, or not fitting: as before.
  const over = { ...inputs, newConnPerSec: 100.06 };
  assert.match(renderNatLimit(over, computeNatLimit(over)), /< 100 where[^]*at 100\.1 new connections\/s the pool is full/);
  assert.deepEqual(ratesApart(100.04, 50), { limit: '100', offered: '50' });
});
