// An incremental HTTP/1.1 response reader for the engine's raw HTTP client: it finds the end of
// each response (RFC 9112 §6.3: no body for 1xx/204/304, else Transfer-Encoding: chunked, else
// Content-Length, else the body runs until the server closes) and reports the status and
// whether the server said `Connection: close`. It does not keep the body: a load generator
// only needs to know where a response ends. State per connection lives in typed arrays indexed
// by the engine's slot; only a header section split over several reads is held in a Buffer.

const HEADERS = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;
const BODY_EOF = 3;
const DONE = 4;

// Chunked body sub-states (RFC 9112 §7.1).
const CS_SIZE = 0;
const CS_EXT = 1;
const CS_SIZE_LF = 2;
const CS_DATA = 3;
const CS_DATA_CR = 4;
const CS_DATA_LF = 5;
const CS_TRAILER_START = 6;
const CS_TRAILER_LINE = 7;
const CS_FINAL_LF = 8;
/** Before a chunk size's first digit: RFC 9112 §7.1 chunk-size = 1*HEXDIG, so a bare CRLF is no size. */
const CS_SIZE_FIRST = 9;

/** feed() results besides a byte count. */
export const NEED_MORE = -1;
export const MALFORMED = -2;

const MAX_HEADER_BYTES = 64 * 1024;

const CR = 13;
const LF = 10;
const COLON = 58;

/** The value of a hex digit's byte, or -1. */
function hexValue(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
}

/** A Content-Length value as RFC 9110 §8.6 writes it (1*DIGIT), else NaN: Number() alone takes "", "-5", "0x10" and "1e3". */
function lengthValue(value: string): number {
  if (value.length === 0) return NaN;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
  }
  return Number(value);
}

/** Where the header section's CRLFCRLF starts in buf[from, to), or -1. */
function headEnd(buf: Buffer, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (buf[i + 3] === LF && buf[i + 2] === CR && buf[i + 1] === LF && buf[i] === CR) return i;
  }
  return -1;
}

/** The start of the CRLF that ends the line at `from`, or `to`. */
function lineEnd(buf: Buffer, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) if (buf[i] === CR && buf[i + 1] === LF) return i;
  return to;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

const H_OTHER = 0;
const H_CONTENT_LENGTH = 1;
const H_TRANSFER_ENCODING = 2;
const H_CONNECTION = 3;
const HEADER_NAMES: ReadonlyArray<readonly [number, Buffer]> = [
  [H_CONTENT_LENGTH, Buffer.from('content-length')],
  [H_TRANSFER_ENCODING, Buffer.from('transfer-encoding')],
  [H_CONNECTION, Buffer.from('connection')],
];

/** What String.prototype.trim() removes, within latin1 (TAB, LF, VT, FF, CR, SP, NBSP). */
const isTrimmed = (c: number): boolean => (c >= 9 && c <= 13) || c === 32 || c === 160;

/** Which of the three framing headers the name buf[from, to) is, trimmed and ASCII case-folded. */
function nameOf(buf: Buffer, from: number, to: number): number {
  while (from < to && isTrimmed(buf[from]!)) from++;
  while (to > from && isTrimmed(buf[to - 1]!)) to--;
  for (const [id, name] of HEADER_NAMES) {
    if (to - from !== name.length) continue;
    let i = 0;
    while (i < name.length) {
      const c = buf[from + i]!;
      if ((c >= 65 && c <= 90 ? c + 32 : c) !== name[i]) break;
      i++;
    }
    if (i === name.length) return id;
  }
  return H_OTHER;
}

export class ResponseReader {
  private readonly phase: Uint8Array;
  private readonly chunkState: Uint8Array;
  private readonly remaining: Float64Array;
  private readonly statusCode: Uint16Array;
  private readonly closeAfter: Uint8Array;
  /** A header section split over reads, per slot (rare: a response's head fits one read). */
  private readonly partial: Array<Buffer | undefined>;
  /** Why the last feed() answered MALFORMED. */
  problem = '';

  constructor(slots: number) {
    this.phase = new Uint8Array(slots);
    this.chunkState = new Uint8Array(slots);
    this.remaining = new Float64Array(slots);
    this.statusCode = new Uint16Array(slots);
    this.closeAfter = new Uint8Array(slots);
    this.partial = new Array<Buffer | undefined>(slots).fill(undefined);
  }

