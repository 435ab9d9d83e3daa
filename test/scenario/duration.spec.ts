import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../src/scenario/index.js';
import { DURATION_PATTERN, tryParseDuration } from '../../src/scenario/duration.js';

test('parseDuration accepts numbers and unit strings', () => {
  const cases: Array<[string | number, number]> = [
    [0, 0],
    [250, 250],
    [0.5, 0.5],
    ['100ms', 100],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['1m30s', 90_000],
    ['1m 30s', 90_000],
    [' 5 s ', 5000],
    ['1h2m3.5s', 3_723_500],
    ['100', 100],
  ];
  for (const [input, ms] of cases) {
    assert.equal(parseDuration(input), ms, `parseDuration(${JSON.stringify(input)})`);
  }
});

test('parseDuration rejects what is not a duration, saying what it expected', () => {
  for (const input of ['3 parsecs', '', 's', '-5s', '5d', '1.s', '.5s', '1m30', 'ms100', '1s2ms3', '30 seconds']) {
    assert.throws(
      () => parseDuration(input),
      (err: Error) => err.message === `expected a duration like "30s", "100ms" or a number of milliseconds, got ${JSON.stringify(input)}`,
      `parseDuration(${JSON.stringify(input)})`,
    );
  }
  for (const input of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => parseDuration(input), /expected a duration like "30s"/);
  }
});

test('formatDuration picks readable units', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [0.25, '250us'],
    [100, '100ms'],
    [1.5, '1.5ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
    [3_723_500, '1h2m3.5s'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `formatDuration(${ms})`);
});

test('formatDuration output parses back to the same value', () => {
  for (const ms of [0.25, 7, 1500, 61_000, 3_723_500]) assert.equal(parseDuration(formatDuration(ms)), ms);
});

test('the JSON Schema pattern accepts exactly the strings the loader reads', () => {
  // An audit: "1m\t30s" and "1m\n30s" matched the pattern's \s* and were refused by the loader,
  // which skips only spaces. Bounds aside (a pattern cannot say "at most 24h"), they agree.
  const pattern = new RegExp(DURATION_PATTERN);
  const cases = ['30s', '1m30s', '1m 30s', ' 5 s ', '100', ' 100 ', '1.5s', '250µs', '1h2m3.5s', '1m\t30s', '1m\n30s', '\t30s', '30s\n', '5\ts', '100\t', '', ' ', 's', '1.s', '3 parsecs', '1m30', '-5s'];
  for (const text of cases) {
    assert.equal(pattern.test(text), tryParseDuration(text) !== undefined, JSON.stringify(text));
  }
  for (const text of ['1m\t30s', '1m\n30s', '30s\n']) assert.equal(tryParseDuration(text), undefined, JSON.stringify(text));
});
