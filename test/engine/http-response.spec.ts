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

  it('reads past interim 1xx responses to the final one, at every split of the bytes (RFC 9110 §15.2)', () => {
    const head = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n';
    const text = `${head}${CL}`;
    for (let cut = 1; cut < text.length - 4; cut++) {
      assert.deepEqual(read(text, [cut]), { end: text.length - 4, status: 200, closes: true, eof: false }, `cut at ${cut}`);
    }
    // 101 ends HTTP/1.1 on the connection: it is the response, not an interim one.
    assert.equal(read('HTTP/1.1 101 Switching Protocols\r\n\r\nNEXT', []).status, 101);
  });

  it('refuses what is not HTTP/1.x', () => {
    const r = new ResponseReader(1);
    r.reset(0);
    const buf = Buffer.from('SSH-2.0-OpenSSH\r\n\r\n');
    assert.equal(r.feed(0, buf, 0, buf.length), MALFORMED);
    assert.match(r.problem, /not an HTTP\/1\.x status line/);
  });

  it('refuses a Content-Length that is not 1*DIGIT, two that disagree, and a chunk with no size (RFC 9112 §6.3, §7.1)', () => {
    const fed = (text: string): { got: number; problem: string } => {
      const r = new ResponseReader(1);
      r.reset(0);
      const bytes = Buffer.from(text, 'latin1');
      return { got: r.feed(0, bytes, 0, bytes.length), problem: r.problem };
    };
    // Number() read these as 0, a body to EOF, 16 and 1,000 bytes.
    for (const value of ['', '-5', '0x10', '1e3', '+5', '5 5']) {
      const { got, problem } = fed(`HTTP/1.1 200 OK\r\nContent-Length: ${value}\r\n\r\n`);
      assert.equal(got, MALFORMED, JSON.stringify(value));
      assert.equal(problem, 'an invalid Content-Length');
    }
    assert.equal(fed('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc').got, MALFORMED);
    // The same length twice frames the body as one would.
    assert.equal(fed('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nabNEXT').got, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab'.length);
    // Transfer-Encoding overrides Content-Length (§6.3), even a broken one.
    assert.notEqual(fed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n0\r\n\r\n').got, MALFORMED);
    // A bare CRLF where a chunk size goes was read as the last chunk (size 0).
    for (const body of ['\r\n\r\n', '3\r\nabc\r\n\r\n\r\n', ';ext\r\n\r\n']) {
      const { got, problem } = fed(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
      assert.equal(got, MALFORMED, JSON.stringify(body));
      assert.equal(problem, 'a chunk without its size');
    }
  });

  it('reads the framing headers as the string-based reading it replaced does, for odd heads too', () => {
    // The previous reader: split the head on CRLF, trim and lower-case each name and value.
    const reference = (head: string): { status: number; closes: boolean; framing: string } | 'malformed' => {
      const lines = head.split('\r\n');
      const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
      if (!m) return 'malformed';
      let length = -1;
      let chunked = false;
      let connection = m[1] === '0' ? 'close' : '';
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim().toLowerCase();
        // RFC 9110 §8.6: 1*DIGIT; two fields that disagree are no length at all.
        if (name === 'content-length') {
          const n = /^\d+$/.test(value) ? Number(value) : NaN;
          length = length === -1 || length === n ? n : NaN;
        }
        else if (name === 'transfer-encoding') chunked = value.split(',').at(-1)!.trim() === 'chunked';
        else if (name === 'connection') connection = value;
      }
      const status = Number(m[2]);
      const closes = /(^|,)\s*close\s*(,|$)/.test(connection) || (m[1] === '0' && !connection.includes('keep-alive'));
      const framing =
        (status >= 100 && status < 200) || status === 204 || status === 304
          ? 'none'
          : chunked
            ? 'chunked'
            : length !== -1
              ? Number.isSafeInteger(length) ? `length ${length}` : 'malformed'
              : 'eof';
      return framing === 'malformed' ? 'malformed' : { status, closes, framing };
    };
    const statusLines = ['HTTP/1.1 200 OK', 'HTTP/1.0 200 OK', 'HTTP/1.1 204 No Content', 'HTTP/1.1 304', 'HTTP/1.1 101 Switching', 'HTTP/1.2 200 OK', 'HTTP/1.1 20 OK', 'http/1.1 200 OK', 'HTTP/1.1 2000'];
    const headers = [
      'Content-Length: 5', 'content-length:0', 'CONTENT-LENGTH :  12 ', ' Content-Length: 3', 'Content-Length:', 'Content-Length: 0x10', 'Content-Length: 1e3', 'Content-Length: abc', 'Content-Length: 99999999999999999999', 'Content-Length: -5', 'Content-Length: 5, 5', 'Content-Length: 7',
      'Transfer-Encoding: chunked', 'transfer-encoding: gzip, chunked', 'Transfer-Encoding: chunked, gzip', 'Transfer-Encoding:\u00a0chunked\u00a0',
      'Connection: close', 'connection: Keep-Alive', 'Connection: upgrade, close', 'Connection: closed', '\u00a0Connection\u00a0: close', 'Connection\t:\tclose',
      'Server: nginx', ': empty name', 'no colon at all', 'X-Weird: a:b:c', 'Cönnection: close', 'Content-Length\u00c0: 4', 'Date: Tue, 01 Dec 2026 18:00:00 GMT',
    ];
    let seed = 12345;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 3000; round++) {
      const lines = [statusLines[random(statusLines.length)]!];
      for (let h = random(6); h > 0; h--) lines.push(headers[random(headers.length)]!);
      const head = lines.join('\r\n');
      const want = reference(head);
      const text = `${head}\r\n\r\n`;
      const bytes = Buffer.from(text, 'latin1');
      const r = new ResponseReader(1);
      r.reset(0);
      const got = r.feed(0, bytes, 0, bytes.length);
      if (want === 'malformed') {
        assert.equal(got, MALFORMED, JSON.stringify(head));
        continue;
      }
      assert.notEqual(got, MALFORMED, `${JSON.stringify(head)}: ${r.problem}`);
      assert.equal(r.status(0), want.status, JSON.stringify(head));
      assert.equal(r.closes(0), want.closes, JSON.stringify(head));
      if (want.framing === 'none' || want.framing === 'length 0') {
        assert.equal(got, bytes.length, JSON.stringify(head));
        continue;
      }
      assert.equal(got, NEED_MORE, JSON.stringify(head));
      assert.equal(r.endsAtEof(0), want.framing === 'eof', JSON.stringify(head));
      // The body tells chunked (a "z" is no chunk size) from a length (n bytes end it).
      const n = want.framing.startsWith('length ') ? Math.min(Number(want.framing.slice(7)), 1000) : 1;
      const body = Buffer.alloc(n, 'z');
      const fed = r.feed(0, body, 0, body.length);
      if (want.framing === 'chunked') assert.equal(fed, MALFORMED, JSON.stringify(head));
      else if (want.framing === 'eof' || Number(want.framing.slice(7)) > 1000) assert.equal(fed, NEED_MORE, JSON.stringify(head));
      else assert.equal(fed, n, JSON.stringify(head));
    }
  });
});
