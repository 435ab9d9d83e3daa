// The user's server log is cut to its start and its end (src/server/capped-log.ts): a noisy
// server wrote 414 MB in 21 s, and on the disk it filled the result could not be written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CappedLog, cutLine, LOG_HEAD_BYTES, LOG_TAIL_BYTES } from '../../src/server/capped-log.js';

/** A CappedLog writing into a string, fed `chunks`. */
function feed(chunks: string[], limits: { head: number; tail: number }): { text: string; dropped: number } {
  let text = '';
  const log = new CappedLog({ write: (data) => void (text += data.toString()) }, limits);
  for (const c of chunks) log.write(Buffer.from(c));
  return { dropped: log.end().droppedBytes, text };
}

test('output within the head is kept whole, with no cut line', () => {
  const out = feed(['listening\n', 'got SIGTERM\n'], { head: 100, tail: 10 });
  assert.deepEqual(out, { text: 'listening\ngot SIGTERM\n', dropped: 0 });
});

test('head plus tail fits: nothing is left out, whatever the chunks', () => {
  const lines = Array.from({ length: 10 }, (_, i) => `line${i}\n`); // 60 bytes
  assert.deepEqual(feed(lines, { head: 30, tail: 30 }), { text: lines.join(''), dropped: 0 });
  assert.deepEqual(feed([lines.join('')], { head: 30, tail: 40 }), { text: lines.join(''), dropped: 0 });
});

test('past head + tail: the start, one line saying how many bytes went, and the end from a line start', () => {
  const limits = { head: 12, tail: 20 };
  // 1,000 lines of 6 bytes, written a line at a time, then all at once: the same log.
  const lines = Array.from({ length: 1000 }, (_, i) => `l${String(i).padStart(3, '0')}.\n`);
  for (const chunks of [lines, [lines.join('')]]) {
    const out = feed(chunks, limits);
    // The tail's last 20 bytes begin mid-line ("95.\n"): that part line is left out too.
    assert.equal(out.dropped, 6000 - 12 - 18);
    assert.equal(out.text, `l000.\nl001.\n${cutLine(out.dropped, limits)}l997.\nl998.\nl999.\n`);
    assert.ok(Buffer.byteLength(out.text) <= limits.head + limits.tail + cutLine(out.dropped, limits).length);
  }
});

test('a head that ends mid-line gets the cut line on a line of its own', () => {
  const out = feed(['abcdefgh\n'.repeat(10)], { head: 5, tail: 9 });
  assert.equal(out.text, `abcde\n${cutLine(out.dropped, { head: 5, tail: 9 })}abcdefgh\n`);
  assert.equal(out.dropped, 90 - 5 - 9);
});

test('the bounds are tens of MB, and the cut line says what was kept', () => {
  assert.ok(LOG_HEAD_BYTES + LOG_TAIL_BYTES <= 32 * 1024 * 1024);
  assert.match(cutLine(414_000_000, { head: LOG_HEAD_BYTES, tail: LOG_TAIL_BYTES }), /^\[twstorm: 414000000 bytes of the server's output left out here: the log keeps its first 16 MiB and its last 4 MiB\]\n$/);
});

test('nothing is written after end(), and a second end() says the same', () => {
  let text = '';
  const log = new CappedLog({ write: (d) => void (text += d.toString()) }, { head: 4, tail: 4 });
  log.write(Buffer.from('0123456789\n'));
  const first = log.end();
  log.write(Buffer.from('late\n'));
  assert.deepEqual(log.end(), first);
  assert.doesNotMatch(text, /late/);
});
