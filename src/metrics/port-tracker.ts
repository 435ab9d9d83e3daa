// Port churn: which local ports the client used and how soon each came back. With
// tcp_tw_reuse=0 a port that ended in TIME_WAIT cannot carry a new connection to the same
// destination for the full 60 s TIME_WAIT (TCP_TIMEWAIT_LEN); with reuse on it returns after
// about a second. The reuse interval is therefore the most direct reading of what the
// kernel allowed.
import { newHistogram, type Histogram } from './histograms.js';
import { roundMs } from '../util/round.js';
import { newHeldWindow, type HeldWindow } from './held-ports.js';

/** Linux's TCP_TIMEWAIT_LEN (include/net/tcp.h), fixed at 60 s, in the intervals' microseconds. */
const TIME_WAIT_US = 60_000_000;

export interface PortSummary {
  /** Distinct local (address, port) pairs. */
  distinct: number;
  /** Ports that carried more than one connection. */
  reused: number;
  /** Total reuse events (connections on a port that had been used before). */
  reuses: number;
  minReuseIntervalMs: number | null;
  medianReuseIntervalMs: number | null;
  /** Run time of the first EADDRNOTAVAIL: the moment the kernel found no free port. */
  exhaustedAtMs: number | null;
  /** Highest number of local ports in use at once, as seen by the driver. */
  peakInUse: number;
}

/** One local address's ports, laid out as the engine's shared table (src/engine/port-table.ts). */
interface AddressPorts {
  /** Last use of each port, run time in ms (NaN: never). */
  readonly lastUse: Float64Array;
  /** Connections each port carried. */
  readonly uses: Int32Array;
  readonly held: HeldWindow;
}

function newAddressPorts(): AddressPorts {
  return { lastUse: new Float64Array(65536).fill(NaN), uses: new Int32Array(65536), held: newHeldWindow() };
}

export class PortTracker {
  // Per local address: with several source addresses, port 40000 on 127.0.0.2 and on 127.0.0.3
  // are two different ports to the kernel (two 4-tuples). Indexed by port in typed arrays, as
  // the engine's table is: a Map keyed by "address|port" cost a string and four lookups per
  // connection on the thread that also runs undici.
  private readonly addresses = new Map<string, AddressPorts>();
  private distinct = 0;
  private reusedPorts = 0;
  private reuses = 0;
  private minInterval = Infinity;
  private inUse = 0;
  private peakInUse = 0;
  private exhaustedAt: number | null = null;
  /** Totals from engine threads, which track ports on shared typed arrays (src/engine/port-table.ts). */
  private readonly absorbed = { distinct: 0, reused: 0 };
  /** Reuse intervals in microseconds. */
  readonly reuseIntervals: Histogram = newHistogram();

  /** A connection got local `address`:`port` at run time `tMs`; returns the ports now held on that address. */
  opened(port: number, tMs: number, address = ''): number {
    let ports = this.addresses.get(address);
    if (ports === undefined) {
      ports = newAddressPorts();
      this.addresses.set(address, ports);
    }
    const previous = ports.lastUse[port]!;
    ports.lastUse[port] = tMs;
    const held = ports.held.opened(previous, tMs);
    if (!Number.isNaN(previous)) {
      const interval = tMs - previous;
      this.reuses++;
      if (interval < this.minInterval) this.minInterval = interval;
      this.reuseIntervals.recordValue(Math.max(1, Math.round(interval * 1000)));
    }
    const count = ++ports.uses[port]!;
    if (count === 1) this.distinct++;
    else if (count === 2) this.reusedPorts++;
    this.inUse++;
    if (this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    return held;
  }

  /** The connection on a port was closed by the application (the port may still sit in TIME_WAIT). */
  released(): void {
    if (this.inUse > 0) this.inUse--;
  }

  /**
   * Reuses that came less than 60 s (TCP_TIMEWAIT_LEN) after the port's previous connection:
   * the ones that found their 4-tuple still in TIME_WAIT on a side that had closed first. Read
   * from the reuse intervals (recorded here and by the engine threads alike): all of them when
   * the longest is under 60 s, as in any run shorter than that; else the share below 60 s, to
   * the histogram's 3 significant digits.
   */
  get reusesWithinTimeWait(): number {
    const h = this.reuseIntervals;
    const n = h.totalCount;
    if (n === 0) return 0;
    if (h.maxValue < TIME_WAIT_US) return n;
    let lo = 0;
    let hi = 100;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (h.getValueAtPercentile(mid) < TIME_WAIT_US) lo = mid;
      else hi = mid;
    }
    return Math.round((n * lo) / 100);
  }

  exhausted(tMs: number): void {
    if (this.exhaustedAt === null) this.exhaustedAt = tMs;
  }

  /** Adds an engine's port figures (its reuse intervals are added to reuseIntervals by the caller). */
  absorb(part: { distinct: number; reused: number; reuses: number; minReuseIntervalMs: number; peakInUse: number; exhaustedAtMs: number | null }): void {
    this.absorbed.distinct += part.distinct;
    this.absorbed.reused += part.reused;
    this.reuses += part.reuses;
    this.minInterval = Math.min(this.minInterval, part.minReuseIntervalMs);
    this.peakInUse = Math.max(this.peakInUse, part.peakInUse);
    if (part.exhaustedAtMs !== null) this.exhaustedAt = Math.min(this.exhaustedAt ?? Infinity, part.exhaustedAtMs);
  }

  summary(): PortSummary {
    const h = this.reuseIntervals;
    return {
      distinct: this.distinct + this.absorbed.distinct,
      reused: this.reusedPorts + this.absorbed.reused,
      reuses: this.reuses,
      minReuseIntervalMs: this.reuses > 0 ? roundMs(this.minInterval) : null,
      medianReuseIntervalMs: h.totalCount > 0 ? roundMs(h.getValueAtPercentile(50) / 1000) : null,
      exhaustedAtMs: this.exhaustedAt === null ? null : roundMs(this.exhaustedAt),
      peakInUse: this.peakInUse,
    };
  }
}
