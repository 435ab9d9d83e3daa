// "Did you mean": close typos get a suggestion, unrelated words none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from '../../src/cli/suggest.js';

describe('suggest', () => {
  it('edit distance', () => {
    assert.equal(editDistance('isolaton', 'isolation'), 1);
    assert.equal(editDistance('runn', 'run'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('suggests the nearest plausible candidate only', () => {
    assert.equal(closest('isolaton', ['out', 'set', 'isolation', 'json']), 'isolation');
    assert.equal(closest('client-close-first', ['client-closes-first', 'server-closes-first']), 'client-closes-first');
    assert.equal(closest('explode', ['run', 'list', 'serve', 'report']), null);
  });
});
