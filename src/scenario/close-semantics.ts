// Where TIME_WAIT lands, decided once from the scenario. Every consumer (the verdict, the
// terminal story, `doctor`, `plan --from`) asks this module instead of reading `close` or
// `http` itself, so they cannot disagree.
//
// The TCP rules (RFC 793 §3.5, and what Linux does):
// - the side that sends the first FIN (the active closer) ends in TIME_WAIT for 60 s;
// - an RST from either side ends both sockets without TIME_WAIT: the closer aborting
//   (SO_LINGER {1, 0}), or the passive side answering the FIN with an RST — the closer's
//   FIN_WAIT2 is reset (measured: close-matrix "server first, client rst" leaves none);
// - SO_LINGER {1, n > 0} ("linger") is a graceful close that may block: tcp_close() queues the
//   FIN behind the unsent data and, when the linger time runs out, close() returns and the
//   kernel still delivers it (measured in linger-timeout on 6.18): TIME_WAIT as for "fin";
// - when both close at once, each side sends a FIN: on loopback one nearly always arrives
//   first (the sides split the TIME_WAITs), and crossing FINs (CLOSING) leave one on each;
// - a server that never calls close() after reading the client's FIN ("never", a leak) sends
//   no FIN at all: its socket sits in CLOSE_WAIT holding a descriptor, and the client's closed
//   socket, now orphaned in FIN_WAIT2, waits tcp_fin_timeout for a FIN that never comes
//   (tcp_close → tcp_time_wait(sk, TCP_FIN_WAIT2, tcp_fin_time)): it holds its port like a
//   TIME_WAIT would, but no socket ever reaches TIME_WAIT.
// Under http `close` is not used: the server policy and the undici client mode decide who
// sends the first FIN (see the schema's `http` block).
import type { CLOSE_MODES, CLOSERS, SERVER_CLOSE_MODES, Scenario } from './schema.js';
import { endpoint } from '../util/format.js';

/** Who closes first: derived from the schema, so the server and the driver share it. */
export type CloseFirst = (typeof CLOSERS)[number];
/** How the client closes: derived from the schema. */
export type CloseMode = (typeof CLOSE_MODES)[number];
/** How the server closes: the client's modes and "never" (it leaks the socket). */
export type ServerCloseMode = (typeof SERVER_CLOSE_MODES)[number];

export type TimeWaitSide = 'client' | 'server' | 'both' | 'none';

export interface TimeWaitLanding {
  /** Where the close policy puts TIME_WAIT. */
  side: TimeWaitSide;
  /**
   * 'both' because two FINs race (HTTP `Connection: close` honoured by the server while undici
   * closes after the response too): either side, or both, is what the policy predicts.
   */
  race: boolean;
  /** The client ends (some of) its connections in TIME_WAIT, so each holds its port for 60 s. */
  clientHoldsPorts: boolean;
  /** The close that decides it, in words: "the client closes first with FIN". */
  why: string;
  /**
   * The side whose application never closes after reading EOF (close.server "never"): its
   * sockets stay in CLOSE_WAIT with their descriptors, the peer's in FIN_WAIT2; else null.
   */
  closeWait: 'server' | null;
}

/** How the first closer closes, as the scenario asks (both: the client's mode). */
export function firstCloserMode(close: Scenario['close']): ServerCloseMode {
  return close.first === 'server' ? close.server : close.client;
}

/** A mode that sends a FIN (possibly after waiting): fin, or linger with n > 0. */
export const sendsFin = (mode: ServerCloseMode): boolean => mode !== 'rst' && mode !== 'never';

function landing(side: TimeWaitSide, race: boolean, why: string): TimeWaitLanding {
  return { side, race, clientHoldsPorts: side === 'client' || side === 'both', why, closeWait: null };
}

function tcpLanding(close: Scenario['close']): TimeWaitLanding {
  const { first, client, server } = close;
  if (server === 'never') {
    // The schema allows it only with first: client. A client that resets leaves nothing to leak
    // (the RST ends the server's socket too, EPOLLHUP/ECONNRESET, and the server forgets it).
    if (first !== 'client') return landing('none', false, 'the server never closes and the client waits for it (the schema refuses this)');
    if (!sendsFin(client)) return landing('none', false, 'the client closes first with RST (the server, which never closes, has nothing left to leak)');
    // The orphaned FIN_WAIT2 holds the client's port for tcp_fin_timeout (60 s by default).
    return {
      side: 'none',
      race: false,
      clientHoldsPorts: true,
      why: `the client closes first with ${client === 'linger' ? 'SO_LINGER' : 'FIN'} and the server never closes (CLOSE_WAIT on the server, orphaned FIN_WAIT2 on the client)`,
      closeWait: 'server',
    };
  }
  if (first === 'both') {
    if (!sendsFin(client) || !sendsFin(server)) return landing('none', false, `both close at once and the ${!sendsFin(client) ? 'client' : 'server'} resets`);
    return landing('both', false, 'both close at once with FIN');
  }
  const closer = first === 'client' ? client : server;
  const other = first === 'client' ? server : client;
  const passive = first === 'client' ? 'server' : 'client';
  if (!sendsFin(closer)) return landing('none', false, `the ${first} closes first with RST`);
  if (!sendsFin(other)) return landing('none', false, `the ${first} closes first and the ${passive} answers with RST`);
  return landing(first, false, `the ${first} closes first with ${closer === 'linger' ? 'SO_LINGER' : 'FIN'}`);
}

/**
 * The server the run loaded is not the bundled one (server.command, or a target): `http.policy`
 * and `close.server` describe only the bundled server, so what this server does is its own.
 */
export const ownServer = (scenario: Scenario): boolean => scenario.server.command != null || scenario.target != null;

