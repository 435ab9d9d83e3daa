// The one sorted union of number arrays (chart axes, merge grids).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { sortedUnion } from '../../src/util/sorted-union.js';

it('sortedUnion: distinct values ascending, -0 as 0, NaN once at the end, nothing from nothing', () => {
  assert.deepStrictEqual(sortedUnion([[3, 1, -0], [2, NaN, 1, NaN], []]), [0, 1, 2, 3, NaN]);
  assert.deepStrictEqual(sortedUnion([[0.3, 0.1 + 0.2]]), [0.3, 0.30000000000000004]);
  assert.deepStrictEqual(sortedUnion([]), []);
});
