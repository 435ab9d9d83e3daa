// The user's server's output, kept in `<result>.server.log` up to a size: its start and its end,
// with one line in between saying how much was left out. Uncapped, a noisy server wrote 414 MB
// in 21 s, and on a disk it filled the result could not be written afterwards ("nothing was
// kept"), though the result is what README promises to keep when the disk fills.

/**
 * The start of the output, written as it comes. The log is read for two things: why a server
 * did not start or failed (its first lines: configuration, listening, the first errors) and its
 * last words (a crash's stack, its shutdown). 16 MiB is ~100,000 lines of an nginx error log
 * (~160 bytes each): every start-up seen is a few KiB, and a server that logs each connection
 * fills it in seconds at storm rates (the audit's 414 MB came at ~20 MB/s), after which more of
 * the same middle tells nobody anything.
 */
export const LOG_HEAD_BYTES = 16 * 1024 * 1024;

/**
 * The end of the output, held in the run process's memory until the server is gone (only then
 * is it known to be the end), so smaller: 4 MiB, ~25,000 lines. Head and tail together keep a
 * run's files within tens of MB, the size of a long run's result JSON and HTML themselves.
 */
export const LOG_TAIL_BYTES = 4 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

export interface LogSink {
  write(data: Buffer): void;
}

export interface CappedLogEnd {
  /** Bytes of output left out of the middle (0: the log holds all of it). */
  droppedBytes: number;
}

/** One line between the start and the end of a cut log, on a line of its own. */
export function cutLine(droppedBytes: number, limits: { head: number; tail: number }): string {
  const mib = (n: number): string => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
  return `[twstorm: ${droppedBytes} bytes of the server's output left out here: the log keeps its first ${mib(limits.head)} and its last ${mib(limits.tail)}]\n`;
}

/**
 * Writes the first `head` bytes to `sink` as they come, keeps the last `tail` bytes after them
 * in memory, and at end() writes the cut line and those. The tail begins at a line's start where
 * it holds one (a line cut in its middle is counted as dropped), so the log reads as whole lines.
 */
export class CappedLog {
  private written = 0;
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  /** Where the held chunks begin in `held` (those before it have fallen out). */
  private first = 0;
  private passed = 0;
  private ended: CappedLogEnd | null = null;
  /** Whether the head ends a line: the cut line then needs no newline of its own first. */
  private headEndsLine = true;

  constructor(
    private readonly sink: LogSink,
    private readonly limits: { head: number; tail: number } = { head: LOG_HEAD_BYTES, tail: LOG_TAIL_BYTES },
  ) {}

  write(chunk: Buffer): void {
    if (this.ended !== null || chunk.length === 0) return;
    const room = this.limits.head - this.written;
    if (room > 0) {
      const first = room >= chunk.length ? chunk : chunk.subarray(0, room);
      this.sink.write(first);
      this.written += first.length;
      this.headEndsLine = first[first.length - 1] === 0x0a;
      if (first.length === chunk.length) return;
      chunk = chunk.subarray(room);
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    // Whole chunks fall out of the front while what is left still fills the tail. An index, not
    // shift(): a server writing a line at a time leaves tens of thousands of small chunks here.
    while (this.held.length - this.first > 1 && this.heldBytes - this.held[this.first]!.length >= this.limits.tail) {
      const gone = this.held[this.first]!;
      this.held[this.first] = EMPTY;
      this.first += 1;
      this.heldBytes -= gone.length;
      this.passed += gone.length;
    }
    if (this.first > 1024 && this.first * 2 > this.held.length) {
      this.held.splice(0, this.first);
      this.first = 0;
    }
  }

  end(): CappedLogEnd {
    if (this.ended !== null) return this.ended;
    let tail = Buffer.concat(this.held.slice(this.first), this.heldBytes);
    let dropped = this.passed;
    if (tail.length > this.limits.tail) {
      dropped += tail.length - this.limits.tail;
      tail = tail.subarray(tail.length - this.limits.tail);
    }
    if (dropped > 0) {
      // From the first line start on, unless the tail is one line (then its end, as it is).
      const newline = tail.indexOf(0x0a);
      if (newline >= 0 && newline < tail.length - 1) {
        dropped += newline + 1;
        tail = tail.subarray(newline + 1);
      }
      this.sink.write(Buffer.from(`${this.headEndsLine ? '' : '\n'}${cutLine(dropped, this.limits)}`));
    }
    if (tail.length > 0) this.sink.write(tail);
    this.held.length = 0;
    this.first = 0;
    this.heldBytes = 0;
    this.ended = { droppedBytes: dropped };
    return this.ended;
  }
}
