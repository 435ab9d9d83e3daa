// The capacity model. An unbound connect() needs a 4-tuple nobody holds; a port whose last
// connection to that destination ended in TIME_WAIT on this side stays taken for the whole
// TIME_WAIT (TCP_TIMEWAIT_LEN, a fixed 60 s on Linux), or — with tcp_tw_reuse in force — for
// tcp_tw_reuse_delay (1 s) after it entered TIME_WAIT (tcp_twsk_unique(), Linux 6.13+; before,
// a fixed second after the last timestamp seen). So:
//
//   sustainable new connections/s per destination = sources × usable ports ÷ hold time
//
// and at an offered rate r above that, each pool of ports runs dry after ports ÷ r seconds
// (nothing comes back before the hold time ends).
//
// connect() slows before that: the kernel picks the port by walking the range in steps of 2,
// one parity first (__inet_hash_connect), stepping over every held port. Once a pool is half
// held — at offered rates above half the sustainable rate — every connect() walks all of that
// parity, so the client's threads can make at most
//
//   threads ÷ (base cost per connection + ports walked × cost per port walked)
//
// new connections/s, which is below ports ÷ 60 s once the walk dominates. The two costs are
// measured (plan --from a result with a connect-fill cliff).
//
// All of that is connect() picking the port. Two other ways hold a port differently (portMode):
// bind(addr, 0) before connect() picks it in inet_csk_find_open_port, where any owner of the
// port on that address — a TIME_WAIT too — is a conflict (inet_csk_bind_conflict, relax false),
// so tcp_tw_reuse, which only __inet_hash_connect consults, never applies: 60 s, and bind() fails
// with EADDRINUSE. A port the client names itself (bind(addr, port)) binds over its TIME_WAIT
// only when both sockets have SO_REUSEADDR; connect() then finds the 4-tuple in TIME_WAIT and
// takes it over at once whenever the TIME_WAIT recorded a timestamp (tcp_twsk_unique, the
// twp == NULL branch: no tcp_tw_reuse, no delay), so the port is busy only for its own
// connection's life. What a named port's TIME_WAIT blocks is its (address, port) pair without
// SO_REUSEADDR (bind()), its 4-tuple with it (connect()); the client makes every combination of
// its addresses, named ports and destinations (namedPortCycle).
// Pure: every input is given. One file: the answers (capacity, TIME_WAIT, exhaustion, fixes,
// notes) all read the same intermediate figures of one computePlan; split, they would pass a
// dozen of them back and forth.
import { BIND_BUCKET_BYTES, TIME_WAIT_SECONDS, timerLateSeconds, twReuseCovers, WIDEST_PORTS } from '../tcp-facts.js';
import { namedPortCycle, namedPortHeldWhileOpen } from '../scenario/port-pools.js';
import { compileRamp, firstWindowReaching } from '../driver/shape/ramp.js';
import type { PlanInputs, PlanOutput, PortPicker } from './types.js';
import { fmt, mib, pct, perConnection, rateText, sec } from './words.js';
import { connectScanOf, connectsToVisit, firstTriedPorts, portsVisitedAtClose } from './connect-walk.js';

/** Linux's whole usable ephemeral span: ports below 1024 are privileged, 65535 is the top (src/tcp-facts.ts). */
export const WIDEST_RANGE = WIDEST_PORTS;

/** How the client's port is picked and what frees it again (see the header). */
export interface PortMode {
  picker: PortPicker;
  reuseInForce: boolean;
  holdSec: number;
  /** The ports bound the rate at all: the client holds them after close, for a known time. */
  portBound: boolean;
  /**
   * Named ports busy only while their connection is open (no TIME_WAIT left on the client to wait
   * out): taken in turn, so the slowest connections' life decides (named-turn.ts).
   */
  lifeBound: boolean;
  failure: string;
}

/**
 * How long a TIME_WAIT (or an orphaned FIN_WAIT2) lasts at most: its timeout, and the timer
 * wheel's lateness after it (tcp-facts.ts timerLateSeconds). A port comes back only then, and the
 * census peaks there too: the sockets of one granule end together, so the count saws between
 * rate × timeout and rate × this.
 */
