// A live line on a terminal while the load runs: how far along (against the count or the
// duration, whichever ends the run first), an ETA, the TIME_WAIT count the kernel reports and the
// errors so far. Nothing when stderr is not a terminal (CI logs keep only the final summary) and
// nothing with --json (the outer process then does not ask for it).
import type { Clock } from '../util/clock.js';
import { int } from '../util/format.js';
import type { LoadStats } from '../metrics/load-stats.js';
import type { WorkUnit } from '../scenario/work.js';
import { formatDuration } from '../scenario/duration.js';

/** What ends the load: a number of connections (or HTTP requests) or a duration, first one wins. */
export interface ProgressTarget {
  count: number;
  unit: WorkUnit;
  durationMs: number;
}

export interface ProgressFigures {
  /** ms since the load began. */
  elapsedMs: number;
  /** Connections (requests) started. */
  done: number;
  /** sockstat's "tw" from the latest kernel sample (null before the first). */
  timeWait: number | null;
  errors: Array<[code: string, count: number]>;
  /** Errors counted without their code yet (engine threads name them only when they report). */
  uncoded?: number;
  /** Work started per ms lately; absent: the mean since the start. */
  recentPerMs?: number;
}

/** How far back the ETA's rate looks: long enough to smooth a tick, short enough to follow a slowdown. */
const RATE_WINDOW_MS = 5_000;

/**
 * stderr's "load started" line: what ends the load. The duration is spelled as a scenario spells
 * one ("10ms", "1.5s", "1m30s"), not in the progress line's whole seconds: `duration: 10` (ten
 * milliseconds, meant as seconds) read "or 1s" there, which hid the unit mistake it would show.
 */
export function loadStartedNote(target: ProgressTarget, clientHosts?: number): string {
  const from = clientHosts === undefined ? '' : clientHosts === 1 ? ' from the client host' : ` from each of ${int(clientHosts)} client hosts`;
  return `load started: ${int(target.count)} ${target.unit}${from} or ${formatDuration(target.durationMs)}, whichever comes first`;
}

/** 75 s → "1m15s", 9.5 s → "10s". */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * "12.3s/1m00s  4,321/100,000 connections  ETA 17s  TIME_WAIT 4,100  errors 12 (EADDRNOTAVAIL 12)":
 * time against the duration, count against the count, so whichever ends the run is in view. The
 * ETA is the sooner of the count at the recent rate and the end of the duration: the rate since
 * the start would keep a run that slowed down (ports ran out, connect() now backs off) at "ETA 1s"
 * for as long as the slowdown lasts (a newcomer audit: 9 s of it).
 */
export function formatProgress(f: ProgressFigures, target: ProgressTarget): string {
  const byDuration = target.durationMs - f.elapsedMs;
  const rate = f.recentPerMs ?? (f.elapsedMs > 0 ? f.done / f.elapsedMs : 0);
  const byCount = rate > 0 ? (target.count - f.done) / rate : Number.POSITIVE_INFINITY;
  const eta = Math.max(0, Math.min(byDuration, byCount));
  const errorCount = f.errors.reduce((sum, [, n]) => sum + n, 0) + (f.uncoded ?? 0);
  const top = [...f.errors].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([code, n]) => `${code} ${int(n)}`);
  return [
    `${(f.elapsedMs / 1000).toFixed(1)}s/${formatSeconds(target.durationMs)}`,
    `${int(f.done)}/${int(target.count)} ${target.unit}`,
    `ETA ${formatSeconds(eta)}`,
    `TIME_WAIT ${f.timeWait === null ? '–' : int(f.timeWait)}`,
    `errors ${int(errorCount)}${top.length > 0 ? ` (${top.join(', ')})` : ''}`,
  ].join('  ');
}

export interface Progress {
  /** Feed the latest TIME_WAIT count (from the kernel sampler). */
  timeWait(count: number): void;
  stop(): void;
}

export function startProgress(
  stats: LoadStats,
  clock: Clock,
  target: ProgressTarget,
  options: { enabled: boolean; stream?: NodeJS.WriteStream },
): Progress {
  const stream = options.stream ?? process.stderr;
  if (!options.enabled || !stream.isTTY) return { timeWait() {}, stop() {} };
  const startMs = clock();
  let timeWait: number | null = null;
  // (ms, done) at each draw over the last RATE_WINDOW_MS, oldest first: the ETA's recent rate.
  const recent: Array<[number, number]> = [];
  const draw = (): void => {
    const elapsedMs = clock() - startMs;
    const done = target.unit === 'requests' ? stats.requests.total : stats.attempted;
    recent.push([elapsedMs, done]);
    while (recent.length > 2 && recent[0]![0] < elapsedMs - RATE_WINDOW_MS) recent.shift();
    const [oldMs, oldDone] = recent[0]!;
    const line = formatProgress(
      {
        elapsedMs,
        done,
        timeWait,
        errors: [...stats.errors].map(([code, count]) => [code, count.total]),
        uncoded: stats.errorsUncoded,
        // From the load's start until the window has two draws in it.
        ...(elapsedMs - oldMs >= 1_000 ? { recentPerMs: (done - oldDone) / (elapsedMs - oldMs) } : {}),
      },
      target,
    );
    // Cut to the terminal's width so the line never wraps (a wrapped line cannot be redrawn);
    // a pseudo-terminal without a size reports 0 columns.
    const width = stream.columns > 0 ? stream.columns : 120;
    stream.write(`\r\x1b[2K  ${line.slice(0, Math.max(20, width - 3))}`);
  };
  const timer = setInterval(draw, 500);
  timer.unref();
  return {
    timeWait(count) {
      timeWait = count;
    },
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
