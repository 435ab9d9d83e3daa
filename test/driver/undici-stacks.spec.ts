// The undici driver leaves InformationalError stacks unformatted while it runs (src/driver/
// undici-stacks.ts), and nothing else: other errors keep their frames, a hook already in place
// is kept, and the hook goes when the load ends, however it ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from 'undici';
import { withCheapInformationalStacks } from '../../src/driver/undici-stacks.js';

/** Node installs its own formatter (Error.prepareStackTrace is a function from the start). */
const before = Error.prepareStackTrace;
const framesOf = (stack: string | undefined): number => (stack ?? '').split('\n').filter((l) => l.startsWith('    at ')).length;

describe('withCheapInformationalStacks', () => {
  it('an InformationalError\'s stack is its first line; other errors keep their frames', async () => {
    const seen = await withCheapInformationalStacks(async () => ({
      info: new errors.InformationalError('reset').stack,
      socket: new errors.SocketError('other side closed').stack,
      plain: new TypeError('a bug').stack,
    }));
    assert.equal(seen.info, 'InformationalError: reset');
    assert.match(seen.socket!, /^SocketError: other side closed\n {4}at /);
    assert.ok(framesOf(seen.plain) > 0, seen.plain);
    assert.match(seen.plain!, /^TypeError: a bug\n/);
  });

  it('the hook goes when the load ends, also when it throws', async () => {
    await assert.rejects(
      withCheapInformationalStacks(async () => {
        throw new Error('load broke');
      }),
      /load broke/,
    );
    assert.equal(Error.prepareStackTrace, before);
    assert.ok(framesOf(new errors.InformationalError('reset').stack) > 0, 'frames again after the load');
  });

  it('a hook already installed formats every other error, and is back afterwards', async () => {
    const custom = (err: Error): string => `custom: ${err.message}`;
    Error.prepareStackTrace = custom;
    try {
      const seen = await withCheapInformationalStacks(async () => ({ info: new errors.InformationalError('reset').stack, plain: new Error('x').stack }));
      assert.equal(seen.info, 'InformationalError: reset');
      assert.equal(seen.plain, 'custom: x');
      assert.equal(Error.prepareStackTrace, custom);
    } finally {
      Error.prepareStackTrace = before!;
    }
  });
});