export function timeWaitHoldSec(p: Pick<PlanInputs, 'timeWaitSec' | 'timerHz'>, timeoutSec = p.timeWaitSec): number {
  return timeoutSec + (p.timerHz === undefined ? 0 : timerLateSeconds(timeoutSec, p.timerHz));
}

export function portMode(p: PlanInputs): PortMode {
  const picker: PortPicker = p.namedPorts ? 'named' : p.bindBeforeConnect ? 'bind' : 'connect';
  const timestamps = (p.timestamps ?? 1) !== 0;
  const clientHolds = p.closer === 'client';
  // A TIME_WAIT ends when its timer fires, up to a wheel granule after timeWaitSec: the port comes
  // back then (an audit: a range of exactly rate × 60 s ports, 301, failed 10 connects at 60.2 s).
  // tcp_tw_reuse's delay is no timer but a timestamp compared at connect(), so it is exact.
  const timerHold = timeWaitHoldSec(p);
  if (picker === 'named') {
    // bind(addr, port) over the port's TIME_WAIT passes inet_csk_bind_conflict only when both
    // have SO_REUSEADDR; connect() then takes the TIME_WAIT over through tcp_twsk_unique's
    // twp == NULL branch (a bound port): any timestamp recorded, no tcp_tw_reuse, no delay.
    const takeover = p.reuseAddr === true && timestamps;
    const life = p.connectionLifeSec ?? null;
    // No TIME_WAIT to wait out (taken over, or left on the server, or none after an RST): a named
    // port is still the client's while its connection is open, and comes back in turn, so its
    // connection's life bounds the rate whoever closes (a review: server-closes-first at 2,000/s
    // over 10 named ports, 52 EADDRNOTAVAIL, was "fits").
    const lifeBound = namedPortHeldWhileOpen(p.reuseAddr === true, timestamps, clientHolds);
    return {
      picker,
      reuseInForce: takeover,
      holdSec: lifeBound ? (life ?? 0) : timerHold,
      portBound: lifeBound ? life !== null && life > 0 : true,
      lifeBound,
      // Without SO_REUSEADDR bind() refuses the port; with it bind() shares it, and connect()
      // finds its 4-tuple still held (not unique: __inet_check_established).
      failure: p.reuseAddr ? 'connect() fails with EADDRNOTAVAIL' : 'bind() fails with EADDRINUSE',
    };
  }
  if (picker === 'bind') {
    // inet_csk_find_open_port: a TIME_WAIT owner is a conflict, and tcp_tw_reuse is not asked.
    return { picker, reuseInForce: false, holdSec: timerHold, portBound: clientHolds, lifeBound: false, failure: 'bind() fails with EADDRINUSE' };
  }
  const reuseInForce = twReuseCovers(p.twReuse, timestamps, p.loopback);
  return {
    picker,
    reuseInForce,
    holdSec: reuseInForce ? Math.min(p.twReuseDelaySec, timerHold) : timerHold,
    portBound: clientHolds,
    lifeBound: false,
    failure: 'connect() fails with EADDRNOTAVAIL',
  };
}

/** The most an open loop offers, requests/s: a ramp is judged at its peak (a plan never understates a load); null without a rate. */
export function offeredPeak(p: Pick<PlanInputs, 'rate' | 'stages'>): number | null {
  return p.rate === null ? null : Math.max(p.rate, ...(p.stages ?? []).map((s) => s.target));
}

