// How connect() walks the local port range (__inet_hash_connect), as the capacity model needs
// it: what the walk costs once a pool is half held (the connect() cliff, model.ts's header), and
// how many ports a run of connects visits when each comes back free at close (the server closing
// first), which is how many 4-tuples the server holds in TIME_WAIT. bind(addr, 0) before
// connect() picks its port another way (inet_csk_find_open_port), also here: from a random port
// each time, so the ports it lands on are a coupon collector's count.
import type { ConnectScanOutput, PlanInputs } from './types.js';

/** The walk only matters where ports stay held by TIME_WAIT on the client and nothing takes them over. */
export function connectScanOf(p: PlanInputs, totalPerSec: number | null, reuseInForce: boolean, usablePorts: number, newConnPerSec: number | null, parityWalk: boolean): ConnectScanOutput | null {
  const c = p.connectScan;
  if (!c || totalPerSec === null || reuseInForce || p.closer !== 'client' || c.threads <= 0) return null;
  // bind() before connect() picks ports in inet_csk_find_open_port, a different walk, and a
  // per-socket range is walked in steps of 1 with no parity cliff: neither is modelled.
  if (!parityWalk) return null;
  const portsWalked = Math.ceil(usablePorts / 2);
  const connectExtraUs = Math.max(0, c.perPortUs) * portsWalked;
  const scanLimitedPerSec = (c.threads * 1e6) / Math.max(1e-3, c.baseConnectionUs + connectExtraUs);
  const halfRangePerSec = totalPerSec / 2;
  const sustainablePerSec = scanLimitedPerSec >= totalPerSec ? totalPerSec : Math.max(halfRangePerSec, scanLimitedPerSec);
  const pools = p.destinations;
  const cliffAfterSec =
    newConnPerSec !== null && newConnPerSec > halfRangePerSec ? (p.sources * usablePorts) / 2 / (newConnPerSec / pools) : null;
  return { portsWalked, connectExtraUs, scanLimitedPerSec, halfRangePerSec, sustainablePerSec, cliffAfterSec };
}

/** Mean ports of its walk a connect()'s start moves on when the first port it tried was free: 1 + get_random_u32_below(8). */
const CONNECT_START_STEP = 4.5;

/**
 * Distinct ports `n` connect()s visit among the `slots` of one walk when every port is free again
 * at close (the server closing first). connect() takes the first free port from its start, and the
 * start moves on 1 to 8 ports at random each time (__inet_hash_connect: table_perturb +=
 * max(i, get_random_u32_below(8) * step) + step, i = 0 when the first port was free; Linux
 * 5.18+), so a lap of the walk lands on about one port in 4.5, and once it wraps it meets ports it
 * used before, each missed by a lap with odds 1 − 1/4.5. Measured (server-closes-first, 14,116
 * even ports of 28,232): 5,000 / 10,000 / 20,000 connections visited 4,585 / 7,730 / 11,248
 * ports, where this gives 4,659 / 7,781 / 11,273 (and the plan used to say 5,000 / 10,000 / 14,116).
 */
export function connectPortsVisited(n: number, slots: number): number {
  if (n <= 0 || slots <= 0) return 0;
  const laps = (n * CONNECT_START_STEP) / slots;
  return laps <= 1 ? Math.min(n, slots) : slots * (1 - (1 - 1 / CONNECT_START_STEP) ** laps);
}

/**
 * Distinct ports `n` bind(addr, 0) calls land on among the `slots` they try first when every port
 * is free again at close: inet_csk_find_open_port starts each call at a random port of them
 * (offset = get_random_u32_below(remaining)) and takes the first free one, so each call lands on
 * any of them alike. Measured (bind-before-connect, the server closing first, 1,100 connections
 * to 2 server ports through 500 ports): 444 server TIME_WAIT, this says 444; one per connection
 * up to half the range had said 500.
 */
export function bindPortsVisited(n: number, slots: number): number {
  if (n <= 0 || slots <= 0) return 0;
  return slots * (1 - (1 - 1 / slots) ** n);
}

/**
 * The ports the client's port picker tries first when ports are free again at close, per source
 * address and destination (walks: connect()'s table_perturb is indexed by a hash of both; bind()'s
 * port serves every destination, but what the server holds is its 4-tuples, so the same), and
 * whether it starts at random (bind) or walks on (connect).
 * - connect(): the ports of the range's low parity (all of a per-socket range, stepped by 1).
 * - bind(addr, 0): the other parity (all of a per-socket range: step 1 there too), and with
 *   SO_REUSEADDR only the lower half of those until it is full (inet_csk_find_open_port:
 *   attempt_half = sk_reuse == SK_CAN_REUSE): a quarter of the range (measured: 125 distinct
 *   ports of 500, 245 server TIME_WAIT, where half the range had said 500).
 */
export function firstTriedPorts(p: PlanInputs, usablePorts: number): { walks: number; slots: number; random: boolean } {
  const random = p.bindBeforeConnect && p.namedPorts !== true;
  const byParity = p.perSocketRange === true ? usablePorts : Math.ceil(usablePorts / 2);
  return { walks: p.sources * p.destinations, slots: random && p.reuseAddr === true ? Math.ceil(byParity / 2) : byParity, random };
}

/**
 * The client ports (and so server-side TIME_WAIT: one per client 4-tuple, RFC 1122 §4.2.2.13)
 * `connections` unbound connect()s, or bind(addr, 0)s, use when ports are free again at close,
 * over the ports they try first (firstTriedPorts). plan --from bounds a run's figure by it.
 */
export function portsVisitedAtClose(p: PlanInputs, usablePorts: number, connections: number): number {
  const { walks, slots, random } = firstTriedPorts(p, usablePorts);
  return walks * (random ? bindPortsVisited : connectPortsVisited)(connections / walks, slots);
}

/**
 * How many unbound connect()s (or bind(addr, 0)s) it takes to visit `ports` client ports when each comes back free at
 * close: the inverse of portsVisitedAtClose, so the server's TIME_WAIT reaches a count (its
 * tcp_max_tw_buckets) after this many connections of one TIME_WAIT, not after that count of them.
 * Infinity where the walks cannot visit that many.
 */
export function connectsToVisit(p: PlanInputs, usablePorts: number, ports: number): number {
  const { walks, slots, random } = firstTriedPorts(p, usablePorts);
  const perWalk = ports / walks;
  if (perWalk <= 0) return 0;
  if (perWalk >= slots) return Infinity;
  if (random && slots > 1) return walks * (Math.log(1 - perWalk / slots) / Math.log(1 - 1 / slots));
  // The first lap visits a new port with every connect(); past it, each lap adds 1/4.5 of what is left.
  if (perWalk <= slots / CONNECT_START_STEP) return ports;
  const laps = Math.log(1 - perWalk / slots) / Math.log(1 - 1 / CONNECT_START_STEP);
  return walks * ((laps * slots) / CONNECT_START_STEP);
}
