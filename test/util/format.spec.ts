// The hand-written thousands grouping writes what Intl.NumberFormat('en-US') writes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { int, seconds } from '../../src/util/format.js';

describe('int', () => {
  it('groups like en-US Intl.NumberFormat, rounding first', () => {
    const intl = new Intl.NumberFormat('en-US');
    const values = [0, 1, -1, 12, 999, 1000, -1000, 1234.5, 99_999, 100_000, 1_234_567, -987_654_321, 2 ** 53, 1e20, 1e21, 4.4e22, NaN, Infinity, -Infinity];
    for (let n = 1; n < 1e16; n *= 7) values.push(n, -n);
    for (const n of values) assert.equal(int(n), intl.format(Math.round(n)), String(n));
    // The one difference: a value that rounds to -0 is written "0", not Intl's "-0".
    assert.equal(int(-0.4), '0');
  });
});

describe('seconds', () => {
  it('two decimals under 10 s, one above, and milliseconds under 10 ms, never "0.00 s"', () => {
    // An audit: a port range that ran out 3 ms into the load read "ran out 0.00 s into the load".
    assert.deepEqual([3.2, 0, 9.99, 10, 1340, 61_224.5].map(seconds), ['3.20 ms', '0.00 ms', '9.99 ms', '0.01 s', '1.34 s', '61.2 s']);
  });
});
