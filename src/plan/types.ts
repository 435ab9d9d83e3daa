// What the capacity model (model.ts) takes and gives: plain data, so a plan can come from the
// command line (inputs.ts), from a result (from-result.ts) or from a test alike.
import type { Stage } from '../driver/shape/ramp.js';
export type Closer = 'client' | 'server' | 'rst';

export interface PlanInputs {
  portLow: number;
  portHigh: number;
  /** Ports of the range listed in net.ipv4.ip_local_reserved_ports (connect() skips them). */
  reservedPorts: number;
  timeWaitSec: number;
  /**
   * The kernel's CONFIG_HZ: its timer wheel ends a TIME_WAIT up to a granule after timeWaitSec
   * (tcp-facts.ts timerLateSeconds: 2.048 s for 60 s at HZ 250), and a port comes back only then,
   * so a rate that fits must fit that. null: not known, planned at the worst HZ. Absent: the
   * timer taken as exact.
   */
  timerHz?: number | null;
  /** Source addresses the client spreads its connections over (evenly). */
  sources: number;
  /** Distinct destination IP:port pairs, the traffic spread evenly over them. */
  destinations: number;
  twReuse: number;
  /** tcp_tw_reuse=2 applies to loopback only: are the destinations loopback? */
  loopback: boolean;
  twReuseDelaySec: number;
  /** Share of requests that go over an existing connection (HTTP keep-alive), 0..1. */
  keepAliveShare: number;
  /** Offered requests per second (new connections/s when keepAliveShare is 0); null: not given. With `stages`, where the ramp starts. */
  rate: number | null;
  /**
   * An open loop's ramp (k6 `stages`: ms, requests/s) from `rate`, its last target held after it.
   * The plan is judged at the ramp's peak (a plan never understates a load); the time to
   * exhaustion follows the ramp's schedule. Absent or empty: a flat `rate`.
   */
  stages?: readonly Stage[];
  maxTwBuckets: number;
  /** Who closes first with a FIN (holds the TIME_WAIT), or "rst": the client aborts, no TIME_WAIT. */
  closer: Closer;
  /** bind() to a source address before connect() without IP_BIND_ADDRESS_NO_PORT: the port is
   *  reserved for every destination, so all destinations share one pool per source. */
  bindBeforeConnect: boolean;
  /** Kernel memory per TIME_WAIT socket (tw_sock_TCP slab object). */
  twSockBytes: number;
  /** connect()'s port walk, measured; absent or null: not modelled (a note says where it would bite). */
  connectScan?: ConnectScanInputs | null;
  /**
   * net.ipv4.tcp_timestamps (0 off; 1 and 2 on). A TIME_WAIT is taken over only if it recorded
   * the peer's timestamp (tcp_twsk_unique: ts_recent_stamp), so with 0 no port is ever reused.
   * Absent: 1 (the kernel default).
   */
  timestamps?: number;
  /**
   * The client names each port itself (client.localPorts: bind(addr, port)), portLow–portHigh,
   * in every combination with the source addresses and destinations, as twstorm's driver takes
   * them (namedPortCycle); implies bindBeforeConnect. Absent: false.
   */
  namedPorts?: boolean;
  /**
   * SO_REUSEADDR on the client sockets: with namedPorts, bind() may share a port with its
   * TIME_WAIT; with bindBeforeConnect, bind(addr, 0) tries the lower half of the range first
   * (inet_csk_find_open_port), so ports free at close keep to a quarter of it. Absent: false.
   */
  reuseAddr?: boolean;
  /**
   * Seconds a connection holds its port before it closes (connect to close). With namedPorts and
   * no TIME_WAIT left to wait out (SO_REUSEADDR with timestamps, or the server closing first) this
   * is the whole hold, and as named ports come back in turn, the slowest connections' life decides
   * (plan --from gives latencyMs.life p99); absent or null: not known, and the ports then do not
   * bound the rate.
   */
  connectionLifeSec?: number | null;
  /** The range is a per-socket IP_LOCAL_PORT_RANGE (client.portRange): connect() walks it in steps of 1, no parity split (__inet_hash_connect). Absent: false. */
  perSocketRange?: boolean;
  /** Machines the closing side's TIME_WAIT is spread over, each with its own tcp_max_tw_buckets (a routed lab's client hosts). Absent: 1. */
  twHosts?: number;
}

