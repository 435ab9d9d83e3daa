// HTTP: requests that open more connections than a keep-alive pool would — a new client per
// request, Connection: close, a server that closes or resets — and the setting that stops it.
import type { RunResult } from '../../result/model.js';
import { TIME_WAIT_SECONDS, timeWaitSide } from '../../result/figures.js';
import { capital, int } from '../../util/format.js';
import type { Change } from './types.js';
import { isHttp, sideWords } from './words.js';
import { serverRequestLimit, timeWaitLanding } from '../../scenario/close-semantics.js';
import { httpPoolConnections, httpPoolSource } from '../../scenario/work.js';

export interface HttpChurn {
  /** The setting to change, imperative. */
  change: string;
  /** What makes the run open new connections, lower case. */
  cause: string;
}

/**
 * Why an HTTP run opens more connections than its pool needs, from its client mode and server
 * policy, and what to change; null when both already keep connections (plain keep-alive). The
 * client's setting comes first: it is the one the caller of an HTTP API controls.
 */
export function httpChurn(result: RunResult): HttpChurn | null {
  if (!isHttp(result)) return null;
  const { client } = result.scenario.http;
  switch (client) {
    case 'agent-per-request':
      return {
        change: 'Reuse connections: share one keep-alive pool (an undici Agent or Pool) instead of a new client per request',
        cause: 'a new undici Client for every request has no connection to reuse',
      };
    case 'reset':
      return {
        change: 'Reuse connections: a keep-alive pool, without reset: true',
        cause: 'undici reset: true sends Connection: close and closes the connection after every response',
      };
    case 'connection-close':
      return {
        change: 'Reuse connections: a keep-alive pool, without Connection: close',
        cause: 'Connection: close on every request ends every connection after one response',
      };
    case 'raw':
      return {
        change: 'Reuse connections: more requests per connection (http.requestsPerConnection)',
        cause: `each raw connection carries ${int(result.scenario.http.requestsPerConnection)} request(s) and then ends (${timeWaitLanding(result.scenario).why})`,
      };
    case 'keepalive':
      break;
  }
  // The bundled server's own limit, as doctor and plan read it (a user's server has none we know).
  const limit = serverRequestLimit(result.scenario);
  if (limit === null) return null;
  if (result.scenario.http.policy === 'rst') {
    return {
      change: 'Let the server keep connections open (keep-alive) instead of resetting them',
      cause: 'the server resets every connection after its response',
    };
  }
  if (result.scenario.http.policy === 'close-after') {
    return {
      change: 'Let the server keep connections open (keep-alive) instead of closing them after each response',
      cause: `the server answers Connection: close after ${int(limit.requests)} request${limit.requests === 1 ? '' : 's'} and closes`,
    };
  }
  return {
    change: `Raise the server's requests per connection (${limit.setting}) or lift the limit`,
    cause: `the server closes every connection after ${int(limit.requests)} requests`,
  };
}

/** The HTTP form of "reuse connections", with the measured requests per connection; null when nothing churns. */
export function httpReuseChange(result: RunResult, basis: string): Change | null {
  const churn = httpChurn(result);
  if (churn === null) return null;
  const perConnection = result.summary.requests?.perConnection ?? null;
  const carried =
    perConnection === null
      ? ''
      : perConnection <= 1
        ? ' Every request opened its own connection (1 request per connection):'
        : ` Each connection carried only ${perConnection} requests:`;
  const pool = httpPoolConnections(result.scenario);
  return {
    rule: 'keep-alive',
    change: churn.change,
    why:
      `${basis}${carried} ${carried ? churn.cause : capital(churn.cause)}. ` +
      `A pool that keeps its connections needs at most ${int(pool)} of them (${httpPoolSource(result.scenario)}), ` +
      `so neither a new port nor a TIME_WAIT per request.`,
  };
}

/**
 * HTTP: nothing ran out, but the requests opened more connections than a keep-alive pool would
 * hold, each one a handshake and (unless reset) a TIME_WAIT. That is the pattern the HTTP
 * scenarios exist to show, and at a higher load it is what runs out first.
 */
export function httpChurnRule(result: RunResult): Change | null {
  const churn = httpChurn(result);
  const r = result.summary.requests;
  if (churn === null || r === undefined) return null;
  const pool = httpPoolConnections(result.scenario);
  const opened = result.summary.connections.established;
  if (opened <= pool) return null;
  const tw = result.summary.timeWait;
  const left = tw.peak > 0 ? `, and up to ${int(tw.peak)} of them sat in TIME_WAIT (${sideWords(timeWaitSide(tw))}) for ${TIME_WAIT_SECONDS} s` : '';
  return {
    rule: 'keep-alive',
    change: churn.change,
    why:
      `${int(r.total)} requests opened ${int(opened)} connections (${r.perConnection <= 1 ? 'one per request' : `${r.perConnection} requests each`})${left}: ` +
      `${churn.cause}. Nothing ran out at this load, but a pool that keeps its connections serves the same requests over at most ${int(pool)} ` +
      `(${httpPoolSource(result.scenario)}), without a handshake or a TIME_WAIT per request.`,
  };
}
