// How long sockets of one state lived, read from the census curve alone: the time between the
// curve crossing half its peak on the way up (half of them made) and on the way down (half of
// them gone) is the lifetime of the median socket when every socket lives about as long — the
// case for TIME_WAIT (TCP_TIMEWAIT_LEN) and for orphaned FIN_WAIT2 (tcp_fin_timeout) — and all
// of them were made before the first one ended (see madeAtOnce). It needs no driver timestamp,
// so it holds whatever closed the sockets (a linger close on a worker thread, a user's server,
// another host).
import { kernelCounters } from '../../result/lab.js';
import type { RunResult } from '../../result/model.js';
import { timerLateSeconds } from '../../tcp-facts.js';

export interface Decay {
  /** Highest count on the curve. */
  peak: number;
  /** Run-clock ms the curve crossed peak/2 rising and falling (interpolated between census points). */
  halfUpMs: number;
  halfDownMs: number;
  /** halfDownMs − halfUpMs: how long the median socket lived. */
  lifetimeMs: number;
  /** Run-clock ms of the first point at the peak (the curve stopped rising: the last of them made). */
  fullAtMs: number;
  /** Run-clock ms of the first point back at 0 after the peak, or null if the curve never got there. */
  emptyAtMs: number | null;
  /** The wider of the two census gaps the crossings were read in: how exact lifetimeMs is. */
  resolutionMs: number;
}

/**
 * Whether a measured lifetime is a kernel timer of `timeoutMs`, read through a census of
 * `resolutionMs`, on a kernel of CONFIG_HZ `hz` (null: not known, the latest any HZ fires it).
 * The timer wheel never fires early but may fire late by one granule of the level the timeout
 * falls in (tcp-facts.ts timerLateSeconds: 60 s is late by up to 2.048 s at HZ 250, 4.096 s at
 * 1,000). `slackMs` covers what the socket's own life adds (a close's round trip, the census's
 * read time).
 */
export function isTimerOf(lifetimeMs: number, timeoutMs: number, resolutionMs: number, hz: number | null, slackMs = 1000): boolean {
  const lateMs = timerLateSeconds(timeoutMs / 1000, hz) * 1000;
  return lifetimeMs >= timeoutMs - resolutionMs - slackMs && lifetimeMs <= timeoutMs + lateMs + resolutionMs + slackMs;
}

/**
 * The decay of a census curve, or null when it has none to measure: nothing rose from below
 * half its peak, or it never fell back below half before the run ended.
 */
export function decayOf(t: readonly number[], values: readonly number[]): Decay | null {
  let peakAt = -1;
  let peak = 0;
  for (let i = 0; i < values.length && i < t.length; i++) {
    if ((values[i] ?? 0) > peak) {
      peak = values[i] ?? 0;
      peakAt = i;
    }
  }
  if (peakAt < 0) return null;
  const half = peak / 2;
  let up = -1;
  for (let i = peakAt; i > 0; i--) {
    if ((values[i - 1] ?? 0) < half) {
      up = i;
      break;
    }
  }
  let down = -1;
  for (let i = peakAt + 1; i < values.length && i < t.length; i++) {
    if ((values[i] ?? 0) <= half) {
      down = i;
      break;
    }
  }
  if (up < 0 || down < 0) return null;
  const cross = (a: number, b: number): number => {
    const va = values[a] ?? 0;
    const vb = values[b] ?? 0;
    return va === vb ? t[b]! : t[a]! + ((half - va) / (vb - va)) * (t[b]! - t[a]!);
  };
  const halfUpMs = cross(up - 1, up);
  const halfDownMs = cross(down - 1, down);
  let emptyAtMs: number | null = null;
  for (let i = peakAt + 1; i < values.length && i < t.length; i++) {
    if ((values[i] ?? 0) === 0) {
      emptyAtMs = t[i]!;
      break;
    }
  }
  return {
    peak,
    halfUpMs,
    halfDownMs,
    lifetimeMs: halfDownMs - halfUpMs,
    fullAtMs: t[peakAt]!,
    emptyAtMs,
    resolutionMs: Math.max(t[up]! - t[up - 1]!, t[down]! - t[down - 1]!),
  };
}

/** A census column summed over both sides (a state missing on a side counts 0). */
export function bothSides(census: { t: number[]; client: Record<string, number[]>; server: Record<string, number[]> }, state: string): number[] {
  const c = census.client[state] ?? [];
  const s = census.server[state] ?? [];
  return census.t.map((_, i) => (c[i] ?? 0) + (s[i] ?? 0));
}

/**
 * Whether every timewait socket the run made was alive at one moment, so that none ended
 * before the last was made: /proc/net/sockstat `tw` (TIME_WAIT and orphaned FIN_WAIT2 mini-
 * sockets, this namespace) peaked at (nearly) TcpExtTW, the count the kernel made. Only then
 * does a rise-and-fall read as a lifetime; under a load longer than the lifetime the curve
 * plateaus while sockets come and go, and its fall starts when the load stops, not when the
 * first socket's time is up. (Checked on drained curves: by then TcpExtTW is every socket made,
 * whether a kernel counts them on entry — Linux 6.x — or on exit.)
 */
export function madeAtOnce(result: RunResult): boolean {
  // Every host's count, as sockstatPeak adds every host's sockstat: in a routed lab where the
  // server host closed first, the client hosts' TcpExtTW alone was 0.
  const made = kernelCounters(result)['TcpExtTW'] ?? 0;
  return made > 0 && result.summary.timeWait.sockstatPeak >= 0.9 * made;
}
