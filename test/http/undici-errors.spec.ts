// The errno mapping: a storm must be reported by the kernel's name for it (EADDRNOTAVAIL), not
// by undici's wrapper (UND_ERR_SOCKET), and undici's own decisions keep a recognisable name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errors } from 'undici';
import { findErrno, mapUndiciError, statusCode } from '../../src/driver/undici-errors.js';

function sysError(code: string, syscall = 'connect'): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code} 127.0.0.1:7000`);
  err.code = code;
  err.syscall = syscall;
  return err;
}

test('a connect errno passes through under its own name, as a connect failure', () => {
  assert.deepEqual(mapUndiciError(sysError('EADDRNOTAVAIL')), { code: 'EADDRNOTAVAIL', connect: true });
  assert.deepEqual(mapUndiciError(sysError('ECONNREFUSED')), { code: 'ECONNREFUSED', connect: true });
});

test('an errno on an established socket is not a connect failure unless the connector saw it', () => {
  assert.deepEqual(mapUndiciError(sysError('ECONNRESET', 'read')), { code: 'ECONNRESET', connect: false });
  assert.deepEqual(mapUndiciError(sysError('EPIPE', 'write'), true), { code: 'EPIPE', connect: true });
});

test('UND_ERR_SOCKET wrapping an errno (cause) reports the errno', () => {
  const wrapped = new errors.SocketError('other side closed');
  (wrapped as Error).cause = sysError('EADDRNOTAVAIL');
  assert.equal(wrapped.code, 'UND_ERR_SOCKET');
  assert.deepEqual(mapUndiciError(wrapped), { code: 'EADDRNOTAVAIL', connect: true });
});

test('UND_ERR_SOCKET without an errno is the peer closing early (FIN before the response)', () => {
  assert.deepEqual(mapUndiciError(new errors.SocketError('other side closed')), { code: 'PEER_CLOSED_EARLY', connect: false });
});

test('a response undici refuses (an unasked 100 Continue or 101) is HTTP_MALFORMED: undici closed, not the peer', () => {
  assert.deepEqual(mapUndiciError(new errors.SocketError('bad response')), { code: 'HTTP_MALFORMED', connect: false });
  assert.deepEqual(mapUndiciError(new errors.SocketError('bad upgrade')), { code: 'HTTP_MALFORMED', connect: false });
});

test("undici's connect timeout counts as ETIMEDOUT, the kernel's name for the same thing", () => {
  assert.deepEqual(mapUndiciError(new errors.ConnectTimeoutError()), { code: 'ETIMEDOUT', connect: true });
});

test('undici decisions without an errno keep undici codes', () => {
  assert.deepEqual(mapUndiciError(new errors.HeadersTimeoutError()), { code: 'UND_ERR_HEADERS_TIMEOUT', connect: false });
  assert.deepEqual(mapUndiciError(new errors.BodyTimeoutError()), { code: 'UND_ERR_BODY_TIMEOUT', connect: false });
  assert.deepEqual(mapUndiciError(new errors.ClientDestroyedError()), { code: 'UND_ERR_DESTROYED', connect: false });
  assert.deepEqual(mapUndiciError(new Error('no code')), { code: 'UNKNOWN', connect: false });
  assert.deepEqual(mapUndiciError('a string'), { code: 'UNKNOWN', connect: false });
});

test('a response that is not HTTP counts as HTTP_MALFORMED, as the raw client counts it, not UNKNOWN', () => {
  // What undici throws for a server that answers in another protocol: no code at all.
  const notHttp = new errors.HTTPParserError('Response does not match the HTTP/1.1 protocol (Expected HTTP/, RTSP/ or ICE/)');
  assert.equal(notHttp.code, undefined);
  assert.deepEqual(mapUndiciError(notHttp), { code: 'HTTP_MALFORMED', connect: false });
  assert.deepEqual(mapUndiciError(Object.assign(new errors.HTTPParserError('Invalid character in chunk size'), { code: 'HPE_INVALID_CHUNK_SIZE' })), { code: 'HTTP_MALFORMED', connect: false });
});

test('an AggregateError (happy-eyeballs connect) reports its first errno', () => {
  const agg = new AggregateError([new Error('x'), sysError('ENETUNREACH')], 'all failed');
  assert.deepEqual(findErrno(agg), { code: 'ENETUNREACH', syscall: 'connect' });
  assert.deepEqual(mapUndiciError(agg), { code: 'ENETUNREACH', connect: true });
});

test('cause chains are followed but bounded', () => {
  const loop: { cause?: unknown; code?: string } = {};
  loop.cause = loop;
  assert.equal(findErrno(loop), undefined);
});

test('non-2xx statuses get an errno-like name that thresholds accept', () => {
  assert.equal(statusCode(503), 'HTTP_503');
  assert.match(statusCode(404), /^[A-Z][A-Z0-9_]*$/);
});
