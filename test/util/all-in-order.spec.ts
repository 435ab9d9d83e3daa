// allInOrder (src/util/all-in-order.ts): the first failure in argument order, not in time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allInOrder } from '../../src/util/all-in-order.js';

describe('allInOrder', () => {
  it('rejects with the first input\'s failure even when a later one fails sooner', async () => {
    const late = new Promise<number>((_, reject) => setTimeout(() => reject(new Error('a.json')), 20));
    const soon = Promise.reject(new Error('b.json'));
    await assert.rejects(allInOrder([late, soon]), /^Error: a\.json$/);
  });

  it('gives every value in order when all succeed, a tuple as a tuple', async () => {
    const [n, s] = await allInOrder([Promise.resolve(1), new Promise<string>((resolve) => setTimeout(() => resolve('x'), 5))]);
    assert.deepEqual([n, s], [1, 'x']);
  });
});
