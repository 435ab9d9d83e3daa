// Which records of a netlink socket dump repeat one already read, without remembering every one.
//
// A dump is read a buffer at a time, and between two recv() calls the kernel resumes its walk of
// the socket hash by position: the bucket, then how many sockets of that bucket it had sent
// (net/ipv4/inet_diag.c, inet_diag_dump_icsk). A socket added meanwhile at the head of that
// bucket's chain (hlist_nulls_add_head_rcu) shifts the ones already sent, and the last of them
// is sent again, first in the next buffer. So a repeat can only be one of a run of records at
// the start of a buffer, repeating records from the end of the buffer before. Only those are
// compared, with the previous buffer's last TAIL cookies, and the comparing stops at the first
// record that is new. A Set of every cookie, the way this was first done, cost a quarter of a
// census's dump at 21,000 sockets (8.0 against 6.0 ms of CPU, measured here).
//
// A socket removed meanwhile shifts the other way and one socket is skipped: no reader of a
// moving table avoids that, /proc's seq_file included.

/**
 * Cookies remembered from the end of each buffer. A bucket's chain longer than this at a buffer
 * boundary could let a repeat through; the established hash has ~1 socket per bucket, and the
 * listening hash holds at most a few dozen SO_REUSEPORT listeners of one port.
 */
export const TAIL = 256;

export class BoundaryDuplicates {
  private previous = new Uint32Array(2 * TAIL);
  private current = new Uint32Array(2 * TAIL);
  /** How many of `previous` hold cookies. */
  private previousCount = 0;
  /** Records seen in the current buffer. */
  private seen = 0;
  /** Still in the run at the start of the buffer that may repeat the previous one's end. */
  private checking = false;

  /** Call before the records of each buffer. */
  nextBuffer(): void {
    const swap = this.previous;
    this.previous = this.current;
    this.current = swap;
    this.previousCount = Math.min(this.seen, TAIL);
    this.seen = 0;
    this.checking = this.previousCount > 0;
  }

  /**
   * Whether the record whose 64-bit cookie is (low, high) repeats one from the end of the
   * previous buffer. Every record is remembered either way, for the next buffer.
   */
  repeats(low: number, high: number): boolean {
    const slot = 2 * (this.seen % TAIL);
    this.current[slot] = low;
    this.current[slot + 1] = high;
    this.seen++;
    if (!this.checking) return false;
    const previous = this.previous;
    for (let i = 0; i < 2 * this.previousCount; i += 2) {
      if (previous[i] === low && previous[i + 1] === high) return true;
    }
    this.checking = false;
    return false;
  }
}
