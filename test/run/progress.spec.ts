// The progress line's text: thousands separators, the target, an ETA, TIME_WAIT, errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatProgress, formatSeconds, loadStartedNote, startProgress } from '../../src/run/progress.js';
import { LoadStats } from '../../src/metrics/load-stats.js';

const target = { count: 100_000, unit: 'connections' as const, durationMs: 60_000 };

describe('progress line', () => {
  it('shows count against target with separators, the ETA at the rate so far, TIME_WAIT and the top errors', () => {
    const line = formatProgress(
      { elapsedMs: 10_000, done: 25_000, timeWait: 24_321, errors: [['ECONNREFUSED', 3], ['EADDRNOTAVAIL', 1_204]] },
      target,
    );
    assert.equal(line, '10.0s/1m00s  25,000/100,000 connections  ETA 30s  TIME_WAIT 24,321  errors 1,207 (EADDRNOTAVAIL 1,204, ECONNREFUSED 3)');
  });

  it('the ETA is the end of the duration when the count would take longer', () => {
    const line = formatProgress({ elapsedMs: 50_000, done: 1_000, timeWait: null, errors: [] }, target);
    assert.match(line, /ETA 10s {2}TIME_WAIT – {2}errors 0$/);
  });

  it('errors the engine threads have not named yet count in the total; the ETA follows the recent rate', () => {
    // 9,000 done in 9 s, but only 50 in the last 5 s (ports ran out): not "ETA 1s".
    const line = formatProgress({ elapsedMs: 9_000, done: 9_000, timeWait: 100, errors: [], uncoded: 150, recentPerMs: 50 / 5_000 }, { ...target, count: 10_000 });
    assert.equal(line, '9.0s/1m00s  9,000/10,000 connections  ETA 51s  TIME_WAIT 100  errors 150');
  });

  it('"load started" names the duration as the scenario spells it, not rounded up to whole seconds', () => {
    // An audit: `duration: 10` (ten milliseconds, meant as seconds) said "or 1s", and 1500ms "or 2s".
    assert.equal(loadStartedNote({ count: 3_000, unit: 'requests', durationMs: 10 }), 'load started: 3,000 requests or 10ms, whichever comes first');
    assert.equal(loadStartedNote({ count: 3_000, unit: 'requests', durationMs: 1_500 }), 'load started: 3,000 requests or 1.5s, whichever comes first');
    assert.equal(loadStartedNote({ ...target, durationMs: 90_000 }), 'load started: 100,000 connections or 1m30s, whichever comes first');
    assert.equal(loadStartedNote({ count: 150, unit: 'connections', durationMs: 30_000 }, 3), 'load started: 150 connections from each of 3 client hosts or 30s, whichever comes first');
    assert.equal(loadStartedNote({ count: 150, unit: 'connections', durationMs: 30_000 }, 1), 'load started: 150 connections from the client host or 30s, whichever comes first');
  });

  it('formats seconds and minutes', () => {
    assert.equal(formatSeconds(9_500), '10s');
    assert.equal(formatSeconds(75_000), '1m15s');
    assert.equal(formatSeconds(-5), '0s');
  });

  it('draws nothing when disabled (--json) or when the stream is not a terminal', () => {
    const writes: string[] = [];
    const stream = { isTTY: false, columns: 80, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const clock = (): number => 0;
    startProgress(new LoadStats(100), clock, target, { enabled: true, stream }).stop();
    startProgress(new LoadStats(100), clock, target, { enabled: false, stream: { ...stream, isTTY: true } as NodeJS.WriteStream }).stop();
    assert.deepEqual(writes, []);
  });
});
