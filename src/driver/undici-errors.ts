// undici wraps socket failures in its own errors (UND_ERR_SOCKET, UND_ERR_CONNECT_TIMEOUT, …).
// A storm is diagnosed by the kernel's errno — EADDRNOTAVAIL means the ephemeral ports ran out,
// ECONNREFUSED that the listener's backlog or the listener itself is gone — so each failure is
// reported under the errno underneath when there is one, and under undici's code only when
// undici itself decided (a timeout it enforces, a client it closed).
import { errors } from 'undici';

/**
 * The code of undici's InformationalError: not a failure but how undici ends a connection it is
 * done with (`reset`, `Connection: close`, an idle timeout), destroying the socket with it.
 */
export const INFORMATIONAL = 'UND_ERR_INFO';

/** What a failed request is counted as. */
export interface MappedError {
  /** An errno name (EADDRNOTAVAIL), ETIMEDOUT, PEER_CLOSED_EARLY, HTTP_<status>, HTTP_MALFORMED, or undici's own code. */
  code: string;
  /** True when the failure is about making the connection, not about the request on it. */
  connect: boolean;
}

/** errno names as Node spells them on system errors: E + capitals (ECONNRESET, EADDRNOTAVAIL). */
const ERRNO = /^E[A-Z0-9]+$/;

interface ErrorLike {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The first errno found on the error, its `cause` chain, or an AggregateError's members. */
export function findErrno(err: unknown, depth = 0): { code: string; syscall?: string } | undefined {
  if (err === null || typeof err !== 'object' || depth > 8) return undefined;
  const e = err as ErrorLike;
  if (typeof e.code === 'string' && ERRNO.test(e.code)) {
    return typeof e.syscall === 'string' ? { code: e.code, syscall: e.syscall } : { code: e.code };
  }
  const fromCause = findErrno(e.cause, depth + 1);
  if (fromCause) return fromCause;
  // Node's happy-eyeballs connect (autoSelectFamily) fails with an AggregateError of attempts.
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = findErrno(inner, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Maps an error thrown by an undici request. `fromConnector` says the connector (our wrapper
 * around undici's) saw this very error while connecting.
 */
export function mapUndiciError(err: unknown, fromConnector = false): MappedError {
  const e = (err !== null && typeof err === 'object' ? err : {}) as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const errno = findErrno(err);
  if (errno) return { code: errno.code, connect: fromConnector || errno.syscall === 'connect' };
  // A response that is not HTTP/1.1 (a server.command that speaks something else, a broken
  // chunk): the raw client's name for it (src/engine/http-response.ts), so both clients count
  // it alike. undici gives most of these no code at all ("Expected HTTP/"), and they were
  // counted as UNKNOWN.
  if (err instanceof errors.HTTPParserError) return { code: 'HTTP_MALFORMED', connect: false };
  switch (code) {
    // undici's own connect timer fired: the same thing the kernel calls ETIMEDOUT when SYN
    // retries run out, so TCP and HTTP runs count it under one name.
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { code: 'ETIMEDOUT', connect: true };
    case 'UND_ERR_SOCKET': {
      // "bad response" / "bad upgrade": undici's parser refused the response itself (a 100
      // Continue it did not ask for, a 101 to a plain GET; undici 7 lib/dispatcher/client-h1.js)
      // and closed the connection — the client closed first, so PEER_CLOSED_EARLY would blame a
      // server that never closed (an audit: 200 PEER_CLOSED_EARLY beside 200 TIME_WAIT on the client).
      if (e.message === 'bad response' || e.message === 'bad upgrade') return { code: 'HTTP_MALFORMED', connect: false };
      // "other side closed": the peer's FIN came before the whole response (the TCP driver's
      // PEER_CLOSED_EARLY). Any socket error with an errno was caught above.
      return { code: 'PEER_CLOSED_EARLY', connect: fromConnector };
    }
    case undefined:
      return { code: 'UNKNOWN', connect: fromConnector };
    default:
      return { code, connect: fromConnector };
  }
}

/** A response whose status is not 2xx counts as a failed request under HTTP_<status>. */
export function statusCode(status: number): string {
  return `HTTP_${status}`;
}
