// Ports held: how many distinct local ports this client was given in the last 60 s
// (TCP_TIMEWAIT_LEN). When the client closes first with tcp_tw_reuse off, every one of them is
// still held — by its connection or by the TIME_WAIT it left — so it is exactly what
// connect()'s port scan has to step over (__inet_hash_connect skips a port whose bind bucket
// already holds a 4-tuple to the same destination). Otherwise (server closes first, RST
// close, reuse on) it is an upper bound, and connect latency does not follow it.
//
// A sliding window of one-second buckets on an Int32Array, so the engine threads can share one
// (on a SharedArrayBuffer, as they share the port table) and the hot loop allocates nothing:
// a port counts in the bucket of its last use; reusing it moves it to the current bucket.
import { TIME_WAIT_SECONDS } from '../tcp-facts.js';

/** Seconds a used port can stay held (TCP_TIMEWAIT_LEN, include/net/tcp.h). */
const WINDOW_S = TIME_WAIT_SECONDS;
/** Ring size: a power of two above the window, so a bucket is reused only after it expired. */
const RING = 64;
/** Int32 slots: RING counts, then RING second-stamps. */
export const HELD_WINDOW_INTS = RING * 2;

export class HeldWindow {
  private readonly counts: Int32Array;
  private readonly stamps: Int32Array;

  /** `cells` holds HELD_WINDOW_INTS Int32 slots (new or shared); call init() once on new memory. */
  constructor(cells: Int32Array) {
    this.counts = cells.subarray(0, RING);
    this.stamps = cells.subarray(RING, RING * 2);
  }

  static init(cells: Int32Array): void {
    cells.fill(0, 0, RING);
    cells.fill(-1, RING, RING * 2);
  }

  /**
   * A port was given out at run time `tMs`; `previousMs` is its last use (NaN: never).
   * Returns the ports held now, this one included.
   */
  opened(previousMs: number, tMs: number): number {
    const s = Math.floor(Math.max(0, tMs) / 1000);
    const i = s & (RING - 1);
    const stamp = Atomics.load(this.stamps, i);
    // The bucket last counted a second 64 s ago (or never): every port in it has left the window.
    if (stamp !== s && Atomics.compareExchange(this.stamps, i, stamp, s) === stamp) Atomics.store(this.counts, i, 0);
    Atomics.add(this.counts, i, 1);
    if (!Number.isNaN(previousMs)) {
      const ps = Math.floor(Math.max(0, previousMs) / 1000);
      // Still in the window: it was counted there, and now counts here instead.
      if (s - ps <= WINDOW_S && ps !== s) {
        const j = ps & (RING - 1);
        if (Atomics.load(this.stamps, j) === ps) Atomics.sub(this.counts, j, 1);
      } else if (ps === s) Atomics.sub(this.counts, i, 1);
    }
    return this.heldAt(s);
  }

  /** Ports whose last use fell in the seconds s−60 … s. */
  private heldAt(s: number): number {
    let held = 0;
    for (let k = 0; k <= WINDOW_S; k++) {
      const second = s - k;
      if (second < 0) break;
      const j = second & (RING - 1);
      if (this.stamps[j] === second) held += this.counts[j]!;
    }
    return held;
  }
}
