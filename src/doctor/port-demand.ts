// How many connections a scenario opens, where they leave TIME_WAIT, and whether the host's
// port range holds them: the load the port and bucket checks judge (scenario-checks.ts), kept
// apart from the checks' list because it is the one model of a run's port demand doctor has.
import { endpoint, int } from '../util/format.js';
import type { Scenario } from '../scenario/index.js';
import { serverRequestLimit, timeWaitLanding } from '../scenario/close-semantics.js';
import { portPools } from '../scenario/port-pools.js';
import { check, type Check } from './check.js';
import type { Facts } from './facts.js';
import { hostRange } from './machine-checks.js';
import { reuseDelayText, twReuseApplies, twReuseSettings } from '../states/tw-reuse.js';
import type { TwReuseSettings } from '../states/types.js';
import { httpPoolConnections } from '../scenario/work.js';
import { offeredPeak } from '../plan/model.js';

/** Client sockets open at once, at most (scenario-checks.ts's clientSockets), and what bounds them in words. */
export interface ClientSockets {
  inFlight: number;
  because: string;
}

export interface TimeWaitLoad {
  /** TCP connections the run opens; under http an estimate from the client mode and server policy. */
  connections: number;
  /** The client ends in TIME_WAIT, so every connection spends a client port for 60 s. */
  clientKeepsPorts: boolean;
  /** Some side ends in TIME_WAIT, so the run's count counts against tcp_max_tw_buckets. */
  timeWait: boolean;
  /** The load in words: "2,000 connections with the client closing first". */
  what: string;
  /** How to make it smaller: "connections" or "http.requests". */
  knob: string;
}

/**
 * How many TCP connections an HTTP run needs for its requests. `connections` is not used
 * under http; the client mode and the server's request limit (close-semantics.ts) decide how
 * many requests share a connection: one each when the client ends every connection after its
 * response, the raw client's requestsPerConnection or the server's limit, whichever is lower,
 * else the pool's own connections, replaced each time the server's limit ends one.
 */
export function httpConnections(s: Scenario): { connections: number; why: string } {
  const { requests, client } = s.http;
  const limit = serverRequestLimit(s);
  const per = (n: number, why: string): { connections: number; why: string } => ({ connections: Math.ceil(requests / n), why: n === 1 ? `one per request (${why})` : `one per ${int(n)} requests (${why})` });
  if (client === 'raw') {
    // requestsPerConnection each, unless the server ends a connection sooner.
    const own = s.http.requestsPerConnection;
    return limit !== null && limit.requests < own ? per(limit.requests, limit.setting) : per(own, 'client raw');
  }
  if (client !== 'keepalive') return per(1, `client ${client}`);
  // undici opens up to its pool's connections whatever the server's limit.
  const pool = Math.min(httpPoolConnections(s), requests);
  if (limit !== null) {
    const limited = per(limit.requests, limit.setting);
    // The pool wins when each of its connections serves fewer requests than the limit.
    return limited.connections >= pool ? limited : { connections: pool, why: `the keep-alive pool (each serves fewer than ${limit.setting})` };
  }
  return { connections: pool, why: 'the keep-alive pool' };
}

/** How many connections a run opens and where they leave TIME_WAIT, for the port and bucket checks. */
export function timeWaitLoad(scenario: Scenario): TimeWaitLoad {
  const landing = timeWaitLanding(scenario);
  // A race (Connection: close against a keep-alive server) may leave some of the client's
  // ports held, so the port check counts them (it only warns).
  const where = landing.side === 'none' ? 'no TIME_WAIT' : landing.race ? 'TIME_WAIT on either side' : landing.side === 'both' ? 'TIME_WAIT on both sides' : `TIME_WAIT on the ${landing.side}`;
  if (scenario.protocol === 'http') {
    const { connections, why } = httpConnections(scenario);
    return {
      connections,
      clientKeepsPorts: landing.clientHoldsPorts,
      timeWait: landing.side !== 'none',
      what: `${int(scenario.http.requests)} HTTP requests on about ${int(connections)} connections, ${why}, with ${where},`,
      knob: 'http.requests',
    };
  }
  return {
    connections: scenario.connections,
    clientKeepsPorts: landing.clientHoldsPorts,
    timeWait: landing.side !== 'none',
    what: `${int(scenario.connections)} connections, ${landing.why}, with ${where},`,
    knob: 'connections',
  };
}

