// compare's notes name a change of load generator: the engine, its I/O, its threads (compare/noise.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { environmentNotes } from '../../src/compare/noise.js';
import { makeResult } from '../report/make-result.js';
import type { RunResult } from '../../src/result/model.js';

const ran = (engine: 'native' | 'net' | undefined, engineIo?: 'io_uring' | 'epoll', threads?: number): RunResult =>
  makeResult((r) => {
    delete r.environment.engine;
    delete r.environment.engineIo;
    delete r.environment.threads;
    if (engine !== undefined) r.environment.engine = engine;
    if (engineIo !== undefined) r.environment.engineIo = engineIo;
    if (threads !== undefined) r.environment.threads = threads;
  });

describe('compare notes: the engine that made the load', () => {
  it('native against net (koffi missing on one runner), io_uring against epoll, other thread counts', () => {
    // Measured: conn/s 1,615–2,154 native against 406–670 on net; 15 figures "regressed" without a word.
    assert.deepEqual(environmentNotes(ran('native', 'io_uring', 2), ran('net', undefined, 1)), ['engine differs: native → net', 'engine threads differs: 2 → 1']);
    assert.deepEqual(environmentNotes(ran('native', 'io_uring', 2), ran('native', 'epoll', 2)), ['engine I/O differs: io_uring → epoll']);
    // A merge of 3 shards ran 3 × 2 threads.
    assert.deepEqual(environmentNotes(ran('native', 'io_uring', 2), ran('native', 'io_uring', 6)), ['engine threads differs: 2 → 6']);
    assert.deepEqual(environmentNotes(ran('native', 'io_uring', 2), ran('native', 'io_uring', 2)), []);
    // A result written before the engine was recorded is not "another engine".
    assert.deepEqual(environmentNotes(ran(undefined), ran('native', 'io_uring', 2)), []);
  });

  it('the kernel\'s timer HZ, which moves when ports come back; not against a result that did not record it', () => {
    const hz = (timerHz: number | null | undefined): RunResult =>
      makeResult((r) => {
        if (timerHz === undefined) delete r.environment.timerHz;
        else r.environment.timerHz = timerHz;
      });
    assert.deepEqual(environmentNotes(hz(250), hz(1000)), ['kernel timer HZ differs: 250 → 1000']);
    assert.deepEqual(environmentNotes(hz(250), hz(250)), []);
    assert.deepEqual(environmentNotes(hz(undefined), hz(1000)), []);
  });
});
