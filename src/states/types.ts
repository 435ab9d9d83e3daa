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
  /** Top destinations by local ports in use. */
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
