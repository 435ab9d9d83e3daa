// `states --watch` on a terminal: each redraw must fit the window, or it scrolls and the redraw
// in place becomes a copy of the census pushed into the scrollback every refresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitToScreen, watchStates } from '../../src/states/index.js';
import { untilNextRefresh } from '../../src/states/watch.js';

// What a terminal acts on rather than prints: CSI sequences (cursor home, clear) and CR.
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replaceAll('\r', '');

test('fitToScreen cuts each line to the width and the frame to the height, and says so', () => {
  const wide = 'x'.repeat(100);
  assert.deepEqual(fitToScreen([wide, 'short', ''], 40, 24), [`${'x'.repeat(39)}…`, 'short', '']);
  // A character outside the BMP is one character, not two halves of a surrogate pair (U+1D431,
  // a narrow one: a wide emoji takes two columns, which fitToScreen does not measure).
  assert.deepEqual(fitToScreen(['\u{1D431}'.repeat(10)], 5, 24), ['\u{1D431}'.repeat(4) + '…']);
  // 30 lines in 10 rows: 9 fit with the newline that ends the last; 8 of them, then the count of the rest.
  const tall = Array.from({ length: 30 }, (_, i) => `line ${i}`);
  const cut = fitToScreen(tall, 80, 10);
  assert.equal(cut.length, 9);
  assert.deepEqual(cut.slice(0, 8), tall.slice(0, 8));
  assert.match(cut[8]!, /^… 22 more lines: a larger window shows them/);
  // A frame that fits is left alone; an unknown size cuts nothing.
  assert.deepEqual(fitToScreen(tall.slice(0, 9), 80, 10), tall.slice(0, 9));
  for (const [columns, rows] of [[undefined, undefined], [0, 0], [Number.NaN, Number.NaN]] as const) {
    assert.deepEqual(fitToScreen([wide, ...tall], columns, rows), [wide, ...tall]);
  }
});

test('a terminal redraw of the live census fits a 40×6 window: no line wraps, nothing scrolls', async () => {
  let written = '';
  const refreshes = await watchStates({
    intervalMs: 50,
    count: 1,
    mode: 'tty',
    signal: new AbortController().signal,
    write: (text) => (written += text),
    screen: () => ({ columns: 40, rows: 6 }),
  });
  assert.equal(refreshes, 1);
  // The frame starts at the cursor's home; the first refresh clears the screen before it.
  const frame = plain(written.slice(written.indexOf('\u001b[H')));
  const lines = frame.split('\n');
  // Five lines each ended by a newline: the cursor rests on the sixth row, the last of the window.
  assert.equal(lines.length, 6, frame);
  assert.equal(lines.at(-1), '');
  for (const line of lines) assert.ok([...line].length <= 40, `wider than 40: ${JSON.stringify(line)}`);
  assert.match(lines[0]!, /^TCP sockets in this network namespace: /);
  assert.match(lines[4]!, /^… \d+ more lines: a larger window/);
});

test('refreshes keep to their period: the time a census takes is not added to each wait', async () => {
  // A fake clock on which each census costs 130 ms of a 200 ms period.
  let t = 0;
  const waits: number[] = [];
  const refreshes = await watchStates({
    intervalMs: 200,
    count: 4,
    mode: 'lines',
    signal: new AbortController().signal,
    write: () => undefined,
    clock: {
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms + 130;
      },
    },
  });
  assert.equal(refreshes, 4);
  // The first census at 0 (cost unseen by this clock), then each due at 200, 400, 600.
  assert.deepEqual(waits, [200, 70, 70]);
  // A census longer than the period skips the refresh it overran, never a wait of 0 or less.
  assert.equal(untilNextRefresh(0, 200, 450), 150);
  assert.equal(untilNextRefresh(0, 200, 400), 200);
  assert.equal(untilNextRefresh(1000, 200, 1010), 190);
});
