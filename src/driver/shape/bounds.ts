// What every load shape is given: the bounds it runs within and how to start one unit of work.
import type { Outcome } from '../tcp-connection.js';

export interface Bounds {
  /** Total connections to start. */
  count: number;
  /** Run-clock time after which nothing new starts. */
  deadlineMs: number;
  signal: AbortSignal;
}

/** Starts one connection; `intendedStartMs` is when the shape wanted it to start. */
export type Launch = (intendedStartMs: number) => Promise<Outcome>;