/** The host's tcp_tw_reuse, tcp_timestamps and tcp_tw_reuse_delay, as tw-reuse.ts reads them. */
function hostTwReuse(facts: Facts): TwReuseSettings {
  return twReuseSettings({
    reuse: facts.sysctls['net.ipv4.tcp_tw_reuse'] ?? null,
    timestamps: facts.sysctls['net.ipv4.tcp_timestamps'] ?? null,
    delay: facts.sysctls['net.ipv4.tcp_tw_reuse_delay'] ?? null,
  });
}

/** The most connections a second the run opens, over its rate and ramp (null: a closed loop, unknown). */
function peakConnectionRate(scenario: Scenario, load: TimeWaitLoad): number | null {
  const peak = offeredPeak(scenario);
  if (peak === null) return null;
  // Under http the rate is in requests: the connections they need, in proportion.
  return scenario.protocol === 'http' ? (peak * load.connections) / Math.max(1, scenario.http.requests) : peak;
}

/**
 * On the host: will the run run out of ports towards its destination? A closed loop's connections
 * in flight (`inFlight`, null for an open loop) hold a port each, whoever closes first; and when
 * the client keeps a port per connection (TIME_WAIT on its side), so does every connection for
 * 60 s. Each destination (server.ports of them, round-robin) has the host's usable ports per
 * source address; a client that binds before connect() (without IP_BIND_ADDRESS_NO_PORT) holds
 * each port for every destination and its bind(0) conflicts with TIME_WAIT
 * (inet_csk_find_open_port), so it shares one range. Otherwise the host's tcp_tw_reuse
 * may let connect() take over a TIME_WAIT older than the reuse delay (tcp_twsk_unique: 1 for any
 * destination, 2 for loopback, timestamps on): then only the connections opened within that delay
 * need a port each.
 */
