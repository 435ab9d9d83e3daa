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

/** feed() results besides a byte count. */
export const NEED_MORE = -1;
export const MALFORMED = -2;

const MAX_HEADER_BYTES = 64 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

export class ResponseReader {
  private readonly phase: Uint8Array;
  private readonly chunkState: Uint8Array;
  private readonly remaining: Float64Array;
  private readonly statusCode: Uint16Array;
  private readonly closeAfter: Uint8Array;
  private readonly partial = new Map<number, Buffer>();
  /** Why the last feed() answered MALFORMED. */
  problem = '';

  constructor(slots: number) {
    this.phase = new Uint8Array(slots);
    this.chunkState = new Uint8Array(slots);
    this.remaining = new Float64Array(slots);
    this.statusCode = new Uint16Array(slots);
    this.closeAfter = new Uint8Array(slots);
  }

  /** A new response is expected on `slot`. */
  reset(slot: number): void {
    this.phase[slot] = HEADERS;
    this.statusCode[slot] = 0;
    this.closeAfter[slot] = 0;
    this.partial.delete(slot);
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
    return this.phase[slot] === HEADERS && !this.partial.has(slot);
  }

  /**
   * Reads buf[start, end). Returns how many bytes the response took when it ended inside the
   * range (what follows belongs to the next one), NEED_MORE when all of it was taken and the
   * response goes on, MALFORMED when it is not HTTP/1.x.
   */
  feed(slot: number, buf: Buffer, start: number, end: number): number {
    let i = start;
    if (this.phase[slot] === HEADERS) {
      const held = this.partial.get(slot);
      let head: Buffer;
      let bodyStart: number;
      if (held === undefined) {
        const at = buf.indexOf(CRLFCRLF, start);
        if (at < 0 || at + 4 > end) {
          this.partial.set(slot, Buffer.from(buf.subarray(start, end)));
          return NEED_MORE;
        }
        head = buf.subarray(start, at);
        bodyStart = at + 4;
      } else {
        const joined = Buffer.concat([held, buf.subarray(start, end)]);
        const at = joined.indexOf(CRLFCRLF);
        if (at < 0) {
          if (joined.length > MAX_HEADER_BYTES) return this.malformed(`a header section over ${MAX_HEADER_BYTES} bytes`);
          this.partial.set(slot, joined);
          return NEED_MORE;
        }
        this.partial.delete(slot);
        head = joined.subarray(0, at);
        // The bytes of this read past the header section: the joined offset minus what was held.
        bodyStart = start + (at + 4 - held.length);
      }
      const parsed = this.parseHead(slot, head.toString('latin1'));
      if (parsed !== 0) return parsed;
      i = bodyStart;
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

  /** Status line and the three headers that decide framing; 0 when fine. */
  private parseHead(slot: number, head: string): number {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) return this.malformed(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`);
    const status = Number(m[2]);
    this.statusCode[slot] = status;
    let length = -1;
    let chunked = false;
    let connection = m[1] === '0' ? 'close' : '';
    for (let l = 1; l < lines.length; l++) {
      const line = lines[l]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.split(',').at(-1)!.trim() === 'chunked';
      else if (name === 'connection') connection = value;
    }
    this.closeAfter[slot] = /(^|,)\s*close\s*(,|$)/.test(connection) || (m[1] === '0' && !connection.includes('keep-alive')) ? 1 : 0;
    if ((status >= 100 && status < 200) || status === 204 || status === 304) {
      this.phase[slot] = DONE;
    } else if (chunked) {
      this.phase[slot] = BODY_CHUNKED;
      this.chunkState[slot] = CS_SIZE;
      this.remaining[slot] = 0;
    } else if (length >= 0) {
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
        case CS_SIZE: {
          const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
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
          s = CS_SIZE;
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
