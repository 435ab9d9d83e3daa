// server.restart's two acts reported as one load: the engine that made them must survive the
// join (environment.engine, summary.driver.threads), each thread's share added up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { joinLoads, type LoadOutcome } from '../../src/driver/tcp-load.js';
import type { EngineThreadSummary } from '../../src/engine/client-engine.js';

const share = (thread: number, n: number): EngineThreadSummary => ({
  thread,
  attempted: n,
  established: n,
  completed: n,
  failed: 0,
  busyMs: n / 10,
  wallMs: 100,
  turns: n * 2,
});

describe('joinLoads', () => {
  it('adds the counts, spans both acts, and keeps the engine with per-thread sums', () => {
    const first: LoadOutcome = { started: 300, stoppedBy: 'count', startMs: 10, endMs: 200, engine: { name: 'native', threads: 2, perThread: [share(0, 150), share(1, 150)] } };
    // The resumed act was small enough for one thread.
    const second: LoadOutcome = { started: 50, stoppedBy: 'count', startMs: 1300, endMs: 1350, engine: { name: 'native', threads: 1, perThread: [share(0, 50)] } };
    const joined = joinLoads(first, second);
    assert.deepEqual({ ...joined, engine: undefined }, { started: 350, stoppedBy: 'count', startMs: 10, endMs: 1350, engine: undefined });
    assert.equal(joined.engine?.name, 'native');
    assert.equal(joined.engine?.threads, 2);
    assert.deepEqual(joined.engine?.perThread, [
      { thread: 0, attempted: 200, established: 200, completed: 200, failed: 0, busyMs: 20, wallMs: 200, turns: 400 },
      share(1, 150),
    ]);
    // Nothing of the inputs changed.
    assert.equal(first.engine?.perThread?.[0]?.attempted, 150);
  });

  it('the net fallback keeps its reason; the second act decides how the load stopped', () => {
    const net = { name: 'net' as const, threads: 1, fallback: 'TWSTORM_NATIVE_SOCKETS=off' };
    const joined = joinLoads(
      { started: 10, stoppedBy: 'count', startMs: 0, endMs: 5, engine: net },
      { started: 4, stoppedBy: 'interrupted', startMs: 9, endMs: 12, engine: net },
    );
    assert.deepEqual(joined, { started: 14, stoppedBy: 'interrupted', startMs: 0, endMs: 12, engine: net });
  });
});
