// Port churn: which local ports the client used and how soon each came back. With
// tcp_tw_reuse=0 a port that ended in TIME_WAIT cannot carry a new connection to the same
// destination for the full 60 s TIME_WAIT (TCP_TIMEWAIT_LEN); with reuse on it returns after
// about a second. The reuse interval is therefore the most direct reading of what the
// kernel allowed.
import { newHistogram, type Histogram } from './histograms.js';
import { roundMs } from '../util/round.js';
import { countPorts, newPortTable, PortTableView, type PortTableBuffers } from './port-table.js';

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
  /** 4-tuples this thread opened again within 60 s of their last open (null: not counted). */
  reusesWithinTimeWait: number | null;
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
  private readonly absorbed = { distinct: 0, reused: 0, reuses: 0, minInterval: Infinity, peakInUse: 0, withinTimeWait: 0 as number | null };
  /** Reuse intervals in microseconds. */
  readonly reuseIntervals: Histogram = newHistogram();

  /**
   * `table`: the engine threads' shared table; none: a table of this tracker's own, for
   * connections to `destinations` server ports (numbered 0… in opened()).
   */
  constructor(table?: PortTableBuffers, destinations = 1) {
    this.table = table ?? newPortTable(0, false, destinations);
    this.view = new PortTableView(this.table);
  }

  /**
   * A connection got local `address`:`port` at run time `tMs`, to server port number
   * `destination` of the run's (0…); returns the ports now held on that address.
   */
  opened(port: number, tMs: number, address = '', destination = 0): number {
    let slot = this.slots.get(address);
    if (slot === undefined) {
      // 768 KiB per address (each port's last use and use count): allocated as each address shows up.
      slot = this.view.addSlot();
      this.slots.set(address, slot);
    }
    return this.openedAt(slot, port, tMs, destination);
  }

  /** The same, by address slot of the table (engine threads: the plan's source address index). */
  openedAt(slot: number, port: number, tMs: number, destination = 0): number {
    const interval = this.view.opened(slot, port, tMs, destination);
    if (interval >= 0) this.reuseIntervals.recordValue(Math.max(1, Math.round(interval * 1000)));
    return this.view.lastHeld;
  }

  /** The connection on a port was closed by the application (the port may still sit in TIME_WAIT). */
  released(): void {
    this.view.released();
  }

  /**
   * 4-tuple reuses that came less than 60 s (TCP_TIMEWAIT_LEN) after that tuple's previous
   * open: the ones that found it still in TIME_WAIT on a side that had closed first. Counted
   * per (address, port, server port): with several server ports a port reused towards another
   * one meets no TIME_WAIT (it was once counted, and the result said 235 reopened where the
   * kernel had 3,000 distinct tuples). null: too many server ports to count (port-table.ts).
   */
  get reusesWithinTimeWait(): number | null {
    const own = this.view.tupleReusesWithinTimeWait;
    const absorbed = this.absorbed.withinTimeWait;
    return own === null || absorbed === null ? null : own + absorbed;
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
      reusesWithinTimeWait: this.view.tupleReusesWithinTimeWait,
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
    this.absorbed.withinTimeWait = this.absorbed.withinTimeWait === null || part.reusesWithinTimeWait === null ? null : this.absorbed.withinTimeWait + part.reusesWithinTimeWait;
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
