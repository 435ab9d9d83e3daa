// How twstorm writes JSON: the same data as JSON.stringify(value, null, 1), a number array on
// one line (a result's series), everything else indented as before.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsonText } from '../../src/util/json-text.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));

describe('jsonText', () => {
  it('reads back as the same data as JSON.stringify writes, for every result fixture', () => {
    for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
      const data: unknown = JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8'));
      const text = jsonText(data);
      assert.deepStrictEqual(JSON.parse(text), data, name);
      assert.ok(text.endsWith('}\n'));
      // Results hold no mixed arrays: no number stands on a line of its own.
      assert.deepEqual(text.split('\n').filter((line) => /^\s*-?\d[\d.eE+-]*,?$/.test(line)), [], name);
      assert.ok(text.split('\n').length < JSON.stringify(data, null, 1).split('\n').length, name);
    }
  });

  it('a number array on one line, other arrays and objects indented; the edge values as JSON.stringify has them', () => {
    const value = {
      t: [0, 100.5, -0, 1e21],
      odd: [NaN, Infinity, 1, , 3], // eslint-disable-line no-sparse-arrays
      empty: [],
      mixed: [1, 'two'],
      nested: [[1, 2], [3]],
      gone: undefined,
      // A string shaped like the marker jsonText uses inside is data like any other.
      tricky: '\u0000abc:0',
    };
    assert.equal(
      jsonText(value),
      [
        '{',
        ' "t": [0,100.5,0,1e+21],',
        ' "odd": [null,null,1,null,3],',
        ' "empty": [],',
        ' "mixed": [',
        '  1,',
        '  "two"',
        ' ],',
        ' "nested": [',
        '  [1,2],',
        '  [3]',
        ' ],',
        ' "tricky": "\\u0000abc:0"',
        '}',
        '',
      ].join('\n'),
    );
    assert.deepStrictEqual(JSON.parse(jsonText(value)), JSON.parse(JSON.stringify(value)));
    assert.equal(jsonText([1, 2]), '[1,2]\n');
    assert.equal(jsonText(undefined), 'null\n');
  });
});
