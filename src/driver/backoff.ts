// Back-off after failures that mean "this machine is out of something" rather than "this
// connection failed": retrying at full speed would only spin the CPU the storm is measuring.
// The resource is shared by every connection, so one back-off serves the whole loop.
import type { Outcome } from './tcp-connection.js';

/** Errors from local resource exhaustion (ports, file descriptors, buffers) or a missing listener. */
const BACK_OFF_CODES = new Set(['EADDRNOTAVAIL', 'EADDRINUSE', 'EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'ECONNREFUSED']);

export class Backoff {
  private delayMs = 0;
  private untilMs = 0;

  constructor(
    private readonly minMs = 1,
    private readonly maxMs = 100,
  ) {}

  failed(code: string, nowMs: number): void {
    if (!BACK_OFF_CODES.has(code)) return;
    this.delayMs = this.delayMs === 0 ? this.minMs : Math.min(this.maxMs, this.delayMs * 2);
    this.untilMs = nowMs + this.delayMs;
  }

  succeeded(): void {
    this.delayMs = 0;
    this.untilMs = 0;
  }

  /**
   * What a finished unit of work says to the back-off: a success clears it, a failed bind or
   * connect may start or lengthen it (a failure on an established connection is no shortage).
   */
  settled(outcome: Outcome, nowMs: number): void {
    if (outcome.ok) this.succeeded();
    else if (outcome.phase === 'connect' || outcome.phase === 'bind') this.failed(outcome.code, nowMs);
  }

  /** How long to wait before the next attempt (0 = go). */
  waitMs(nowMs: number): number {
    return Math.max(0, this.untilMs - nowMs);
  }
}