export function computePlan(p: PlanInputs): PlanOutput {
  const usablePorts = Math.max(0, p.portHigh - p.portLow + 1 - p.reservedPorts);
  const mode = portMode(p);
  const { picker, reuseInForce, holdSec, portBound } = mode;
  const timestamps = (p.timestamps ?? 1) !== 0;
  // What tcp_tw_reuse asks for, timestamps aside (the notes say when their absence undoes it).
  const twReuseAsked = twReuseCovers(p.twReuse, true, p.loopback);
  // __inet_hash_connect splits the range by parity only for the netns range: with a per-socket
  // IP_LOCAL_PORT_RANGE it steps by 1 ("step = local_ports ? 1 : 2"), and a named port is no walk.
  const parityWalk = picker === 'connect' && p.perSocketRange !== true;
  const twHosts = Math.max(1, p.twHosts ?? 1);
  const offered = offeredPeak(p);
  const newConnPerSec = offered === null ? null : offered * (1 - p.keepAliveShare);
  const notes: string[] = [];
  const fixes: string[] = [];

  // One pool per (source, destination) when connect() picks the port; one per source
  // shared by all destinations when bind() picked it first, or the client named it.
  // Named ports: one pool of what a TIME_WAIT blocks. Without SO_REUSEADDR that is bind() of its
  // address and port, to any destination (inet_csk_bind_conflict): one per (address, port)
  // pair. With it bind() passes and only connect() to the TIME_WAIT's own 4-tuple meets it
  // (__inet_check_established: tcp_twsk_unique takes it over with a timestamp, else
  // EADDRNOTAVAIL): one per 4-tuple.
  const named = picker === 'named' ? namedPortCycle(p.sources, usablePorts, p.destinations) : null;
  // What one source address adds to a named pool: its ports, each once per destination with SO_REUSEADDR.
  const namedPerSource = usablePorts * (p.reuseAddr ? p.destinations : 1);
  const poolSize = named === null ? p.sources * usablePorts : p.reuseAddr ? named.fourTuples : named.pairs;
  const pools = picker === 'connect' ? p.destinations : 1;
  const totalPerSec = portBound ? (poolSize * pools) / holdSec : null;
  const perDestinationPerSec = totalPerSec === null ? null : totalPerSec / p.destinations;
  const utilisation = totalPerSec !== null && newConnPerSec !== null && totalPerSec > 0 ? newConnPerSec / totalPerSec : null;
  const scan = connectScanOf(p, totalPerSec, reuseInForce, usablePorts, newConnPerSec, parityWalk);
  // The ports alone (exhaustion, and the fixes that add ports) and, on top, connect()'s walk.
  // Strictly below: at exactly ports ÷ hold a port is asked for again the moment its hold ends,
  // and the hold starts only at close, after the connection's own life, so it is still taken
  // (measured: 100 ports, tcp_tw_reuse 1, 100 new connections/s ran out at 1.00 s).
  const portsFit = newConnPerSec === null ? null : totalPerSec === null || newConnPerSec === 0 ? true : newConnPerSec < totalPerSec;

  // TIME_WAIT: every closed connection on the closing side sits there timeWaitSec; reuse
  // replaces a TIME_WAIT socket when it takes its 4-tuple, so on the client their number never
  // exceeds the 4-tuples in play.
  const side: PlanOutput['timeWait']['side'] = p.closer === 'rst' ? 'none' : p.closer;
  const sustained = newConnPerSec === null ? null : totalPerSec === null ? newConnPerSec : Math.min(newConnPerSec, totalPerSec);
  // The ports a pool cycles through. connect() tries the ports of the range's low bound's parity
  // first and the other half only when none of the first is free or reusable (__inet_hash_connect,
  // Linux 4.6+: "In first pass we try ports of @low parity"). So when ports come back before a
  // half is used up — free at close when the server closes first, reusable after
  // tcp_tw_reuse_delay with reuse in force — only that half is ever used (measured on 6.18:
  // 500 distinct ports of a 1,000-port range at 400/s, with reuse 1 and with the server closing).
  // bind(addr, 0) likewise tries one parity first (odd: inet_csk_find_open_port), and with
  // SO_REUSEADDR the lower half of those (a quarter); a per-socket range (step 1) and named ports
  // use all of it (connect-walk.ts firstTriedPorts).
  const firstTried = firstTriedPorts(p, usablePorts);
  const halves = picker !== 'named' && p.perSocketRange !== true;
  const half = picker !== 'named' ? p.sources * firstTried.slots : poolSize;
  const firstTriedText = firstTried.slots * 4 <= usablePorts ? 'a quarter of the range' : 'half the range';
  const comeBackSec = side === 'server' ? 0 : side === 'client' && reuseInForce && picker === 'connect' ? holdSec : null;
  const comesBack = comeBackSec !== null && newConnPerSec !== null && (newConnPerSec / pools) * comeBackSec <= half;
  const cycled = comesBack ? half : poolSize;
  // Ports that come back are not taken in turn: connect()'s start moves on 1–8 ports at random,
  // bind() starts at a random port (connect-walk.ts), so one TIME_WAIT length leaves one per port
  // visited, on the server and, with reuse, on the client (tw-reuse, 100/s, 1,000 ports: 383 of
  // 600 measured, this says 371, was 500).
  const walkVisits = picker !== 'named' && comesBack;
  const twHold = timeWaitHoldSec(p);
  let demand = 0;
  if (sustained !== null && side !== 'none') {
    demand = sustained * twHold;
    // The server side is bounded the same way: when a client port comes back while the
    // server still holds its 4-tuple in TIME_WAIT, the new SYN reopens it (RFC 1122
    // §4.2.2.13; measured: server TIME_WAIT == distinct client ports).
    const fourTuples = named !== null ? named.fourTuples : cycled * p.destinations;
    // On the client a port held by bind() carries one TIME_WAIT (a second bind conflicts with
    // it); named ports one per pair or 4-tuple of the pool (above).
    if (side === 'client' && !walkVisits) demand = Math.min(demand, picker === 'named' ? poolSize : cycled * (picker === 'bind' ? 1 : p.destinations));
    else if (walkVisits && portsVisitedAtClose(p, usablePorts, demand) < demand) {
      // connect() does not take the next port each time: the 4-tuples of one TIME_WAIT length are the ports it visited.
      const connections = demand;
      demand = portsVisitedAtClose(p, usablePorts, connections);
      notes.push(
        (side === 'server'
          ? `server-side TIME_WAIT is one per client 4-tuple used within ${sec(p.timeWaitSec)} (a reused client port reopens its TIME_WAIT, RFC 1122 §4.2.2.13): `
          : `client-side TIME_WAIT is one per 4-tuple used within ${sec(p.timeWaitSec)} (tcp_tw_reuse takes one over after ~${sec(holdSec)} instead of leaving a second, tcp_twsk_unique): `) +
          `the ${fmt(Math.round(connections))} connections of that time visit about ${fmt(Math.round(demand))} of the ${fmt(fourTuples)} the client cycles through${halves ? ` (${firstTriedText}: ports come back ${side === 'server' ? 'free' : 'in time'})` : ''}, as ${firstTried.random ? 'bind() starts at a random port each time' : 'connect() moves its start 1–8 ports on at random'}`,
      );
    } else if (side === 'server' && demand > fourTuples) {
      demand = fourTuples;
      notes.push(
        `server-side TIME_WAIT is capped at ${fmt(fourTuples)}: one per client 4-tuple in play${halves ? ' (the client keeps to half the range while ports come back free)' : ''}; a reused client port reopens its TIME_WAIT (RFC 1122 §4.2.2.13)`,
      );
    }
  }
  demand = Math.round(demand);
  // Each host has its own tcp_max_tw_buckets (a routed lab's client hosts): the traffic, spread
  // evenly, overflows when one host's share does.
  const cap = p.maxTwBuckets * twHosts;
  const bucketsOverflow = demand > cap;
  const steadyState = Math.min(demand, cap);
  // When `count` new connections have fallen within the last `windowSec` (a pool held dry, the
  // buckets full): count ÷ rate at a flat rate, when callers know it comes; under a ramp its
  // schedule decides, not its peak, which may pass before it comes (null) — ramp-to-exhaustion
  // ran out at 7.3 s measured, where its start rate gave 50 s and its peak 2 s.
  const ramp = p.rate !== null && p.stages !== undefined && p.stages.length > 0 ? compileRamp(p.rate, p.stages) : null;
  const whenHeld = (windowSec: number, count: number): number | null => {
    if (ramp === null) return count / newConnPerSec!;
    const ms = firstWindowReaching(ramp, windowSec * 1000, count / (1 - p.keepAliveShare));
    return ms === null ? null : ms / 1000;
  };
  // Where ports come back (walkVisits) there is one TIME_WAIT per client port connect()
  // visited: the cap comes once the connections of one TIME_WAIT visit that many ports, later
  // than after that many connections (a review: 12,000 at 2,000/s is 11.8 s, not 6.00 s).
  const connectionsToCap = walkVisits ? connectsToVisit(p, usablePorts, cap) : cap;
  const overflowAtSec = bucketsOverflow && newConnPerSec && Number.isFinite(connectionsToCap) ? whenHeld(twHold, connectionsToCap) : null;
  const capText = twHosts > 1 ? `${fmt(p.maxTwBuckets)} on each of ${fmt(twHosts)} hosts` : fmt(p.maxTwBuckets);
  // The client ports the TIME_WAIT holds, each with a bind bucket per port and a bind2 bucket
  // per (address, port) (inet_bind_bucket_create, inet_bind2_bucket_create): the TIME_WAIT
  // socket keeps both until it dies. Several destinations share a port's buckets.
  const sourcesPerHost = Math.max(1, p.sources / twHosts);
  // Named ports: every one of them is bound (port i mod ports), each with the addresses it is paired with.
  const bind2Buckets = side === 'client' ? Math.min(steadyState, named !== null ? named.pairs : cycled) : 0;
  const bindBuckets = side === 'client' ? Math.min(steadyState, named !== null ? usablePorts : Math.ceil(cycled / sourcesPerHost)) : 0;

  let exhaustionSec: number | null = null;
  // When the ports would run out without tcp_max_tw_buckets, and the cap is what keeps them free.
  let uncappedExhaustionSec: number | null = null;
  if (portsFit === false && newConnPerSec !== null) {
    // Each pool runs dry when the connections of one hold time fill it.
    exhaustionSec = whenHeld(holdSec, poolSize * pools);
    if (exhaustionSec === null) {
      notes.push(`the ramp's peak of ${fmt(newConnPerSec)} new connections/s does not fit, but it passes before the ports run out; held, it would run them out after ${sec((poolSize * pools) / newConnPerSec)}`);
    }
    // Past tcp_max_tw_buckets the kernel does not create the TIME_WAIT socket at all
    // (inet_twsk_alloc fails, tcp_time_wait() just closes), so the port is free at once:
    // if the cap is reached before the ports run out, they never do.
    if (overflowAtSec !== null && exhaustionSec !== null && overflowAtSec < exhaustionSec) {
      notes.push(
        `tcp_max_tw_buckets (${capText}) is reached after ${sec(overflowAtSec)}, before the ports would run out (${sec(exhaustionSec)}): ` +
          `later connections skip TIME_WAIT (TcpExtTCPTimeWaitOverflow), so ${mode.failure.slice(0, mode.failure.indexOf(' '))} keeps working but without TIME_WAIT's protection against stale segments`,
      );
      uncappedExhaustionSec = exhaustionSec;
      exhaustionSec = null;
    }
  }
  // The ports run short only when nothing frees them first: past the cap, a closed connection
  // leaves no TIME_WAIT and its port is free at once.
  const portsShort = portsFit === false && uncappedExhaustionSec === null;
  const fits = portsFit === null ? null : !portsShort && (scan === null || newConnPerSec! <= scan.sustainablePerSec);

  if (portsShort && newConnPerSec !== null && totalPerSec !== null) {
    const needPerPool = (newConnPerSec / pools) * holdSec; // ports a pool must hold
    if (picker === 'named') {
      const sourcesNeeded = moreThan(needPerPool / namedPerSource);
      fixes.push(
        `use ${fmt(sourcesNeeded)} source addresses instead of ${fmt(p.sources)} (each adds its ${fmt(usablePorts)} named ports` +
          (p.reuseAddr && p.destinations > 1 ? `, a 4-tuple each to each of the ${fmt(p.destinations)} destinations)` : ', shared by all destinations)'),
      );
    } else {
      const sourcesNeeded = moreThan(needPerPool / usablePorts);
      fixes.push(`use ${fmt(sourcesNeeded)} source addresses instead of ${fmt(p.sources)} (each adds ${fmt(usablePorts)} ports ${picker === 'connect' ? 'per destination' : 'shared by all destinations'})`);
    }
    if (offered !== null && offered > 0) {
      const share = 1 - totalPerSec / offered;
      fixes.push(
        `reuse connections (keep-alive) for more than ${pct(share)} of requests (over ${perConnection(offered / Math.max(totalPerSec, Number.MIN_VALUE))} per connection; now ${pct(p.keepAliveShare)}): ` +
          `fewer than ${rateText(totalPerSec)} new connections/s fit`,
      );
    }
    // Named ports with SO_REUSEADDR: each is a 4-tuple per destination, so fewer of them do.
    const portsNeeded = moreThan(needPerPool / (p.sources * (picker === 'named' && p.reuseAddr ? p.destinations : 1)));
    fixes.push(widenFix(p, picker, portsNeeded, usablePorts));
    if (picker === 'connect') {
      const destinationsNeeded = moreThan((newConnPerSec * holdSec) / poolSize);
      fixes.push(`spread over ${fmt(destinationsNeeded)} destination IP:port pairs instead of ${fmt(p.destinations)} (the limit is per 4-tuple destination)`);
    } else if (picker === 'bind' && (p.destinations > 1 || (twReuseAsked && timestamps))) {
      // Only where it adds capacity: more pools, or tcp_tw_reuse, which connect() alone consults.
      fixes.push(
        `set IP_BIND_ADDRESS_NO_PORT before bind() (Linux 4.2+): the port is then chosen at connect() per destination, ×${fmt(p.destinations)} capacity` +
          (twReuseAsked && timestamps ? `, and tcp_tw_reuse=${p.twReuse} takes over a TIME_WAIT port there after ~${sec(p.twReuseDelaySec)}` : ''),
      );
    } else if (picker === 'named' && !p.reuseAddr) {
      fixes.push(
        `set SO_REUSEADDR on the client sockets (client.reuseAddr)${timestamps ? '' : ' and turn net.ipv4.tcp_timestamps on'}: bind() may then share a named port with its TIME_WAIT, and connect() takes the TIME_WAIT over at once (tcp_twsk_unique), so a port is busy only while its connection is open`,
      );
    } else if (picker === 'named' && !timestamps) {
      fixes.push('net.ipv4.tcp_timestamps=1 (on both ends): with SO_REUSEADDR connect() then takes over a named port\'s TIME_WAIT at once (tcp_twsk_unique needs the timestamp the TIME_WAIT recorded), so a port is busy only while its connection is open');
    }
    if (picker === 'connect' && !reuseInForce) {
      const withReuse = (poolSize * pools) / p.twReuseDelaySec;
      // Listed as a fix only when it is one: at a rate past what reuse allows, it is a help, said so.
      const enough = withReuse > newConnPerSec;
      const what = twReuseAsked
        ? `net.ipv4.tcp_timestamps=1 (on both ends): tcp_tw_reuse=${p.twReuse} is set, but connect() takes a TIME_WAIT port only if it recorded a timestamp (tcp_twsk_unique); with them, after ~${sec(p.twReuseDelaySec)}`
        : `net.ipv4.tcp_tw_reuse=1 lets connect() take a TIME_WAIT port after ~${sec(p.twReuseDelaySec)}`;
      fixes.push(
        `${what}: fewer than ${rateText(withReuse)} new connections/s` +
          (enough ? '' : `, not enough alone for ${fmt(newConnPerSec)}/s: combine it with one of the above`) +
          (twReuseAsked ? ' (outgoing connections only)' : ` (needs TCP timestamps on both ends${timestamps ? '' : ': net.ipv4.tcp_timestamps is 0 here'}; outgoing connections only)`),
      );
    }
    // On the server, at most one TIME_WAIT per client 4-tuple (a reused port reopens it), and
    // with ports free at close the client keeps to the ports it tries first (`half` above). TIME_WAIT's own
    // 60 s: p.timeWaitSec is the client's hold, tcp_fin_timeout behind a server that never closes.
    const held = newConnPerSec * timeWaitHoldSec(p, TIME_WAIT_SECONDS);
    const serverTw = Math.round(
      named === null ? portsVisitedAtClose(p, usablePorts, held) : Math.min(held, named.fourTuples),
    );
    fixes.push(
      `let the server close first: client ports are free at close, and the ${fmt(serverTw)} TIME_WAIT sockets (${mib(serverTw * p.twSockBytes)}) sit on the server instead`,
    );
  }
  if (scan !== null && newConnPerSec !== null && totalPerSec !== null && newConnPerSec > scan.sustainablePerSec && newConnPerSec <= totalPerSec) {
    fixes.push(
      `stay under half the range: up to ${fmt(Math.floor(scan.halfRangePerSec))} new connections/s keep every pool less than half held, so connect() never walks the full ${fmt(scan.portsWalked)} ports` +
        (!reuseInForce ? `; or net.ipv4.tcp_tw_reuse=1, which lets connect() take over a TIME_WAIT port instead of stepping over it` : ''),
    );
  }
  if (scan !== null && scan.cliffAfterSec !== null) {
    notes.push(
      `connect() port walk: at this rate a pool is half held after ${sec(scan.cliffAfterSec)}; from then on every connect() walks ~${fmt(scan.portsWalked)} held ports ` +
        `(+${fmt(Math.round(scan.connectExtraUs))} µs each), so ${fmt(p.connectScan!.threads)} client thread${p.connectScan!.threads === 1 ? '' : 's'} make at most ${fmt(Math.floor(scan.scanLimitedPerSec))} new connections/s` +
        (totalPerSec !== null && scan.scanLimitedPerSec < totalPerSec ? `, below the ${fmt(Math.floor(totalPerSec))}/s the ports allow: CPU in the kernel, long before EADDRNOTAVAIL` : ''),
    );
  } else if (scan === null && parityWalk && portBound && !reuseInForce && usablePorts >= MIN_WALKED_PORTS && totalPerSec !== null && newConnPerSec !== null && newConnPerSec > totalPerSec / 2 && steadyState / pools > poolSize / 2) {
    notes.push(
      `past half the range (above ${rateText(totalPerSec / 2)} new connections/s here) every connect() walks all the held ports of one parity before it finds a free one: ` +
        `it slows down long before EADDRNOTAVAIL (scenario connect-slows-as-range-fills; plan --from a result of it models how much)`,
    );
  }
  if (bucketsOverflow && uncappedExhaustionSec !== null) {
    // Raising the cap would give the ports back to TIME_WAIT: not a fix, a trap.
    notes.push(
      `the cap is what keeps the ports free at this rate: with tcp_max_tw_buckets raised to ${fmt(Math.ceil(demand / twHosts))}${twHosts > 1 ? ' on each host' : ''} the ports would run out after ${sec(uncappedExhaustionSec)}; add ports (sources, a wider range, destinations) before raising it`,
    );
  } else if (bucketsOverflow) {
    // Not a fix (the rate fits or does not either way): the price of the cap, and of lifting it.
    notes.push(
      `connections closed past the cap skip TIME_WAIT: raise net.ipv4.tcp_max_tw_buckets from ${fmt(p.maxTwBuckets)} to at least ${fmt(Math.ceil(demand / twHosts))}${twHosts > 1 ? ` on each of the ${fmt(twHosts)} hosts` : ''} (${mib(demand * p.twSockBytes)} of TIME_WAIT sockets) to keep its protection, or accept that`,
    );
  }
  if (portBound && picker === 'connect' && twReuseAsked && !timestamps) {
    notes.push(`tcp_tw_reuse=${p.twReuse} is set, but net.ipv4.tcp_timestamps is 0: tcp_twsk_unique takes over a TIME_WAIT only if it recorded the peer's timestamp, so no port is reused and each stays held ${sec(p.timeWaitSec)}`);
  } else if (portBound && picker === 'bind' && twReuseAsked) {
    notes.push(
      'tcp_tw_reuse does not help bind() before connect(): bind(addr, 0) picks its port in inet_csk_find_open_port, where a TIME_WAIT on the port is a conflict, and only connect() picking the port (__inet_hash_connect) consults tcp_tw_reuse',
    );
  } else if (p.twReuse === 2 && !p.loopback && portBound && picker === 'connect') notes.push('tcp_tw_reuse=2 applies to loopback traffic only, so it does not help these destinations');
  if (picker === 'named' && p.closer === 'client' && reuseInForce && !portBound) {
    notes.push('each connection takes over its named port\'s TIME_WAIT at once (SO_REUSEADDR and timestamps: tcp_twsk_unique), so a port is busy only while its own connection is open, which this plan was not given: the ports do not bound the rate here');
  }
  if (p.perSocketRange === true && picker === 'connect' && portBound && !reuseInForce && newConnPerSec !== null && totalPerSec !== null && newConnPerSec > totalPerSec / 2) {
    notes.push('with a per-socket range (IP_LOCAL_PORT_RANGE) connect() walks it in steps of 1, not one parity first: a connect() steps over about 1 ÷ (1 − share held) ports, so it slows as the range fills, with no cliff at half');
  }
  if (p.closer === 'rst') notes.push('an RST close (SO_LINGER 0) leaves no TIME_WAIT: ports are free at once, but unsent data is discarded and the peer sees ECONNRESET');
  if (p.closer === 'server') notes.push('the server closes first: client ports are not held after close, so only in-flight connections use them');

  return {
    usablePorts,
    portsInPlay: poolSize * pools,
    namedCycle: named,
    portPicker: picker,
    lifeBound: mode.lifeBound,
    reuseInForce,
    holdSec,
    portFailure: mode.failure,
    limitedBy: null,
    perDestinationPerSec,
    totalPerSec,
    newConnPerSec,
    utilisation,
    fits,
    exhaustionSec,
    connectScan: scan,
    timeWait: {
      side,
      steadyState,
      demand,
      portsHeld: bind2Buckets,
      memoryBytes: steadyState * p.twSockBytes + (bindBuckets + bind2Buckets) * BIND_BUCKET_BYTES,
      bucketsOverflow,
      overflowAtSec,
      perPortVisited: walkVisits,
    },
    fixes,
    notes,
  };
}