  /** A new response is expected on `slot`. */
  reset(slot: number): void {
    this.phase[slot] = HEADERS;
    this.statusCode[slot] = 0;
    this.closeAfter[slot] = 0;
    this.partial[slot] = undefined;
  }

  status(slot: number): number {
    return this.statusCode[slot]!;
  }
  /** The server said `Connection: close` (or answered HTTP/1.0 without keep-alive). */
  closes(slot: number): boolean {
    return this.closeAfter[slot] === 1;
  }
  /** The body runs until the server closes: EOF ends the response. */
  endsAtEof(slot: number): boolean {
    return this.phase[slot] === BODY_EOF;
  }
  inHeaders(slot: number): boolean {
    return this.phase[slot] === HEADERS && this.partial[slot] === undefined;
  }

  /**
   * Reads buf[start, end). Returns how many bytes the response took when it ended inside the
   * range (what follows belongs to the next one), NEED_MORE when all of it was taken and the
   * response goes on, MALFORMED when it is not HTTP/1.x.
   */
  feed(slot: number, buf: Buffer, start: number, end: number): number {
    let i = start;
    // A loop, not an if: interim (1xx) responses come before the final one (RFC 9110 §15.2).
    while (this.phase[slot] === HEADERS) {
      const held = this.partial[slot];
      let parsed: number;
      if (held === undefined) {
        const at = headEnd(buf, i, end);
        if (at < 0) {
          if (i < end) this.partial[slot] = Buffer.from(buf.subarray(i, end));
          return NEED_MORE;
        }
        parsed = this.parseHead(slot, buf, i, at);
        i = at + 4;
      } else {
        const joined = Buffer.concat([held, buf.subarray(i, end)]);
        const at = headEnd(joined, 0, joined.length);
        if (at < 0) {
          if (joined.length > MAX_HEADER_BYTES) return this.malformed(`a header section over ${MAX_HEADER_BYTES} bytes`);
          this.partial[slot] = joined;
          return NEED_MORE;
        }
        this.partial[slot] = undefined;
        parsed = this.parseHead(slot, joined, 0, at);
        // The bytes of this read past the header section: the joined offset minus what was held.
        i = i + (at + 4 - held.length);
      }
      if (parsed !== 0) return parsed;
      if ((this.phase[slot] as number) === DONE) return i - start;
    }
    switch (this.phase[slot]) {
      case BODY_LENGTH: {
        const take = Math.min(this.remaining[slot]!, end - i);
        this.remaining[slot] = this.remaining[slot]! - take;
        i += take;
        if (this.remaining[slot] === 0) {
          this.phase[slot] = DONE;
          return i - start;
        }
        return NEED_MORE;
      }
      case BODY_CHUNKED:
        return this.chunked(slot, buf, i, end, start);
      default:
        return NEED_MORE; // BODY_EOF: everything until the server's FIN
    }
  }

  private malformed(why: string): number {
    this.problem = why;
    return MALFORMED;
  }

