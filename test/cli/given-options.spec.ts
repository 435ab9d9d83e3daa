// Which options the command line named, as serve's and plan's "would be ignored" checks need.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { givenOptions } from '../../src/cli/given-options.js';

describe('givenOptions', () => {
  it('names kebab-case, camelCase (--closeMode) and negated (--no-loopback) options alike, values and positionals not', () => {
    assert.deepEqual(
      [...givenOptions(['serve', '--close-mode', 'rst', '--closeFirst=server', '--no-loopback', '-p', '7000', 'rst', '--natPool', '1x100'])].sort(),
      ['close-first', 'close-mode', 'loopback', 'nat-pool'],
    );
  });
});
