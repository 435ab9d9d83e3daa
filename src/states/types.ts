// The shapes of a states census (its JSON is `twstorm states --json`, schema twstorm/states@1),
// apart from the code that takes it so the parts (census-tables.ts, by-process.ts) share them.
import type { StateCounts, TcpStateName } from '../observe/tcp-table.js';
import type { PortRange } from '../scenario/port-range.js';

export const GROUP_BYS = ['local-port', 'remote', 'remote-port', 'process'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface CensusOptions {
  /** Group the sockets in `state` by this key. */
  by?: GroupBy;
  /** The state `by` looks at (default TIME_WAIT); 'all' for every state. */
  state?: TcpStateName | 'all';
  /** How many groups and destinations to keep (default 10). */
  top?: number;
  procRoot?: string;
}

/** What decides whether connect() may take over a TIME_WAIT port (tcp_twsk_unique; tw-reuse.ts). */
export interface TwReuseSettings {
  /** net.ipv4.tcp_tw_reuse: 0 never, 1 any destination, 2 loopback destinations only; null: not readable. */
  mode: 0 | 1 | 2 | null;
  /** net.ipv4.tcp_timestamps is not 0: reuse needs the TIME_WAIT to have seen a timestamp; null: not readable. */
  timestamps: boolean | null;
  /** How old a TIME_WAIT must be before it is reusable, in ms. */
  delayMs: number;
  /** 'sysctl': net.ipv4.tcp_tw_reuse_delay (Linux 6.13+); 'older-kernel': none, 2 s assumed (1-2 s in whole seconds). */
  delayFrom: 'sysctl' | 'older-kernel';
}

/** A span of net.ipv4.ip_local_reserved_ports. */
export interface PortSpan {
  low: number;
  high: number;
}

/** The namespace's settings a census judges by, beside the range (census.ts reads them). */
export interface CensusSettings {
  twReuse: TwReuseSettings;
  /** net.ipv4.ip_local_reserved_ports: connect() skips them, and `usable` already leaves them out. */
  reservedPorts: readonly PortSpan[];
}

/**
 * The ephemeral range as a whole, whatever the destination. __inet_hash_connect skips a port
 * whose bind bucket was made by bind() (tb->fastreuse >= 0) for EVERY destination: a listener's,
 * and a socket's that called bind() before connect() (its TIME_WAIT keeps the bucket). The table
 * shows the listeners but not which connected sockets were bound first, so `held` is every port
 * some socket holds: when it reaches `usable`, bind(0) finds none (EADDRINUSE), and connect()
 * finds none for any destination if those sockets were bound (EADDRNOTAVAIL; doctor probes it).
 */
export interface RangeUse {
  /** Distinct ports of the range, reserved ones left out, held by any socket on any address (listeners included). */
  held: number;
  /** Of them, ports something listens on: skipped by connect() for every destination. */
  listeners: number;
  /** The range's usable ports (reserved ones left out); null when the range is unknown. */
  usable: number | null;
  /** held / usable; null when the range is unknown. */
  share: number | null;
}

export interface DestinationUsage {
  /** "127.0.0.1:7000" or "[::1]:7000". */
  destination: string;
  address: string;
  port: number;
  /** Local ports held towards this destination (every state but LISTEN). */
  inUse: number;
  /** Of those, the ones from the ephemeral range: the ones that count against `usable`. */
  inRange: number;
  timeWait: number;
  /** Distinct local addresses used towards it: each has its own port range. */
  sourceAddresses: number;
  /** usable ports × source addresses; null when the range is unknown. */
  usable: number | null;
  /** inRange / usable (0–1), null when the range is unknown. */
  share: number | null;
  /** tcp_tw_reuse applies to it: on (1, or 2 and a loopback destination) and timestamps on. */
  twReuse: boolean;
  /**
   * TIME_WAIT of `inRange` older than the reuse delay, which a new connect() takes over instead of
   * skipping the port; 0 when twReuse is false; null when their ages could not be read.
   */
  reusable: number | null;
  /**
   * Ports connect() cannot use towards it now: inRange − reusable, plus the listening ports in
   * the range (once per source address). What the verdict judges.
   */
  held: number;
  /** held / usable (0–1); null when the range is unknown. */
  heldShare: number | null;
}

export interface GroupRow {
  key: string;
  count: number;
}

export interface Grouping {
  by: GroupBy;
  state: TcpStateName | 'all';
  rows: GroupRow[];
  /** Sockets in groups beyond the top N. */
  others: number;
  /** How many groups there were in all. */
  groups: number;
  /** Sockets that matched the state. */
  matched: number;
  /** For `process`: processes whose sockets could not be read (not root). */
  unreadableProcesses?: number;
}

export interface StatesCensus {
  schema: 'twstorm/states@1';
  /** ISO time of the reading. */
  at: string;
  /** Sockets listed by the kernel, both families. */
  total: number;
  /** Every state with its count, zeros included, so scripts see a fixed shape. */
  states: Record<TcpStateName, number>;
  ipv4: Record<TcpStateName, number>;
  ipv6: Record<TcpStateName, number>;
  /**
   * Server side: local port is a port something listens on (accepted connections and the
   * TIME_WAIT they leave); client side: everything else.
   */
  side: { client: StateCounts; server: StateCounts };
  listeningPorts: number[];
  portRange: PortRange | null;
  /** The settings that decide which TIME_WAIT connect() may reuse, as read in this namespace. */
  twReuse: TwReuseSettings;
  /** The range as a whole: ports held against every destination (listeners, bound sockets). */
  rangeUse: RangeUse;
  /** Top destinations by ports held (connect() cannot use), then by ports in use. */
  destinations: DestinationUsage[];
  /** How many destinations there were in all. */
  destinationCount: number;
  group: Grouping | null;
  /** Absolute values of WATCH_COUNTERS (since boot / since the namespace was made). */
  counters: Record<string, number>;
  /** sockstat `tw`: live TIME_WAIT, plus orphaned FIN_WAIT2 (the kernel parks both in timewait socks). */
  sockstatTw: number | null;
  /** Time to read everything above and take the census. */
  tookMs: number;
}