/**
 * The range fix, in the setting that draws the range: ip_local_port_range where the kernel
 * picks from it, client.portRange for a per-socket range, client.localPorts for named ports.
 */
function widenFix(p: PlanInputs, picker: PortPicker, portsNeeded: number, usablePorts: number): string {
  const widest = WIDEST_RANGE.high - WIDEST_RANGE.low + 1;
  if (portsNeeded + p.reservedPorts > widest) {
    return `a wider port range alone cannot fit: ${fmt(portsNeeded)} ports per source needed, at most ${fmt(widest)} exist (${WIDEST_RANGE.low}–${WIDEST_RANGE.high})`;
  }
  const low = WIDEST_RANGE.high - (portsNeeded + p.reservedPorts) + 1;
  if (picker === 'named') {
    // From the named range's own low end when the wider one still fits below 65535.
    const from = p.portLow + portsNeeded - 1 <= WIDEST_RANGE.high ? p.portLow : WIDEST_RANGE.high - portsNeeded + 1;
    return `name at least ${fmt(portsNeeded)} ports in client.localPorts, e.g. "${from}-${from + portsNeeded - 1}" (now ${fmt(usablePorts)})`;
  }
  if (p.perSocketRange === true) {
    return `widen client.portRange (IP_LOCAL_PORT_RANGE) to at least ${fmt(portsNeeded)} ports, e.g. "${low}-${WIDEST_RANGE.high}" (now ${fmt(usablePorts)}), inside net.ipv4.ip_local_port_range (the kernel ignores a bound outside it)`;
  }
  // A listener that starts while connect() holds its port fails with EADDRINUSE: a wider range
  // may swallow service ports, which ip_local_reserved_ports keeps out of it.
  return (
    `widen net.ipv4.ip_local_port_range to at least ${fmt(portsNeeded)} ports, e.g. "${low} ${WIDEST_RANGE.high}" (now ${fmt(usablePorts)}); ` +
    'list the ports your services listen on inside it in net.ipv4.ip_local_reserved_ports'
  );
}

/** The least whole number above x: the count that fits where x exactly does not (see portsFit). */
const moreThan = (x: number): number => Math.floor(x) + 1;

/** With fewer ports than this a range has no walk worth a note: one or two per parity. */
const MIN_WALKED_PORTS = 4;
