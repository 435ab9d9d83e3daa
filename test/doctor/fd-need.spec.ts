// The open-file check sizes a run by what it holds at its peak: a closed-loop ramp that climbs
// above `concurrency` holds its highest target (an audit: concurrency 1 with a stage to 50,000
// was judged to need 101 descriptors, "ok", where a flat concurrency of 50,000 failed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVariant } from '../../src/scenario/validate.js';
import { fdNeed, FD_HEADROOM } from '../../src/doctor/scenario-checks.js';
import { httpPoolConnections, peakConcurrency } from '../../src/scenario/work.js';
import { httpLoadPlan, serverConfig } from '../../src/run/execute.js';

const scenario = (fields: Record<string, unknown>) => parseVariant({ name: 't', ...fields }, 'test');

test('a closed-loop ramp above concurrency is sized by its highest target', () => {
  const ramp = scenario({ concurrency: 1, connections: 100_000, stages: [{ duration: '1s', target: 50_000 }, { duration: '1s', target: 10 }] });
  assert.equal(peakConcurrency(ramp), 50_000);
  assert.deepEqual(fdNeed(ramp), { inFlight: 50_000, need: 50_000 + FD_HEADROOM, because: 'a stage target of 50,000 in flight (from concurrency 1)' });
  // As the flat load of the same size.
  assert.equal(fdNeed(scenario({ concurrency: 50_000, connections: 100_000 })).need, fdNeed(ramp).need);
  // Never more in flight than the run has connections.
  assert.equal(fdNeed(scenario({ concurrency: 1, connections: 300, stages: [{ duration: '1s', target: 50_000 }] })).inFlight, 300);
  // A ramp down from concurrency: concurrency is the peak.
  assert.equal(fdNeed(scenario({ concurrency: 64, stages: [{ duration: '1s', target: 8 }] })).because, 'concurrency 64');
  // Open loop: the targets are rates; maxInFlight bounds what is in flight.
  const open = scenario({ rate: 10, maxInFlight: 200, connections: 100_000, stages: [{ duration: '1s', target: 50_000 }] });
  assert.equal(fdNeed(open).inFlight, 200);
});

test('under http a closed ramp sizes the requests in flight (agent-per-request: a connection each)', () => {
  const http = scenario({
    protocol: 'http',
    concurrency: 2,
    stages: [{ duration: '1s', target: 3000 }],
    http: { client: 'agent-per-request', requests: 10_000 },
  });
  assert.equal(fdNeed(http).inFlight, 3000);
  assert.match(fdNeed(http).because, /a stage target of 3,000 in flight/);
});

test('the undici pool a closed http ramp is given is its peak, in the run and in doctor alike', () => {
  // An audit: a ramp to 8 from concurrency 2 ran on 2 connections, what flat concurrency 2 gives.
  const ramp = scenario({ protocol: 'http', concurrency: 2, stages: [{ duration: '2s', target: 8 }], http: { client: 'keepalive', requests: 300 } });
  assert.equal(httpPoolConnections(ramp), 8);
  assert.equal(httpLoadPlan(ramp, 7000).poolConnections, 8);
  assert.deepEqual(fdNeed(ramp), { inFlight: 8, need: 8 + FD_HEADROOM, because: 'a stage target of 8 in flight (from concurrency 2)' });
  // http.connections, when set, is the pool.
  const fixed = scenario({ protocol: 'http', concurrency: 2, stages: [{ duration: '2s', target: 8 }], http: { client: 'keepalive', requests: 300, connections: 3 } });
  assert.equal(httpLoadPlan(fixed, 7000).poolConnections, 3);
  assert.match(fdNeed(fixed).because, /the undici pool of http\.connections 3/);
});

test('the raw http client holds a connection per request in flight: no undici pool caps it', () => {
  // An audit: a raw open loop was sized as "the undici pool of concurrency 64" (164 descriptors,
  // ok at ulimit 1,024) and its run failed 1,295 requests with EMFILE.
  const raw = scenario({ protocol: 'http', rate: 2000, maxInFlight: 5_000, http: { client: 'raw', requests: 3000 } });
  assert.deepEqual(fdNeed(raw), { inFlight: 3000, need: 3000 + FD_HEADROOM, because: '3,000 requests in flight at most (maxInFlight 5,000 (open loop)), a connection per request in flight (http.client raw has no pool)' });
  const closed = scenario({ protocol: 'http', concurrency: 2_000, http: { client: 'raw', requests: 10_000 } });
  assert.equal(fdNeed(closed).inFlight, 2_000);
  // The same load through the undici pool holds only the pool's connections.
  assert.equal(fdNeed(scenario({ protocol: 'http', rate: 2000, maxInFlight: 5_000, http: { client: 'keepalive', requests: 3000 } })).inFlight, 64);
});

test("the bundled echo server's idle timeout waits out close.delay too", () => {
  // A review: close.delay 11 s let the server's 10 s idle cut close first, moving TIME_WAIT there.
  const config = (delay: string) => serverConfig(scenario({ close: { delay } }));
  assert.equal(config('0ms').idleTimeoutMs, 10_000);
  assert.equal(config('11s').idleTimeoutMs, 21_000);
});
