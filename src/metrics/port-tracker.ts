// Port churn: which local ports the client used and how soon each came back. With
// tcp_tw_reuse=0 a port that ended in TIME_WAIT cannot carry a new connection to the same
// destination for the full 60 s TIME_WAIT (TCP_TIMEWAIT_LEN); with reuse on it returns after
// about a second. The reuse interval is therefore the most direct reading of what the
// kernel allowed.
import { newHistogram, type Histogram } from './histograms.js';
import { roundMs } from '../util/round.js';
import { countPorts, newPortTable, PortTableView, type PortTableBuffers } from './port-table.js';
import { TIME_WAIT_SECONDS } from '../tcp-facts.js';

/** Linux's TCP_TIMEWAIT_LEN (include/net/tcp.h), fixed at 60 s, in the intervals' microseconds. */
const TIME_WAIT_US = TIME_WAIT_SECONDS * 1_000_000;

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
  /**
   * Connections established before that moment (null: the ports never ran out). A closed loop
   * that ran out spends the rest of its load backing off, so its connections/s over the whole
   * load says little of the rate it reached; this over the time to exhaustion does. Absent in
   * results written before it was counted, which stay readable.
   */
  establishedBeforeExhaustion?: number | null;
  /** Highest number of local ports in use at once, as seen by the driver. */
  peakInUse: number;
}

/** What one engine thread's tracker hands the run's tracker (absorb()); the table itself is shared. */
export interface ThreadPortFigures {
  reuses: number;
  minReuseIntervalMs: number;
  peakInUse: number;
  exhaustedAtMs: number | null;
  /** Connections on the shared table when this thread first met the shortage: the run's, at that moment. */
  establishedBeforeExhaustion: number | null;
}

/**
 * The port table (port-table.ts) with what is read from it: reuse intervals, the first
 * exhaustion, the summary. The undici and `net` drivers key ports by source address on the
 * tracker's own table; an engine thread passes the table its threads share and the address slot.
 */
export class PortTracker {
  private readonly table: PortTableBuffers;
  private readonly view: PortTableView;
  private readonly slots = new Map<string, number>();
  private exhaustedAt: number | null = null;
  private establishedAtExhaustion: number | null = null;
  /** Figures from engine threads, which track ports on the table they share (absorb()). */
  private readonly absorbed = { distinct: 0, reused: 0, reuses: 0, minInterval: Infinity, peakInUse: 0 };
  /** Reuse intervals in microseconds. */
  readonly reuseIntervals: Histogram = newHistogram();

  /** `table`: the engine threads' shared table; none: a table of this tracker's own. */
  constructor(table?: PortTableBuffers) {
    this.table = table ?? newPortTable(0, false);
    this.view = new PortTableView(this.table);
  }

  /** A connection got local `address`:`port` at run time `tMs`; returns the ports now held on that address. */
  opened(port: number, tMs: number, address = ''): number {
    let slot = this.slots.get(address);
    if (slot === undefined) {
      // 768 KiB per address (each port's last use and use count): allocated as each address shows up.
      slot = this.view.addSlot();
      this.slots.set(address, slot);
    }
    return this.openedAt(slot, port, tMs);
  }

  /** The same, by address slot of the table (engine threads: the plan's source address index). */
  openedAt(slot: number, port: number, tMs: number): number {
    const interval = this.view.opened(slot, port, tMs);
    if (interval >= 0) this.reuseIntervals.recordValue(Math.max(1, Math.round(interval * 1000)));
    return this.view.lastHeld;
  }

  /** The connection on a port was closed by the application (the port may still sit in TIME_WAIT). */
  released(): void {
    this.view.released();
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

  /**
   * The kernel found no free port at run time `tMs`. The first time, the connections opened so
   * far are counted off the table (once a run: a pass over its 65,536 counts per address).
   */
  exhausted(tMs: number): void {
    if (this.exhaustedAt !== null) return;
    this.exhaustedAt = tMs;
    this.establishedAtExhaustion = countPorts(this.table).opened;
  }

  /** What this (engine thread's) tracker saw, for the run's tracker to absorb(). */
  threadFigures(): ThreadPortFigures {
    return {
      reuses: this.view.reuses,
      minReuseIntervalMs: this.view.minIntervalMs,
      peakInUse: this.view.peakInUse,
      exhaustedAtMs: this.exhaustedAt,
      establishedBeforeExhaustion: this.establishedAtExhaustion,
    };
  }

  /**
   * Adds the engine threads' figures: `distinct` and `reused` counted on the table they shared
   * (countPorts), the rest from each thread (their reuse intervals are added to reuseIntervals
   * by the caller).
   */
  absorb(part: { distinct: number; reused: number } & ThreadPortFigures): void {
    this.absorbed.distinct += part.distinct;
    this.absorbed.reused += part.reused;
    this.absorbed.reuses += part.reuses;
    this.absorbed.minInterval = Math.min(this.absorbed.minInterval, part.minReuseIntervalMs);
    this.absorbed.peakInUse = Math.max(this.absorbed.peakInUse, part.peakInUse);
    // The earliest thread to meet the shortage counted the shared table then: the run's count.
    if (part.exhaustedAtMs !== null && (this.exhaustedAt === null || part.exhaustedAtMs < this.exhaustedAt)) {
      this.exhaustedAt = part.exhaustedAtMs;
      this.establishedAtExhaustion = part.establishedBeforeExhaustion;
    }
  }

  summary(): PortSummary {
    const h = this.reuseIntervals;
    const own = countPorts(this.table);
    const reuses = this.view.reuses + this.absorbed.reuses;
    return {
      distinct: own.distinct + this.absorbed.distinct,
      reused: own.reused + this.absorbed.reused,
      reuses,
      minReuseIntervalMs: reuses > 0 ? roundMs(Math.min(this.view.minIntervalMs, this.absorbed.minInterval)) : null,
      medianReuseIntervalMs: h.totalCount > 0 ? roundMs(h.getValueAtPercentile(50) / 1000) : null,
      exhaustedAtMs: this.exhaustedAt === null ? null : roundMs(this.exhaustedAt),
      establishedBeforeExhaustion: this.exhaustedAt === null ? null : this.establishedAtExhaustion,
      peakInUse: Math.max(this.view.peakInUse, this.absorbed.peakInUse),
    };
  }
}