export function hostPortsCheck(scenario: Scenario, facts: Facts, load: TimeWaitLoad, inFlight: ClientSockets | null): Check | null {
  const range = hostRange(facts);
  if (range === null) return null;
  const dest = scenario.target ?? { host: scenario.server.host, port: scenario.server.port };
  const where = endpoint(dest.host, dest.port);
  // One answer for how the connections share the ports (scenario/port-pools.ts): HTTP one
  // destination, bind() before connect() or named ports one pool for all of them.
  const pools = portPools(scenario);
  const bound = pools.bindBeforeConnect;
  const destinations = bound ? 1 : pools.destinations;
  const usable = range.usable * Math.max(1, scenario.client.sourceAddresses.length);
  const toWhat = destinations > 1 ? `each of the ${destinations} server ports from ${where}` : where;
  // Whoever closes first, and whatever tcp_tw_reuse allows: a socket still open holds its port
  // (tcp_twsk_unique takes over TIME_WAIT only), so the connections in flight at once need a port
  // each (an audit: 64 in flight over the host's 11 ports were called "ok" under tcp_tw_reuse=1,
  // and 213 of 300 connects got EADDRNOTAVAIL). Ports the client names itself are not the range's.
  // Null for an open loop: maxInFlight only caps it, the rate times a connection's life decides.
  const atOnce = inFlight === null ? 0 : Math.ceil(inFlight.inFlight / destinations);
  if (inFlight !== null && pools.localPorts === null && atOnce > usable) {
    const reserved = range.reserved > 0 ? ` (${int(range.reserved)} of its range reserved)` : '';
    const elsewhere = scenario.target !== null ? '' : ', or run it in a namespace';
    return check(
      'host-ports',
      'host port range',
      'warn',
      `${int(atOnce)} connections in flight at once (${inFlight.because}) need a port each to ${toWhat}, but the host has ` +
        `${usable === 0 ? 'no usable port' : `${int(usable)}`}${reserved}: connect() gets EADDRNOTAVAIL for the rest, whatever tcp_tw_reuse says (it takes over TIME_WAIT, never an open connection)`,
      usable === 0
        ? `take ports out of net.ipv4.ip_local_reserved_ports or widen net.ipv4.ip_local_port_range${elsewhere}`
        : `keep at most ${int(usable * destinations)} connections in flight (concurrency and stages, or http.connections)${elsewhere}`,
    );
  }
  if (!load.clientKeepsPorts) return null;
  const perDestination = Math.ceil(load.connections / destinations);
  if (perDestination <= usable) return null;
  const need = `${load.what} need ${int(perDestination)} ports to ${toWhat}`;
  const reuse = hostTwReuse(facts);
  if (!bound && twReuseApplies(reuse, dest.host)) {
    const rate = peakConnectionRate(scenario, load);
    const delay = reuseDelayText(reuse);
    const inDelay = rate === null ? null : ((rate / destinations) * reuse.delayMs) / 1000;
    const rule = `the host has tcp_tw_reuse=${reuse.mode}, so connect() takes over a TIME_WAIT ${reuse.mode === 2 ? 'to a loopback destination ' : ''}once it is older than ${delay}`;
    if (inDelay !== null && inDelay > usable) {
      return check(
        'host-ports',
        'host port range',
        'warn',
        `${need}, more than the host's ${int(usable)}; ${rule}, but at up to ${int(rate!)}/s more than ${int(usable)} are opened within that delay: connect() gets EADDRNOTAVAIL while it lasts`,
        `lower rate (and stages) below ${int(Math.floor((usable * destinations * 1000) / reuse.delayMs))}/s${scenario.target !== null ? '' : ', or run it in a namespace'}`,
      );
    }
    return check(
      'host-ports',
      'host port range',
      'ok',
      `${need}, more than the host's ${int(usable)}, but ${rule}: ports run out only if more than ${int(usable)} connections open within that delay` +
        (rate === null ? ' (a closed loop: its rate is not known before it runs)' : ` (at up to ${int(rate)}/s, ${int(Math.ceil(inDelay!))} do)`),
    );
  }
  // Under http the request count is the knob, and it shrinks the connections only in proportion.
  const limit = Math.floor((usable * destinations * (scenario.protocol === 'http' ? scenario.http.requests : load.connections)) / load.connections);
  const noReuse = bound
    ? ' (it binds before connect(): each port is held for every destination, and tcp_tw_reuse does not help bind())'
    : reuse.mode === null || reuse.timestamps === null
      ? ''
      : ` (the host's tcp_tw_reuse=${reuse.mode}${reuse.timestamps ? '' : ' with tcp_timestamps=0'} does not reuse TIME_WAIT towards it)`;
  return check(
    'host-ports',
    'host port range',
    'warn',
    `${need}, but the host has ${int(usable)}${noReuse}: this run will exhaust them for 60 s and ` +
      (bound
        ? 'meanwhile every bind(0) on this host gets EADDRINUSE and every unbound connect(), to any destination, EADDRNOTAVAIL'
        : 'anything else on this host connecting to that address and port gets EADDRNOTAVAIL meanwhile'),
    `lower ${load.knob} to at most ${int(limit)} (--set ${load.knob}=…)${scenario.protocol === 'http' ? ', reuse connections (http.client: keepalive)' : ''}${bound ? ', set client.bindAddressNoPort: true' : ''}${scenario.target !== null ? '' : ' or run it in a namespace'}`,
  );
}