/**
 * The close the run's sockets follow: the scenario's, except that close.server describes only
 * the bundled server; a user's server (or a target) is taken to close with a FIN, what a server
 * that is not resetting on purpose sends. Every reader of the TCP close policy asks here.
 */
export function closeInForce(scenario: Scenario): Scenario['close'] {
  return ownServer(scenario) ? { ...scenario.close, server: 'fin' } : scenario.close;
}

/**
 * How many requests the bundled HTTP server answers on one connection before it ends that
 * connection itself, and the setting that says so: 1 under rst (it resets after each response),
 * `closeAfter` under close-after, `maxRequestsPerConnection` under keepalive (Node's
 * maxRequestsPerSocket, which server/http-server.ts sets for that policy only). Null when it
 * never ends one first (wait-client, keepalive without a limit) and for a server that is not the
 * bundled one: its limit is its own, and only the run can tell. `doctor` sizes a run's
 * connections with it, `plan --from` a steady state's churn, the raw client's landing below and
 * the verdict's churn rule the close it causes, so none of them can disagree.
 */
export function serverRequestLimit(scenario: Scenario): { requests: number; setting: string } | null {
  if (ownServer(scenario)) return null;
  const { policy, closeAfter, maxRequestsPerConnection } = scenario.http;
  if (policy === 'rst') return { requests: 1, setting: 'policy rst' };
  if (policy === 'close-after') return { requests: closeAfter, setting: `closeAfter ${closeAfter}` };
  if (policy === 'keepalive' && maxRequestsPerConnection > 0) return { requests: maxRequestsPerConnection, setting: `maxRequestsPerConnection ${maxRequestsPerConnection}` };
  return null;
}

/** The HTTP server side in words: the bundled server's policy, or whose server it was. */
export function httpServerWords(scenario: Scenario): string {
  if (scenario.target != null) return `the target's own server (${endpoint(scenario.target.host, scenario.target.port)})`;
  if (scenario.server.command != null) return 'your own server (server.command)';
  return `server policy "${scenario.http.policy}"`;
}

function httpLanding(scenario: Scenario): TimeWaitLanding {
  const { policy, client, maxRequestsPerConnection } = scenario.http;
  // Its close policy is its own: whether it closes first (Connection: close, an idle timeout, a
  // request limit) decides where TIME_WAIT lands, and only the run can tell.
  if (ownServer(scenario)) return landing('both', true, 'its own close policy decides whether it closes first');
  if (policy === 'rst') return landing('none', false, 'the server resets every connection (policy rst)');
  if (client === 'raw') {
    // The raw client waits for the server's FIN when the response says Connection: close
    // (engine/client-worker.ts): it asks for that with one request per connection (a server
    // that is not wait-client honours it, RFC 7230 §6.6), and the server's request limit says
    // it when reached first. Otherwise the client closes after its last request, before a
    // close-after server's limit (a review: requestsPerConnection 10 against closeAfter 100).
    const perConnection = scenario.http.requestsPerConnection;
    const limit = serverRequestLimit(scenario);
    if ((perConnection === 1 && policy !== 'wait-client') || (limit !== null && limit.requests <= perConnection)) {
      return landing('server', false, 'the server answers Connection: close and closes first; the raw client waits for its FIN');
    }
    return landing('client', false, `the raw client closes after ${perConnection} request(s) (policy ${policy})`);
  }
  if (policy === 'close-after') return landing('server', false, 'the server answers Connection: close and closes first (policy close-after)');
  // keepalive honours `Connection: close` (RFC 7230 §6.6) while undici closes after such a
  // response too: the FINs race, and TIME_WAIT may land on either side.
  if (policy === 'keepalive' && (client === 'reset' || client === 'connection-close')) {
    return landing('both', true, `the client asks for Connection: close (${client}) and both sides close`);
  }
  // A request limit makes the server answer `Connection: close` and close; undici closes
  // after that response as well: the same race.
  if (policy === 'keepalive' && maxRequestsPerConnection > 0) {
    return landing('both', true, 'the server closes after maxRequestsPerConnection and undici closes too');
  }
  // Otherwise the client closes: after each request, or when the pool is closed at the end.
  return landing('client', false, `the client closes (${client}) and the server never closes first (policy ${policy})`);
}

/**
 * The bundled server resets the connection on purpose (close.server rst when it closes first or
 * at once; HTTP policy rst): the client's ECONNRESET is then what the scenario shows
 * (rst-data-loss), not a broken setup. A user's server or a target follows its own policy.
 */
export function serverResetsByDesign(scenario: Scenario): boolean {
  if (ownServer(scenario)) return false;
  if (scenario.protocol === 'http') return scenario.http.policy === 'rst';
  const { first, server } = closeInForce(scenario);
  return server === 'rst' && (first === 'server' || first === 'both');
}

/** Where the scenario's close policy puts TIME_WAIT. */
export function timeWaitLanding(scenario: Scenario): TimeWaitLanding {
  if (scenario.protocol === 'http') return httpLanding(scenario);
  const landed = tcpLanding(closeInForce(scenario));
  return ownServer(scenario) ? { ...landed, why: `${landed.why} (your own server's close taken to be a FIN)` } : landed;
}

/**
 * Is a measured side what the policy predicts? A race predicts any side; only none would
 * surprise. So does 'both': two sides that close at once each send a FIN, the first to arrive
 * makes the other side the passive closer, and only FINs that cross leave TIME_WAIT on each (an
 * audit: 4,274 server, 355 client, 3 on both) — one side winning every race is no surprise.
 */
export function landedAsPredicted(predicted: TimeWaitLanding, measured: TimeWaitSide): boolean {
  if (predicted.race || predicted.side === 'both') return measured !== 'none';
  return measured === predicted.side;
}
