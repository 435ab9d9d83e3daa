// Which records of a netlink socket dump repeat one already read, without a set of every one.
//
// The kernel walks its socket hash for a dump by position and resumes by position: between two
// recv() calls (the bucket, then how many sockets of it were sent), and inside a bucket every 16
// sockets, where it drops the bucket lock and counts its way back in (net/ipv4/tcp_diag.c, the
// SKARR_SZ batches; inet_diag_dump_icsk before 6.x). A socket added meanwhile at the head of
// the bucket's chain (hlist_nulls_add_head_rcu) shifts the ones already sent, and one of them is
// sent again: next to where it was first sent, a bucket's length away at most — inside the same
// buffer or at the start of the next, before or after sockets that are new. So a record is a
// repeat when its cookie, unique per socket, is among the last few hundred read.
//
// A Set of every cookie, the way this was first done, cost a quarter of a census's dump at
// 21,000 sockets (8.0 against 6.0 ms of CPU, measured here). Two small open-addressed tables of
// cookies take turns instead: each holds up to WINDOW records, the older is emptied when the
// newer fills, so at least the last WINDOW records (at most 2 × WINDOW) are remembered.
//
// A socket removed meanwhile shifts the other way and one socket is skipped: no reader of a
// moving table avoids that, /proc's seq_file included.

/** Records remembered at least: far more than the sockets of one bucket of the hash. */
export const WINDOW = 256;
/** Slots per table: a power of two, a quarter full at most, so probes stay short. */
export const SLOTS = 4 * WINDOW;
const SHIFT = 32 - Math.log2(SLOTS);

/** The slot a cookie's probe starts at (exported for the tests that make probes collide). */
export function startSlot(low: number, high: number): number {
  return Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b) >>> SHIFT;
}

export class DumpRepeats {
  private readonly low = [new Uint32Array(SLOTS), new Uint32Array(SLOTS)];
  private readonly high = [new Uint32Array(SLOTS), new Uint32Array(SLOTS)];
  private readonly used = [new Uint8Array(SLOTS), new Uint8Array(SLOTS)];
  /** The table records go into; the other holds the generation before. */
  private current = 0;
  private filled = 0;

  /**
   * Whether the record whose 64-bit cookie is (low, high) repeats one of the last records read.
   * A new one is remembered.
   */
  repeats(low: number, high: number): boolean {
    const start = startSlot(low, high);
    if (this.holds(0, start, low, high) || this.holds(1, start, low, high)) return true;
    if (this.filled === WINDOW) {
      this.current ^= 1;
      this.used[this.current]!.fill(0);
      this.filled = 0;
    }
    const used = this.used[this.current]!;
    let slot = start;
    while (used[slot] === 1) slot = (slot + 1) & (SLOTS - 1);
    used[slot] = 1;
    this.low[this.current]![slot] = low;
    this.high[this.current]![slot] = high;
    this.filled++;
    return false;
  }

  private holds(table: number, start: number, low: number, high: number): boolean {
    const used = this.used[table]!;
    const lows = this.low[table]!;
    const highs = this.high[table]!;
    for (let slot = start; used[slot] === 1; slot = (slot + 1) & (SLOTS - 1)) {
      if (lows[slot] === low && highs[slot] === high) return true;
    }
    return false;
  }
}
