// The repeats a netlink dump can send at a buffer boundary, dropped without a set of every
// cookie (src/sockets/boundary-duplicates.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundaryDuplicates, TAIL } from '../../src/sockets/boundary-duplicates.js';

/** The cookies a reader keeps from `buffers` (each a list of [low, high] cookies). */
function kept(buffers: Array<Array<[number, number]>>): Array<[number, number]> {
  const d = new BoundaryDuplicates();
  const out: Array<[number, number]> = [];
  for (const buffer of buffers) {
    d.nextBuffer();
    for (const [low, high] of buffer) if (!d.repeats(low, high)) out.push([low, high]);
  }
  return out;
}

const c = (n: number): [number, number] => [n, 7];

describe('BoundaryDuplicates', () => {
  it('keeps every record of a dump with no repeat, across buffers', () => {
    const buffers = [[c(1), c(2), c(3)], [c(4), c(5)], [c(6)]];
    assert.deepEqual(kept(buffers), buffers.flat());
  });

  it('drops records at the start of a buffer that repeat the end of the one before', () => {
    // The kernel resent the last two of buffer one after sockets joined the head of that bucket.
    assert.deepEqual(kept([[c(1), c(2), c(3)], [c(2), c(3), c(4)], [c(4), c(5)]]), [c(1), c(2), c(3), c(4), c(5)]);
  });

  it('compares only the run at the start of a buffer: after a new record, nothing is dropped', () => {
    assert.deepEqual(kept([[c(1), c(2)], [c(9), c(2)]]), [c(1), c(2), c(9), c(2)]);
  });

  it('compares both words of the 64-bit cookie', () => {
    assert.deepEqual(kept([[[1, 1]], [[1, 2], [1, 1]]]), [[1, 1], [1, 2], [1, 1]]);
  });

  it('remembers the last TAIL records of a buffer, not earlier ones', () => {
    const big = Array.from({ length: TAIL + 10 }, (_, i) => c(i));
    const lastRemembered = c(10);
    const forgotten = c(9);
    assert.equal(kept([big, [lastRemembered]]).length, big.length, 'the record TAIL from the end is remembered');
    assert.equal(kept([big, [forgotten]]).length, big.length + 1, 'the one before it is not');
  });

  it('drops nothing in the first buffer: there is no boundary before it', () => {
    assert.deepEqual(kept([[c(1), c(1)], [c(2)]]), [c(1), c(1), c(2)]);
  });
});
