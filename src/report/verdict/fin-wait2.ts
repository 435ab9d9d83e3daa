// Orphaned FIN_WAIT2: a socket that sent its FIN, had it ACKed, and was closed by its
// application waits for the peer's FIN for tcp_fin_timeout (tcp_fin_time(): at least 3.5 RTOs),
// kept as a timewait mini-socket that /proc/net/sockstat counts as `tw`. A peer that never
// closes (CLOSE_WAIT on its side) leaves them; lowering tcp_fin_timeout shortens them — and
// only them: TIME_WAIT stays 60 s (time-wait-duration.ts).
import type { RunResult } from '../../result/model.js';
import { sysctlNumber } from '../../result/figures.js';
import { peakOf } from '../../result/figures.js';
import { int, seconds } from '../../util/format.js';
import { decayOf, isTimerOf, madeAtOnce } from './decay.js';
import type { Finding } from './types.js';

/**
 * A FIN_WAIT2 that lasted this long was waiting for a FIN that did not come: between two hosts
 * that answer each other the peer's FIN follows its ACK within a round trip or an application's
 * close, well under a second.
 */
const LINGERING_MS = 1000;

export function finWait2Finding(result: RunResult): Finding | null {
  const census = result.series.census;
  const side = peakOf(census.server['FIN_WAIT2'] ?? []) > peakOf(census.client['FIN_WAIT2'] ?? []) ? 'server' : 'client';
  const other = side === 'client' ? 'server' : 'client';
  const curve = census[side]['FIN_WAIT2'] ?? [];
  const peak = peakOf(curve);
  if (peak === 0) return null;
  const finTimeout = sysctlNumber(result, 'net.ipv4.tcp_fin_timeout');
  const closeWait = peakOf(census[other]['CLOSE_WAIT'] ?? []);
  const cause =
    closeWait > 0
      ? ` The ${other} never sent its FIN: it held up to ${int(closeWait)} connection${closeWait === 1 ? '' : 's'} in CLOSE_WAIT (a peer that does not close).`
      : ' The peer\'s FIN never came.';
  const d = decayOf(census.t, curve);
  if (d !== null && !madeAtOnce(result)) {
    // They came and went during the load, so the curve's rise and fall is the load's, not a
    // socket's life (see madeAtOnce); that they spanned the load says nothing either: a trickle
    // of brief ones (an HTTP peer that closes a few ms after the server's FIN) spans it at a few
    // at a time (a lab audit: 6 at once over 2.7 s, every FIN came, 1,000 TIME_WAIT). Two things
    // show sockets that waited: one still there a second after the load ended was at least that
    // old (no close makes one after it), however few; and the socket-seconds under the curve over
    // the connections that could each have made one is the shortest mean life they could have had
    // (Little's law), when most of them waited.
    const lastMs = census.t[curve.findLastIndex((n) => n > 0)] ?? 0;
    const firstMs = census.t[curve.findIndex((n) => n > 0)] ?? 0;
    if (lastMs - firstMs < LINGERING_MS) return null;
    const late = lateCount(census.t, curve, result.load.endMs + LINGERING_MS);
    const meanMs = socketMs(census.t, curve) / Math.max(1, result.summary.connections.established);
    if (late.count === 0 && meanMs < LINGERING_MS) return null;
    const evidence =
      meanMs >= LINGERING_MS
        ? `, ${seconds(meanMs)} each on average at least`
        : ` (${int(late.count)} ${late.count === 1 ? 'was' : 'were'} still there ${seconds(late.atMs - result.load.endMs)} after the load ended)`;
    return {
      rule: 'fin-wait2',
      label: 'FIN_WAIT2',
      text:
        `Up to ${int(peak)} sockets at once waited in FIN_WAIT2 on the ${side} for a FIN that did not come${evidence}` +
        `${finTimeout !== null ? `; tcp_fin_timeout (${finTimeout} s here) bounds each orphaned one` : ''}.${cause}`,
      alert: true,
    };
  }
  if (d !== null) {
    if (d.lifetimeMs < LINGERING_MS) return null;
    const governs =
      finTimeout !== null && isTimerOf(d.lifetimeMs, finTimeout * 1000, d.resolutionMs, result.environment.timerHz ?? null, LINGERING_MS)
        ? `: tcp_fin_timeout=${finTimeout} s governs them (an orphaned FIN_WAIT2 waits that long for the peer's FIN, then is dropped; TIME_WAIT is not shortened by it)`
        : finTimeout !== null
          ? ` (tcp_fin_timeout=${finTimeout} s bounds an orphaned FIN_WAIT2; one the application still held waits for it to close first)`
          : '';
    return {
      rule: 'fin-wait2',
      label: 'FIN_WAIT2',
      text:
        `${int(peak)} sockets waited in FIN_WAIT2 on the ${side} for a FIN that did not come; half were gone ${seconds(d.lifetimeMs)} after half had appeared ` +
        `(census every ~${seconds(d.resolutionMs)})${governs}.${cause}`,
      alert: true,
    };
  }
  // Still there when sampling stopped: say so only if they had been there a while.
  const firstAt = census.t[curve.findIndex((n) => n > 0)] ?? 0;
  const lastMs = census.t[census.t.length - 1] ?? 0;
  const end = curve[curve.length - 1] ?? 0;
  if (end === 0 || lastMs - firstAt < LINGERING_MS) return null;
  return {
    rule: 'fin-wait2',
    label: 'FIN_WAIT2',
    text:
      `${int(end)} sockets were still waiting in FIN_WAIT2 on the ${side} when sampling stopped, ${seconds(lastMs - firstAt)} after the first appeared` +
      `${finTimeout !== null ? `; an orphaned one lasts tcp_fin_timeout (${finTimeout} s here)` : ''}.${cause}`,
    alert: true,
  };
}

/** The area under a census curve in socket-milliseconds: each count held until the next census. */
function socketMs(t: readonly number[], values: readonly number[]): number {
  let area = 0;
  for (let i = 0; i + 1 < t.length; i++) area += (values[i] ?? 0) * (t[i + 1]! - t[i]!);
  return area;
}

/** The most at once among census samples taken at or after `fromMs`, and when: sockets older than the load's end. */
function lateCount(t: readonly number[], values: readonly number[], fromMs: number): { count: number; atMs: number } {
  let most = { count: 0, atMs: fromMs };
  for (let i = 0; i < t.length; i++) if (t[i]! >= fromMs && (values[i] ?? 0) > most.count) most = { count: values[i] ?? 0, atMs: t[i]! };
  return most;
}
