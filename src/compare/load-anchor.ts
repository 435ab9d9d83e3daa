// Throughput and latency percentiles move with the runner's load; the fastest request does not.
// A load with N requests in flight on a shared runner is a CPU-bound closed loop: its requests/s
// and its p50–p99 are set by the CPU share the neighbours leave, and that share changes over
// minutes, so the 5 repeats of one set share one stretch of it and no repeat-based noise
// estimate sees the change between sets. Measured here (load average 28 on 2 cores): requests/s
// 448–811 in one set of identical runs and 162–267 in the next, first-byte p90 13–39 ms against
// 58–119 ms — every run apart, by far more than any tolerance. The fastest request of each run
// stayed at 1.4–3.5 ms across all of it (queueing only ever adds; metrics.ts, FLOOR_LATENCIES),
// yet anything the code adds to a request — CPU work or a wait, in the client or the server —
// delays the fastest request too. So, with repeats on both sides, a throughput or latency
// percentile counts as a regression (or an improvement) only when the fastest request moved the
// same way; alone it is reported, with the reason, as having moved with the runner's load.
// Counts (errors, failed connections, kernel counters such as SYN retransmits or listen
// overflows) are judged as before: they are what a change under concurrency leaves behind.
import type { RunResult } from '../result/model.js';
import { figureAt } from '../result/figure-paths.js';
import { specOf, type MetricSpec } from './metrics.js';
import type { MetricComparison } from './compare.js';

/** Figures that measure the CPU share a run got as much as the code: requests or connections per second, latency percentiles. */
const LOAD_BOUND = /^summary\.(connections\.ratePerSec|requests\.ratePerSec|latencyMs\.[A-Za-z]+\.p\d+)$/;
/** The anchor, in order of preference: the fastest answer (first byte), else the fastest whole exchange. */
const ANCHORS = ['summary.latencyMs.firstByte.min', 'summary.latencyMs.total.min'];
/**
 * Connections/s first asks the fastest whole connection, start to closed: a change after the
 * answer (a delay before the close, a slower close) slows every connection and moves no request
 * (an audit: close.delay=20ms, conn/s -78 %, every run apart, firstByte.min ~0.1 ms on both
 * sides, passed as "the runner's load"). Queueing only adds to it, as to the fastest request.
 */
const FASTEST_CONNECTION = 'summary.latencyMs.life.min';
const CONNECTION_RATE = 'summary.connections.ratePerSec';
const CONNECTION_ANCHORS = [FASTEST_CONNECTION, ...ANCHORS];
/**
 * What the fastest connection answers for: conn/s, and the percentiles of what comes after the
 * answer — a connection's life and its close. The fastest request cannot see a change there (an
 * audit: close.delay=20ms with --metric latencyMs.life.p50, +190 %, every run apart, p = 0.004,
 * passed as "the runner's load, the fastest request did not move" beside life.min +12,000 %).
 */
const BY_CONNECTION = /^summary\.(connections\.ratePerSec|latencyMs\.(life|close)\.p\d+)$/;

function anchorOf(
  b: RunResult[],
  c: RunResult[],
  judged: MetricComparison[],
  judgeOne: (spec: MetricSpec) => MetricComparison,
  paths: readonly string[],
): MetricComparison | null {
  for (const path of paths) {
    const known = judged.find((m) => m.metric === path) ?? judgeOne(specOf(path));
    if (known.status !== 'n/a' && [...b, ...c].every((r) => figureAt(r, path) !== null)) return known;
  }
  return null;
}

function anchored(m: MetricComparison, anchor: MetricComparison): MetricComparison {
  if (!LOAD_BOUND.test(m.metric) || (m.status !== 'regression' && m.status !== 'improvement')) return m;
  const fastest = anchor.metric === FASTEST_CONNECTION ? 'connection' : 'request';
  if (anchor.status === m.status) return { ...m, reason: `${m.reason}; the fastest ${fastest} moved too (${shortPath(anchor.metric)})` };
  // Read as the runner's load. Results from before connection lives were recorded have only the
  // fastest request, which a slower close does not move: said so.
  return {
    ...m,
    status: 'unchanged',
    reason:
      `moved with the runner's load: ${m.reason}, but the fastest ${fastest} (${shortPath(anchor.metric)}) did not` +
      (m.metric === CONNECTION_RATE && fastest === 'request' ? '; a slower close moves no request: on a quiet runner gate conn/s with a threshold' : ''),
  };
}

const shortPath = (path: string): string => path.replace(/^summary\./, '');

/**
 * The judged figures of one side against the other (repeats on both), each throughput or
 * latency percentile held to its anchor: the fastest request, or for conn/s and what comes after
 * the answer (life, close) the fastest connection. `judgeOne` judges an anchor the selection left out.
 */
export function anchorToLoad(judged: MetricComparison[], b: RunResult[], c: RunResult[], judgeOne: (spec: MetricSpec) => MetricComparison): MetricComparison[] {
  const anchor = anchorOf(b, c, judged, judgeOne, ANCHORS);
  const connectionAnchor = anchorOf(b, c, judged, judgeOne, CONNECTION_ANCHORS);
  return judged.map((m) => {
    const a = BY_CONNECTION.test(m.metric) ? connectionAnchor : anchor;
    return a === null ? m : anchored(m, a);
  });
}
