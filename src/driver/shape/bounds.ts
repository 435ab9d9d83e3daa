// What every load shape is given: the bounds it runs within and how to start one unit of work.
import type { Outcome } from '../tcp-connection.js';

/**
 * The code a connection (or HTTP request) gets when the run ends it as it stands: still open
 * when an interrupt's grace or the scenario's gracefulStop after `duration` ran out. Counted in
 * the phase it was in, as an errno would be, so the cut is never mistaken for the scenario's
 * own close (its unread data makes the close an RST: TCPAbortOnClose).
 */
export const CUT_AT_STOP = 'CUT_AT_STOP';

export interface Bounds {
  /** Total connections to start. */
  count: number;
  /** Run-clock time after which nothing new starts. */
  deadlineMs: number;
  signal: AbortSignal;
}

/** Starts one connection; `intendedStartMs` is when the shape wanted it to start. */
export type Launch = (intendedStartMs: number) => Promise<Outcome>;