  /**
   * Status line and the three headers that decide framing, read from the bytes of the header
   * section buf[from, to) (without its final CRLFCRLF); 0 when fine. Lines end at CRLF. Only
   * the values of the three headers become strings: a load generator reads a head per request,
   * and splitting, trimming and lower-casing every line was most of its per-request JS.
   */
  private parseHead(slot: number, buf: Buffer, from: number, to: number): number {
    const statusEnd = lineEnd(buf, from, to);
    // "HTTP/1.x NNN": the version and the three status digits; the reason phrase is ignored.
    if (
      statusEnd - from < 12 ||
      buf[from] !== 72 || buf[from + 1] !== 84 || buf[from + 2] !== 84 || buf[from + 3] !== 80 || // HTTP
      buf[from + 4] !== 47 || buf[from + 5] !== 49 || buf[from + 6] !== 46 || // /1.
      (buf[from + 7] !== 48 && buf[from + 7] !== 49) || buf[from + 8] !== 32 ||
      !isDigit(buf[from + 9]!) || !isDigit(buf[from + 10]!) || !isDigit(buf[from + 11]!)
    ) {
      const line = buf.toString('latin1', from, statusEnd);
      return this.malformed(`not an HTTP/1.x status line: ${JSON.stringify(line.slice(0, 40))}`);
    }
    const http10 = buf[from + 7] === 48;
    const status = (buf[from + 9]! - 48) * 100 + (buf[from + 10]! - 48) * 10 + (buf[from + 11]! - 48);
    this.statusCode[slot] = status;
    let length = -1;
    let chunked = false;
    let connection = http10 ? 'close' : '';
    for (let line = statusEnd + 2; line < to; ) {
      const stop = lineEnd(buf, line, to);
      let colon = line;
      while (colon < stop && buf[colon] !== COLON) colon++;
      if (colon > line && colon < stop) {
        const header = nameOf(buf, line, colon);
        if (header !== H_OTHER) {
          const value = buf.toString('latin1', colon + 1, stop).trim().toLowerCase();
          // Two Content-Length fields that disagree leave the framing unknown (RFC 9112 §6.3): NaN.
          if (header === H_CONTENT_LENGTH) {
            const n = lengthValue(value);
            length = length === -1 || length === n ? n : NaN;
          }
          else if (header === H_TRANSFER_ENCODING) chunked = value.split(',').at(-1)!.trim() === 'chunked';
          else connection = value;
        }
      }
      line = stop + 2;
    }
    this.closeAfter[slot] = /(^|,)\s*close\s*(,|$)/.test(connection) || (http10 && !connection.includes('keep-alive')) ? 1 : 0;
    if (status >= 100 && status < 200 && status !== 101) {
      // An interim response (100 Continue, 103 Early Hints): "A client MUST be able to parse one
      // or more 1xx responses received prior to a final response, even if the client does not
      // expect one" (RFC 9110 §15.2). It has no body; the final response's head follows. Taken
      // for the final one, a 100 was counted as a failed request (HTTP_100) and the real
      // response's bytes were thrown away. (101 ends HTTP/1.1 on the connection: final.)
      this.statusCode[slot] = 0;
      this.closeAfter[slot] = 0;
      this.phase[slot] = HEADERS;
    } else if ((status >= 100 && status < 200) || status === 204 || status === 304) {
      this.phase[slot] = DONE;
    } else if (chunked) {
      this.phase[slot] = BODY_CHUNKED;
      this.chunkState[slot] = CS_SIZE_FIRST;
      this.remaining[slot] = 0;
    } else if (length !== -1) {
      // RFC 9112 §6.3: without Transfer-Encoding an invalid Content-Length is an unrecoverable
      // error, not a body that runs to the server's FIN.
      if (!Number.isSafeInteger(length)) return this.malformed('an invalid Content-Length');
      this.phase[slot] = length === 0 ? DONE : BODY_LENGTH;
      this.remaining[slot] = length;
    } else {
      this.phase[slot] = BODY_EOF;
    }
    return 0;
  }

  private chunked(slot: number, buf: Buffer, from: number, end: number, start: number): number {
    let s = this.chunkState[slot]!;
    let size = this.remaining[slot]!;
    let i = from;
    while (i < end) {
      if (s === CS_DATA) {
        const take = Math.min(size, end - i);
        size -= take;
        i += take;
        if (size === 0) s = CS_DATA_CR;
        continue;
      }
      const c = buf[i++]!;
      switch (s) {
        case CS_SIZE_FIRST:
          size = hexValue(c);
          if (size < 0) return this.malformed('a chunk without its size');
          s = CS_SIZE;
          break;
        case CS_SIZE: {
          const digit = hexValue(c);
          if (digit >= 0) size = size * 16 + digit;
          else if (c === 59 /* ; */ || c === 32 || c === 9) s = CS_EXT;
          else if (c === 13) s = CS_SIZE_LF;
          else return this.malformed('a bad chunk size');
          break;
        }
        case CS_EXT:
          if (c === 13) s = CS_SIZE_LF;
          break;
        case CS_SIZE_LF:
          if (c !== 10) return this.malformed('a chunk size line without LF');
          s = size === 0 ? CS_TRAILER_START : CS_DATA;
          break;
        case CS_DATA_CR:
          if (c !== 13) return this.malformed('chunk data longer than its size');
          s = CS_DATA_LF;
          break;
        case CS_DATA_LF:
          if (c !== 10) return this.malformed('chunk data without CRLF');
          s = CS_SIZE_FIRST;
          size = 0;
          break;
        case CS_TRAILER_START:
          s = c === 13 ? CS_FINAL_LF : CS_TRAILER_LINE;
          break;
        case CS_TRAILER_LINE:
          if (c === 10) s = CS_TRAILER_START;
          break;
        case CS_FINAL_LF:
          if (c !== 10) return this.malformed('a trailer section without its final CRLF');
          this.phase[slot] = DONE;
          return i - start;
      }
    }
    this.chunkState[slot] = s;
    this.remaining[slot] = size;
    return NEED_MORE;
  }
}
