// The one judgement of a server that dies mid-run (src/run/server-death.ts), which the loopback
// run and the routed lab share: the load stops, the run fails unless a stop signal explains it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markFailed, serverDeathFailure, STOP_SIGNAL_RACE_MS, watchServer } from '../../src/run/server-death.js';
import type { RunResult } from '../../src/result/model.js';

/** A clock the test moves by hand, and a death it decides. */
function harness(): { now: { ms: number }; die(why: string): Promise<void>; died: Promise<string> } {
  let resolve!: (why: string) => void;
  const died = new Promise<string>((r) => (resolve = r));
  return { now: { ms: 0 }, died, die: async (why) => (resolve(why), await Promise.resolve()) };
}

test("the server's death stops the load and fails the run", async () => {
  const h = harness();
  const stop = new AbortController();
  const watch = watchServer(h.died, stop.signal, () => h.now.ms);
  assert.equal(watch.load.aborted, false);
  h.now.ms = 5_000;
  await h.die('server.command "srv" exited during the run (code 3)');
  assert.equal(watch.load.aborted, true, 'the load listens to the watch, not to the stop signal alone');
  assert.equal(watch.died(), true);
  // The clock stands past the race window: settle does not wait.
  h.now.ms = 5_000 + STOP_SIGNAL_RACE_MS;
  assert.equal(await watch.settle(), 'server.command "srv" exited during the run (code 3)');
});

test('a stop that came with the death (a signal to the whole group) explains it: no failure', async () => {
  const h = harness();
  const stop = new AbortController();
  const watch = watchServer(h.died, stop.signal, () => h.now.ms);
  h.now.ms = 1_000;
  await h.die('gone');
  h.now.ms = 1_000 + STOP_SIGNAL_RACE_MS - 1;
  stop.abort();
  assert.equal(await watch.settle(), null);
  assert.equal(serverDeathFailure({ died: { why: 'gone', atMs: 1_000 }, stopAtMs: 2_001 }), 'gone', 'a stop well after the death does not explain it');
});

test('a Ctrl-C stops the load without a death: nothing failed', async () => {
  const h = harness();
  const stop = new AbortController();
  const watch = watchServer(h.died, stop.signal, () => h.now.ms);
  stop.abort();
  assert.equal(watch.load.aborted, true);
  assert.equal(watch.died(), false);
  assert.equal(await watch.settle(), null);
});

test('markFailed puts `failed` after stoppedBy, replacing one that was there', () => {
  const result = { interrupted: false, stoppedBy: 'error', failed: 'every connection failed', summary: {} } as unknown as RunResult;
  const marked = markFailed(result, 'the server died');
  assert.deepEqual(Object.keys(marked), ['interrupted', 'stoppedBy', 'failed', 'summary']);
  assert.equal(marked.failed, 'the server died');
});