/** Which call picks the client's port: connect() (__inet_hash_connect), bind(addr, 0) (inet_csk_find_open_port), or the client itself (bind(addr, port)). */
export type PortPicker = 'connect' | 'bind' | 'named';

export interface ConnectScanInputs {
  /** µs connect() spends per held port it steps over (the cliff's extra time ÷ the ports walked). */
  perPortUs: number;
  /** µs of client work per connection per thread while connect() finds a port at once (before the cliff). */
  baseConnectionUs: number;
  /** Client threads making connections in parallel. */
  threads: number;
}

export interface ConnectScanOutput {
  /** Ports one connect() walks once the first parity is held: half the usable range. */
  portsWalked: number;
  /** What that walk adds to every connect(), µs. */
  connectExtraUs: number;
  /** New connections/s the client threads can make once every connect() walks them. */
  scanLimitedPerSec: number;
  /** Up to this rate a pool stays under half held at steady state: totalPerSec ÷ 2. */
  halfRangePerSec: number;
  /** What the range sustains with the walk: totalPerSec when the walk is cheap enough, else the larger of half of it and scanLimitedPerSec. */
  sustainablePerSec: number;
  /** At the offered rate, seconds until a pool is half held (the cliff); null when it stays below. */
  cliffAfterSec: number | null;
}

export interface PlanOutput {
  usablePorts: number;
  /**
   * Connections that can hold the client's ports at once before they run out (what the first
   * connection past them finds taken): sources × ports per destination when connect() picks
   * the port, sources × ports when bind() does, and with named ports the (address, port) pairs
   * (without SO_REUSEADDR) or the 4-tuples (with it) the client makes (namedCycle).
   */
  portsInPlay: number;
  /** Named ports: the (address, port) pairs and 4-tuples the client makes of them; null when the kernel picks the port. */
  namedCycle: { pairs: number; fourTuples: number } | null;
  portPicker: PortPicker;
  /**
   * Named ports busy only while their connection is open (no TIME_WAIT left on the client to wait
   * out): taken in turn, so the slowest connections' life decides (named-turn.ts). false unless named.
   */
  lifeBound: boolean;
  /** A TIME_WAIT port is taken over: by tcp_tw_reuse (connect() picks), or by SO_REUSEADDR on a named port (tcp_twsk_unique), both only with timestamps. */
  reuseInForce: boolean;
  /** How long a used port stays unusable for the same destination. */
  holdSec: number;
  /** What fails when the ports run out, e.g. "connect() fails with EADDRNOTAVAIL" or "bind() fails with EADDRINUSE". */
  portFailure: string;
  /** Something beyond the client's ports decides the headline (plan --from: the router's SNAT pool); null: the ports. */
  limitedBy: string | null;
  /** null: not bounded by client ports (the server closes first, or the client resets). */
  perDestinationPerSec: number | null;
  totalPerSec: number | null;
  /** Offered new connections/s after keep-alive. */
  newConnPerSec: number | null;
  /** newConnPerSec ÷ totalPerSec. */
  utilisation: number | null;
  fits: boolean | null;
  /** Seconds until connect() fails with EADDRNOTAVAIL at the offered rate; null: it does not. */
  exhaustionSec: number | null;
  /** connect()'s port walk (only with connectScan inputs, client-held ports and no reuse in force). */
  connectScan: ConnectScanOutput | null;
  timeWait: {
    side: 'client' | 'server' | 'none';
    /** TIME_WAIT sockets at steady state, after the tcp_max_tw_buckets cap. */
    steadyState: number;
    /** What the traffic would put in TIME_WAIT without the cap. */
    demand: number;
    /** Client ports those TIME_WAIT sockets hold, each with a bind bucket and a bind2 bucket (BIND_BUCKET_BYTES each): 0 on the server. */
    portsHeld: number;
    /** TIME_WAIT sockets and the bind buckets of the client ports they hold. */
    memoryBytes: number;
    bucketsOverflow: boolean;
    /** Seconds until tcp_max_tw_buckets is reached, when it is; null when a ramp's peak passes before it is. */
    overflowAtSec: number | null;
    /**
     * Ports come back before a half is used (free at close, or reusable after tcp_tw_reuse_delay)
     * and connect() picks them: TIME_WAIT is one per client port the walk visited
     * (connect-walk.ts portsVisitedAtClose), not one per connection.
     */
    perPortVisited: boolean;
  };
  /** What to change so the offered rate fits, each in numbers. */
  fixes: string[];
  notes: string[];
}
