// The raw HTTP client's response reader: where a response ends, however the bytes are split.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MALFORMED, NEED_MORE, ResponseReader } from '../../src/engine/http-response.js';

/** Feeds `text` cut at `cuts`, returns [bytes the response took (in total), status, closes]. */
function read(text: string, cuts: number[]): { end: number; status: number; closes: boolean; eof: boolean } {
  const bytes = Buffer.from(text, 'latin1');
  const r = new ResponseReader(4);
  r.reset(2);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    // The engine reads into one big buffer: copy each piece to the start of a larger one.
    const buf = Buffer.alloc(bytes.length + 16, 0x41);
    bytes.copy(buf, 0, from, cut);
    const got = r.feed(2, buf, 0, cut - from);
    assert.notEqual(got, MALFORMED, r.problem);
    if (got !== NEED_MORE) return { end: from + got, status: r.status(2), closes: r.closes(2), eof: false };
    from = cut;
  }
  return { end: -1, status: r.status(2), closes: r.closes(2), eof: r.endsAtEof(2) };
}

const CL = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhelloNEXT';
const CHUNKED = 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: y\r\n\r\nNEXT';

describe('ResponseReader', () => {
  it('ends a Content-Length body exactly, at every split of the bytes', () => {
    for (let cut = 1; cut < CL.length - 4; cut++) {
      assert.deepEqual(read(CL, [cut]), { end: CL.length - 4, status: 200, closes: true, eof: false }, `cut at ${cut}`);
    }
  });

  it('ends a chunked body after its trailers, at every split of the bytes', () => {
    for (let cut = 1; cut < CHUNKED.length - 4; cut++) {
      assert.deepEqual(read(CHUNKED, [cut]), { end: CHUNKED.length - 4, status: 201, closes: false, eof: false }, `cut at ${cut}`);
    }
    const everyByte = Array.from({ length: CHUNKED.length - 5 }, (_, i) => i + 1);
    assert.equal(read(CHUNKED, everyByte).end, CHUNKED.length - 4);
  });

  it('204 has no body; no length means the body runs to EOF; HTTP/1.0 closes by default', () => {
    assert.equal(read('HTTP/1.1 204 No Content\r\n\r\nNEXT', []).end, 'HTTP/1.1 204 No Content\r\n\r\n'.length);
    const eof = read('HTTP/1.1 200 OK\r\n\r\nsome body', []);
    assert.equal(eof.end, -1);
    assert.equal(eof.eof, true);
    assert.equal(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', []).closes, true);
  });

  it('refuses what is not HTTP/1.x', () => {
    const r = new ResponseReader(1);
    r.reset(0);
    const buf = Buffer.from('SSH-2.0-OpenSSH\r\n\r\n');
    assert.equal(r.feed(0, buf, 0, buf.length), MALFORMED);
    assert.match(r.problem, /not an HTTP\/1\.x status line/);
  });
});
