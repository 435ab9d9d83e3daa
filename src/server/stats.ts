// What either bundled server (TCP echo or HTTP) counts and what the server child needs of it.
// Its own module so the servers and their shared listening code (listen.ts) import it without
// importing each other.

/** The bundled server's own counts, the same fields under tcp and http. */
export interface ServerStats {
  accepted: number;
  /** Answers sent: echo replies under tcp, responses under http. */
  replied: number;
  /** FINs this server sent first (active closes); answering the client's FIN is not counted. */
  closedFin: number;
  closedRst: number;
  open: number;
  errors: Record<string, number>;
  /** The engine server: how its threads served, "io_uring" only when every one did (src/engine/io-choice.ts). */
  io?: 'io_uring' | 'epoll';
  /** Why the engine server served on epoll (TWSTORM_IO_URING=off, an SO_LINGER n close, or why its ring could not be made). */
  ioFallback?: string;
  /** Accepted connections per listening socket (several with SO_REUSEPORT or several ports). */
  acceptedPerListener?: number[];
  /**
   * The engine server: wake-ups for a connection that its first accept() found already taken by
   * another thread (a thundering herd across threads sharing a listener; ~0 when each waits with
   * EPOLLEXCLUSIVE, or with a listener per thread).
   */
  emptyAccepts?: number;
  /** SO_LINGER n closes: how many, and how long close() blocked (off the event loop). */
  linger?: LingerStats;
}

export interface LingerStats {
  closes: number;
  blockedMsTotal: number;
  blockedMsMax: number;
}

/** What the server child needs of either bundled server. */
export interface BundledServer {
  /** Opens the listeners; resolves to the ports listened on. */
  listen(): Promise<number[]>;
  /** Stops accepting (connections already accepted go on). */
  stopListening(): Promise<void>;
  stats(): ServerStats;
  close(): Promise<void>;
}
