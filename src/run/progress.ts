// A live line on a terminal while the load runs: how far along (against the count or the
// duration, whichever ends the run first), an ETA, the TIME_WAIT count the kernel reports and the
// errors so far. Nothing when stderr is not a terminal (CI logs keep only the final summary) and
// nothing with --json (the outer process then does not ask for it).
import type { Clock } from '../util/clock.js';
import { int } from '../util/format.js';
import type { LoadStats } from '../metrics/load-stats.js';
import type { WorkUnit } from '../scenario/work.js';

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
}

/** 75 s → "1m15s", 9.5 s → "10s". */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * "12.3s/1m00s  4,321/100,000 connections  ETA 17s  TIME_WAIT 4,100  errors 12 (EADDRNOTAVAIL 12)":
 * time against the duration, count against the count, so whichever ends the run is in view. The
 * ETA is the sooner of the count at the rate so far and the end of the duration.
 */
export function formatProgress(f: ProgressFigures, target: ProgressTarget): string {
  const byDuration = target.durationMs - f.elapsedMs;
  const rate = f.elapsedMs > 0 ? f.done / f.elapsedMs : 0;
  const byCount = rate > 0 ? (target.count - f.done) / rate : Number.POSITIVE_INFINITY;
  const eta = Math.max(0, Math.min(byDuration, byCount));
  const errorCount = f.errors.reduce((sum, [, n]) => sum + n, 0);
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
  const draw = (): void => {
    const line = formatProgress(
      {
        elapsedMs: clock() - startMs,
        done: target.unit === 'requests' ? stats.requests.total : stats.attempted,
        timeWait,
        errors: [...stats.errors].map(([code, count]) => [code, count.total]),
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
