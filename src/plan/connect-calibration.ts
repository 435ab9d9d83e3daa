// The port walk's costs (connect-walk.ts) calibrated from a run's own connect() cliff, for
// plan --from: what a connect() cost before the first parity was held and what each port walked
// added after it.
import type { RunResult } from '../result/model.js';
import type { ConnectScanInputs } from './types.js';
import { cliffPools, cliffRange, firstParity, lastConnectMs } from '../result/connect-cliff.js';

/**
 * The port walk's costs, calibrated from the run's own cliff (summary.connectFill): the extra
 * time a connect() took once the first parity was held — the other parity's mean call time less
 * the first's — spread over the ports it walked (half the range), and each thread's whole cost
 * per connection before the cliff (threads × time to the cliff ÷ connections by then). Also the
 * rate the run really made past the cliff, to hold the prediction against. null when the run
 * had no cliff, timed connect latency rather than the connect() call (the net fallback), or its
 * cliff cannot calibrate a parity walk: the second parity no slower than the first (a clamped
 * 0 µs per port would predict a free walk), or a pool less than ~half held at the cliff (no
 * connect() had walked the first parity yet: an audit's cliff at 26 % of the range).
 */
export function connectScanFromResult(result: RunResult): { inputs: ConnectScanInputs; measuredPerSec: number; from: string } | null {
  const fill = result.summary.connectFill;
  const cliff = fill?.cliff;
  // A merge of shards: one shard's slice, and one shard's share of the connections (the cliff
  // is read per contributor; a review: the whole range and all shards' connections were used).
  const range = cliffRange(result);
  const pools = cliffPools(result);
  if (!fill || !cliff || cliff.atMs === null || !range || pools === null || result.connectFill?.measure !== 'connect-call') return null;
  if (pools.perSocketRange || pools.fillPerPool === null || pools.fillPerPool < MIN_CALIBRATION_FILL) return null;
  const first = firstParity(range);
  const a = fill[first];
  const b = fill[first === 'even' ? 'odd' : 'even'];
  if (a.mean === null || b.mean === null || b.count === 0) return null;
  const portsWalked = Math.ceil(range.size / 2);
  const perPortUs = ((b.mean - a.mean) * 1000) / portsWalked;
  if (!(perPortUs > 0)) return null;
  // One shard's threads, as the walk is one shard's: a merge's environment.threads adds every
  // shard's (a review: 2 shards × 2 threads calibrated as 4 threads on one slice).
  const recorded = (result.environment as { threads?: number }).threads;
  const engineThreads = recorded === undefined ? (result.scenario.threads ?? 1) : range.slice ? Math.max(1, Math.round(recorded / range.slices)) : recorded;
  // More threads than CPUs do not walk in parallel.
  const threads = Math.max(1, Math.min(engineThreads, result.environment.cpus ?? engineThreads));
  const beforeMs = cliff.atMs - result.load.startMs;
  // The rate past the cliff runs until the ports ran out or the last connection was made, not
  // to the load's end: after exhaustion the client only backs off (an audit: seconds of it
  // counted as walking time).
  const exhausted = result.summary.ports.exhaustedAtMs;
  const last = result.connectFill ? lastConnectMs(result.connectFill) : null;
  const endMs = Math.min(result.load.endMs, exhausted ?? last ?? result.load.endMs);
  const afterMs = endMs - cliff.atMs;
  const before = pools.connectionsBefore;
  const after = result.summary.connections.established / range.slices - before;
  if (beforeMs <= 0 || afterMs <= 0 || before <= 0 || after <= 0) return null;
  return {
    inputs: { perPortUs, baseConnectionUs: (threads * beforeMs * 1000) / before, threads },
    measuredPerSec: (after / afterMs) * 1000,
    from:
      `measured: summary.connectFill (${b === fill.odd ? 'odd' : 'even'}-port connect() mean ${b.mean} ms − ${first}-port ${a.mean} ms over ${portsWalked} ports; ` +
      `${before} connections in the ${Math.round(beforeMs)} ms before the cliff on ${threads} thread${threads === 1 ? '' : 's'}${range.slice ? `; per shard: one ${range.size}-port slice, 1/${range.slices} of the connections` : ''})`,
  };
}

/** A cliff calibrates the parity walk only once a pool is about half held (connect-cliff.ts PARITY_FILL, less those in flight). */
const MIN_CALIBRATION_FILL = 0.45;
