// `states --watch`: a census every interval, with the change per second since the last one.
// On a terminal the screen is redrawn in place; into a pipe each refresh is one plain line
// (or one JSON document per line with --json), so logs and scripts get something to parse.
import { setTimeout as sleep } from 'node:timers/promises';
import { renderCensus, renderWatchLine } from './render.js';
import { ratesBetween, takeCensus, type Rates, type CensusOptions, type StatesCensus } from './census.js';

export type WatchMode = 'tty' | 'lines' | 'json';

export interface WatchOptions extends CensusOptions {
  intervalMs: number;
  /** Stop after this many refreshes (Infinity: until the signal). */
  count: number;
  mode: WatchMode;
  signal: AbortSignal;
  write: (text: string) => void;
  title?: string;
  /** tty mode: the terminal's size, asked at every refresh (a window is resized while watched). */
  screen?: () => { columns?: number | undefined; rows?: number | undefined };
  /** The clock the refreshes keep time by (tests: a fake one); a monotonic one by default. */
  clock?: WatchClock;
}

export interface WatchClock {
  now(): number;
  /** Rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const MONOTONIC: WatchClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/**
 * How long to wait for the next refresh: they fall on a grid from the first one, so the time a
 * census takes (~100 ms at 100,000 sockets) does not stretch each period (an audit: --watch 200ms
 * refreshed every 0.30-0.46 s). A census longer than a period skips the refreshes it overran
 * rather than catching up with a burst of them.
 */
export function untilNextRefresh(startedAt: number, intervalMs: number, now: number): number {
  const late = now - startedAt;
  return intervalMs - (late % intervalMs);
}

// Home, draw, clear each line's tail and everything below: no flicker from a full clear.
const HOME = '\x1b[H';
const CLEAR_LINE_TAIL = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

/**
 * The lines of one redraw cut to the terminal: each to `columns` characters, and as many as fit
 * in `rows` with the newline that ends the last one. Redrawing in place works only if the frame
 * never scrolls: a line wider than the terminal wraps onto rows the next HOME does not count, and
 * a frame taller than the screen scrolls it, so every refresh pushed a copy into the scrollback
 * and the top of it (the title and the state table) off the screen. At 100,000 sockets the full
 * census is about 28 rows on an 80×24 terminal. The cut is said on the last row, with the way to
 * see it whole. Unknown sizes (0, undefined: not a terminal after all) cut nothing. A character
 * is counted as one column: a wide one (CJK, most emoji: two columns) can reach the census only
 * in a process name (`--by process`), and a line holding one may still wrap.
 */
export function fitToScreen(lines: readonly string[], columns?: number, rows?: number): string[] {
  const width = columns !== undefined && Number.isFinite(columns) && columns >= 1 ? Math.floor(columns) : Infinity;
  const height = rows !== undefined && Number.isFinite(rows) && rows >= 1 ? Math.max(1, Math.floor(rows) - 1) : Infinity;
  const cut = (line: string): string => {
    if (line.length <= width) return line;
    const chars = [...line];
    return chars.length <= width ? line : `${chars.slice(0, width - 1).join('')}…`;
  };
  if (lines.length <= height) return lines.map(cut);
  const hidden = lines.length - (height - 1);
  return [...lines.slice(0, height - 1), `… ${hidden} more lines: a larger window shows them (twstorm states without --watch prints them all)`].map(cut);
}

export async function watchStates(options: WatchOptions): Promise<number> {
  const clock = options.clock ?? MONOTONIC;
  const startedAt = clock.now();
  let previous: StatesCensus | undefined;
  let refreshes = 0;
  if (options.mode === 'tty') options.write('\x1b[2J');
  while (refreshes < options.count && !options.signal.aborted) {
    const snap = await takeCensus(options);
    const rates: Rates | undefined = previous ? ratesBetween(previous, snap) : undefined;
    if (options.mode === 'json') {
      options.write(`${JSON.stringify(rates ? { ...snap, rates } : snap)}\n`);
    } else if (options.mode === 'lines') {
      options.write(`${renderWatchLine(snap, rates)}\n`);
    } else {
      const { columns, rows } = options.screen?.() ?? {};
      const frame = fitToScreen([...renderCensus(snap, rates, options.title).split('\n'), '', `refresh every ${options.intervalMs} ms — Ctrl-C to stop`], columns, rows);
      options.write(`${HOME}${frame.map((l) => l + CLEAR_LINE_TAIL).join('\n')}\n${CLEAR_BELOW}`);
    }
    previous = snap;
    refreshes++;
    if (refreshes >= options.count) break;
    try {
      await clock.sleep(untilNextRefresh(startedAt, options.intervalMs, clock.now()), options.signal);
    } catch {
      break;
    }
  }
  return refreshes;
}
