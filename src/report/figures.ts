// Figures derived from a result's series that more than one renderer needs (the verdict and
// the HTML charts): when TIME_WAIT peaked, how many client ports were held over time, and the
// kernel constants the projections rest on.
import type { RunResult } from '../metrics/result.js';

/** Linux's TCP_TIMEWAIT_LEN: fixed, not tunable (tcp_fin_timeout is a different timer). */
export const TIME_WAIT_SECONDS = 60;
/** The widest sensible ephemeral range: 1024–65535 (below 1024 are the well-known ports). */
export const WIDEST_PORT_RANGE = 65535 - 1024 + 1;

/** Run time (ms) of the census sample with the most TIME_WAIT sockets on both sides, or null if none. */
export function timeWaitPeakAtMs(result: RunResult): number | null {
  const { t, client, server } = result.series.census;
  let best = 0;
  let at: number | null = null;
  t.forEach((time, i) => {
    const n = (client['TIME_WAIT']?.[i] ?? 0) + (server['TIME_WAIT']?.[i] ?? 0);
    if (n > best) {
      best = n;
      at = time;
    }
  });
  return at;
}

/**
 * Client-side sockets per census sample, whatever their state. Each holds a local port toward
 * the server (TIME_WAIT included: for the same destination that port cannot carry a new
 * connection), so this approximates "ports in use" at the census rate.
 */
export function clientPortsHeld(result: RunResult): { t: number[]; held: number[] } {
  const { t, client } = result.series.census;
  const held = t.map((_, i) =>
    Object.entries(client).reduce((sum, [state, column]) => (state === 'LISTEN' ? sum : sum + (column[i] ?? 0)), 0),
  );
  return { t, held };
}

export function peakClientPortsHeld(result: RunResult): number {
  return Math.max(0, ...clientPortsHeld(result).held);
}

/** New connections per second the load actually made (established per second of load). */
export function connectionRate(result: RunResult): number {
  return result.summary.connections.ratePerSec;
}

/** A sysctl in force, as a number, or null when absent or not numeric. */
export function sysctlNumber(result: RunResult, name: string): number | null {
  const raw = result.environment.sysctls[name];
  if (raw === null || raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}
