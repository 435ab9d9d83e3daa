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
}

// Home, draw, clear each line's tail and everything below: no flicker from a full clear.
const HOME = '\x1b[H';
const CLEAR_LINE_TAIL = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

export async function watchStates(options: WatchOptions): Promise<number> {
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
      const body = renderCensus(snap, rates, options.title)
        .split('\n')
        .map((l) => l + CLEAR_LINE_TAIL)
        .join('\n');
      options.write(`${HOME}${body}\n\nrefresh every ${options.intervalMs} ms — Ctrl-C to stop${CLEAR_LINE_TAIL}\n${CLEAR_BELOW}`);
    }
    previous = snap;
    refreshes++;
    if (refreshes >= options.count) break;
    try {
      await sleep(options.intervalMs, undefined, { signal: options.signal });
    } catch {
      break;
    }
  }
  return refreshes;
}
