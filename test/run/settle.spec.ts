// The tail's settle step: the final census waits for the bundled server to close what it holds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SETTLE_MAX_MS, waitForServerToSettle } from '../../src/run/settle.js';
import type { ServerStats } from '../../src/server/stats.js';

/** A server whose `open` count goes through the given values, then stays at the last. */
function serverWith(opens: number[]): { stats(): Promise<ServerStats>; asked: () => number } {
  let i = 0;
  return {
    stats: async () => {
      const open = opens[Math.min(i++, opens.length - 1)]!;
      return { accepted: 10, replied: 10, closedFin: 0, closedRst: 0, open, errors: {} };
    },
    asked: () => i,
  };
}

describe('waitForServerToSettle', () => {
  it('asks until the server holds nothing, then stops asking', async () => {
    const server = serverWith([5, 3, 1, 0, 0]);
    await waitForServerToSettle(server, false, new AbortController().signal);
    assert.equal(server.asked(), 4);
  });

  it('does not wait for a server that holds its connections on purpose (close.server never)', async () => {
    const server = serverWith([224]);
    assert.equal(await waitForServerToSettle(server, true, new AbortController().signal), 0);
    assert.equal(server.asked(), 0);
  });

  it('a server that cannot answer ends the wait instead of stretching it', async () => {
    let asked = 0;
    const broken = { stats: async (): Promise<ServerStats> => { asked++; throw new Error('gone'); } };
    await waitForServerToSettle(broken, false, new AbortController().signal);
    assert.equal(asked, 1);
  });

  it('Ctrl-C ends the wait at once', async () => {
    const server = serverWith([7]);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const waited = await waitForServerToSettle(server, false, stop.signal);
    assert.ok(server.asked() >= 1);
    assert.ok(waited < SETTLE_MAX_MS, `waited ${waited} ms: the abort did not end the wait`);
  });
});
