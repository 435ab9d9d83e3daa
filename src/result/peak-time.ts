// When TIME_WAIT peaked, on the run clock, at the resolution of the fastest curve the run has.
// The census (by side, exact) comes every census interval or when the counts moved; sockstat
// `tw` comes every sample interval; the driver knows when it stopped closing. A peak read from
// the census alone on a 0.4 s run lands on the final census a second later ("peak reached at
// 1.10 s"), after the curve it describes had already stopped rising.
import type { RunResult } from './model.js';

export interface PeakTimeInputs {
  /** The census TIME_WAIT curve, both sides summed, on the run clock. */
  census: { t: readonly number[]; timeWait: readonly number[] };
  /** /proc/net/sockstat `tw`, sampled at the sample interval (also counts FIN_WAIT2 mini-sockets). */
  sockstat: { t: readonly number[]; tw: readonly number[] };
  /**
   * Run-clock ms by which the driver's last exchange had ended (the end of its series interval,
   * at most the load's end). A TIME_WAIT can trail it by the close handshake (the client's, when
   * the server's FIN arrives), which takes a round trip and the server's close, well inside one
   * sample interval on loopback.
   */
  lastCloseMs: number | null;
}

/**
 * Run-clock ms at which TIME_WAIT peaked, or null when no socket entered it (by the census).
 *
 * The first sample holding the maximum of the fastest curve bounds the peak from above; the
 * sample before it from below. TIME_WAIT only grows when a connection closes (tcp_time_wait()
 * runs on the close path), so when the application's last close falls between those two
 * samples the peak was reached then, not when the next sample happened to look. The answer
 * stays within the census curve's span, so it never precedes or trails the curve it names.
 */
export function timeWaitPeakTime(input: PeakTimeInputs): number | null {
  const { census, sockstat, lastCloseMs } = input;
  const censusAt = firstPeak(census.t, census.timeWait);
  if (censusAt === null) return null;
  // The fast curve is used only when it saw TIME_WAIT too (an external target's host-wide
  // sockstat is no better a witness than the census).
  const fast = firstPeak(sockstat.t, sockstat.tw);
  const curve = fast ?? censusAt;
  let at = curve.at;
  if (lastCloseMs !== null && lastCloseMs < at && lastCloseMs >= curve.before) at = lastCloseMs;
  const first = census.t[0] ?? at;
  const last = census.t[census.t.length - 1] ?? at;
  return Math.min(last, Math.max(first, at));
}

/**
 * The same, read from series already on one clock: a merge's shards or a routed lab's hosts,
 * added (result/add.ts). Each contributor's own peak was at its own moment; the sum peaks when
 * the added curves do, which this reads as one run's is read.
 */
export function seriesPeakTime(series: RunResult['series'], lastClose: number | null): number | null {
  const client = series.census.client['TIME_WAIT'] ?? [];
  const server = series.census.server['TIME_WAIT'] ?? [];
  return timeWaitPeakTime({
    census: { t: series.census.t, timeWait: series.census.t.map((_, i) => (client[i] ?? 0) + (server[i] ?? 0)) },
    sockstat: { t: series.kernel.t, tw: series.kernel.tw },
    lastCloseMs: lastClose,
  });
}

/**
 * The last close of results that ran together, on the common clock: each one's own (its driver
 * series at its own interval boundaries) moved by its offset. Read from the added series instead,
 * the re-bucketing to the common grid moved it up to an interval early, the peak was then not
 * pulled back to it, and a merge's peak fell after its load's end (an audit).
 */
export function contributorsLastClose(results: RunResult[], offsets: number[], loadEndMs: number): number | null {
  const each = results.flatMap((r, i) => {
    const at = lastCloseMs(r.series.driver, r.load?.endMs ?? r.summary.durationMs);
    return at === null ? [] : [at + offsets[i]!];
  });
  return each.length === 0 ? null : Math.min(loadEndMs, Math.max(...each));
}

/** The first sample holding the largest positive value, and the sample time before it. */
function firstPeak(t: readonly number[], values: readonly number[]): { at: number; before: number } | null {
  let best = 0;
  let index = -1;
  for (let i = 0; i < values.length && i < t.length; i++) {
    const v = values[i] ?? 0;
    if (v > best) {
      best = v;
      index = i;
    }
  }
  if (index < 0) return null;
  const at = t[index]!;
  return { at, before: index > 0 ? t[index - 1]! : at };
}

/**
 * Run-clock ms of the last close the driver recorded: the end of the last interval of its
 * series with a completed or failed connection, never later than the load's end.
 */
export function lastCloseMs(driver: { intervalMs: number; columns: Record<string, number[]> }, loadEndMs: number): number | null {
  let lastBucket = -1;
  for (const name of ['completed', 'failed']) {
    const column = driver.columns[name] ?? [];
    for (let i = column.length - 1; i > lastBucket; i--) {
      if ((column[i] ?? 0) > 0) {
        lastBucket = i;
        break;
      }
    }
  }
  return lastBucket < 0 ? null : Math.min(loadEndMs, (lastBucket + 1) * driver.intervalMs);
}
