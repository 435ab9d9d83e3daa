// The repeats a netlink dump can send while sockets come and go, dropped without a set of every
// cookie (src/sockets/dump-repeats.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DumpRepeats, SLOTS, startSlot, WINDOW } from '../../src/sockets/dump-repeats.js';

/** The cookies a reader keeps from a dump (each a [low, high] pair), in order. */
function kept(dump: Array<[number, number]>): Array<[number, number]> {
  const repeats = new DumpRepeats();
  return dump.filter(([low, high]) => !repeats.repeats(low, high));
}

const c = (n: number): [number, number] => [n, 7];
const range = (from: number, to: number): Array<[number, number]> => Array.from({ length: to - from }, (_, i) => c(from + i));

describe('DumpRepeats', () => {
  it('keeps every record of a dump with no repeat', () => {
    const dump = range(0, 5000);
    assert.deepEqual(kept(dump), dump);
  });

  it('drops a record sent again at the start of the next buffer', () => {
    assert.deepEqual(kept([c(1), c(2), c(3), c(2), c(3), c(4)]), [c(1), c(2), c(3), c(4)]);
  });

  it('drops a repeat that comes after a new socket (two joined the bucket ahead of the resume point)', () => {
    assert.deepEqual(kept([c(1), c(2), c(9), c(2), c(3)]), [c(1), c(2), c(9), c(3)]);
  });

  it('drops a repeat inside a buffer, where the kernel re-counts a bucket after 16 sockets', () => {
    const bucket = range(100, 116);
    assert.deepEqual(kept([...bucket, c(115), c(116)]), [...bucket, c(116)]);
  });

  /** `n` cookies with low word `low` whose probes all start at `slot`, found by search. */
  function colliding(slot: number, n: number, low = 1): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let high = 0; out.length < n; high++) if (startSlot(low, high) === slot) out.push([low, high]);
    return out;
  }

  it('compares both words of the 64-bit cookie, on one probe chain', () => {
    // Same low word, same start slot: only the high word tells them apart.
    const [a, b, c3] = colliding(47, 3);
    assert.deepEqual(kept([a!, b!, c3!, a!, b!]), [a, b, c3]);
  });

  it('follows a probe chain past the last slot back to the first', () => {
    const chain = colliding(SLOTS - 1, 4);
    const again = [...chain].reverse();
    assert.deepEqual(kept([...chain, ...again]), chain);
  });

  it('remembers at least the last WINDOW records, across the tables taking turns', () => {
    for (const before of [WINDOW - 1, WINDOW, WINDOW + 1, 3 * WINDOW + 7]) {
      const dump = range(0, before + 1);
      const lastWindow = dump.slice(-WINDOW);
      // Every one of the last WINDOW records is still known as a repeat.
      const repeats = new DumpRepeats();
      for (const [low, high] of dump) repeats.repeats(low, high);
      for (const [low, high] of lastWindow) assert.equal(repeats.repeats(low, high), true, `after ${before + 1}: ${low}`);
    }
  });

  it('forgets a record 2 × WINDOW records back (a bucket is never that long)', () => {
    const repeats = new DumpRepeats();
    for (const [low, high] of range(0, 2 * WINDOW + 1)) repeats.repeats(low, high);
    assert.equal(repeats.repeats(0, 7), false);
  });
});
