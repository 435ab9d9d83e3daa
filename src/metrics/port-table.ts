// The port table: for each local (source) address, the last time each of the 65,536 ports was
// handed out and how often, and the ports held in the last 60 s (held-ports.ts). One layout
// serves both drivers: the engine's threads share one table on SharedArrayBuffers, so a port
// the kernel gives to thread A and later to thread B counts as one port reused once, with the
// interval between the two — exactly what one loop would have seen (a Map keyed by
// "address|port" per thread could not be merged that way); the undici and `net` drivers keep
// one on plain ArrayBuffers, an address slot added as each new source address shows up.
import { HELD_WINDOW_INTS, HeldWindow } from './held-ports.js';
import { TIME_WAIT_SECONDS } from '../tcp-facts.js';

const TIME_WAIT_MS = TIME_WAIT_SECONDS * 1000;
/**
 * 4-tuple tables kept at most (address slots × destinations): 256 KiB each, 16 MiB in all. A
 * run with more (up to 1,024 server ports) leaves its 4-tuple reuses uncounted, not guessed.
 */
export const MAX_TUPLE_TABLES = 64;

export interface PortTableBuffers {
  /** Per address slot: Float64Array(65536) of last-use run times (NaN = never). */
  lastUse: ArrayBufferLike[];
  /** Per address slot: Int32Array(65536) of use counts. */
  uses: ArrayBufferLike[];
  /** Int32Array [inUse]. */
  inUse: ArrayBufferLike;
  /** Per address slot: the ports-held window (held-ports.ts). */
  held: ArrayBufferLike[];
  /** The destinations (server ports) connections go to, numbered 0… by the caller. */
  destinations: number;
  /**
   * With several destinations, per address slot × destination (slot · destinations +
   * destination): a Float32Array(65536) of each 4-tuple's last open, run ms (NaN: never; float32
   * keeps 8 ms steps at a day in, plenty against TIME_WAIT's 60 s). With one destination a
   * port's last use is its 4-tuple's: empty. null: more tables than MAX_TUPLE_TABLES, not counted.
   */
  tuples: ArrayBufferLike[] | null;
}

type Alloc = (bytes: number) => ArrayBufferLike;
const sharedMemory: Alloc = (bytes) => new SharedArrayBuffer(bytes);
const ownMemory: Alloc = (bytes) => new ArrayBuffer(bytes);

function addSlotBuffers(table: PortTableBuffers, alloc: Alloc): void {
  const lastUse = alloc(65536 * 8);
  new Float64Array(lastUse).fill(NaN);
  const held = alloc(HELD_WINDOW_INTS * 4);
  HeldWindow.init(new Int32Array(held));
  table.lastUse.push(lastUse);
  table.uses.push(alloc(65536 * 4));
  table.held.push(held);
  if (table.destinations === 1 || table.tuples === null) return;
  if (table.lastUse.length * table.destinations > MAX_TUPLE_TABLES) {
    table.tuples = null;
    return;
  }
  for (let d = 0; d < table.destinations; d++) {
    const tuples = alloc(65536 * 4);
    new Float32Array(tuples).fill(NaN);
    table.tuples.push(tuples);
  }
}

/**
 * A table for `addressSlots` source addresses (more are added as they show up on a table of
 * one thread's own) and `destinations` server ports: shared between threads, or one thread's own.
 */
export function newPortTable(addressSlots: number, shared = true, destinations = 1): PortTableBuffers {
  const alloc = shared ? sharedMemory : ownMemory;
  const table: PortTableBuffers = { lastUse: [], uses: [], inUse: alloc(4), held: [], destinations: Math.max(1, destinations), tuples: [] };
  for (let i = 0; i < addressSlots; i++) addSlotBuffers(table, alloc);
  return table;
}

/** One thread's view: opened() returns the reuse interval in ms (or -1 for a first use). */
export class PortTableView {
  private readonly lastUse: Float64Array[];
  private readonly uses: Int32Array[];
  private readonly inUse: Int32Array;
  private readonly held: HeldWindow[];
  /** Ports held on the address slot of the last opened() (held-ports.ts). */
  lastHeld = 0;
  /** The highest in-use count this view saw right after its own increment. */
  peakInUse = 0;
  reuses = 0;
  minIntervalMs = Infinity;
  /**
   * Opens of a 4-tuple (address, port, destination) whose previous open was under 60 s
   * (TCP_TIMEWAIT_LEN) before: the ones that met that tuple's TIME_WAIT wherever a side that
   * closed first still held it. null: not counted (table.tuples).
   */
  tupleReusesWithinTimeWait: number | null = 0;
  private tuples: Float32Array[] = [];

  constructor(private readonly table: PortTableBuffers) {
    this.lastUse = table.lastUse.map((b) => new Float64Array(b));
    this.uses = table.uses.map((b) => new Int32Array(b));
    this.inUse = new Int32Array(table.inUse);
    this.held = table.held.map((b) => new HeldWindow(new Int32Array(b)));
    this.viewTuples();
  }

  private viewTuples(): void {
    if (this.table.tuples === null) this.tupleReusesWithinTimeWait = null;
    else this.tuples = this.table.tuples.map((b) => new Float32Array(b));
  }

  /** A slot for one more source address, on this view's own (unshared) table; returns its index. */
  addSlot(): number {
    // A shared table's slots are the plan's source addresses, fixed before its threads start.
    if (this.table.inUse instanceof SharedArrayBuffer) throw new Error('a shared port table gets no new address slot: pass the slot of the plan\'s source address (openedAt)');
    addSlotBuffers(this.table, ownMemory);
    const i = this.table.lastUse.length - 1;
    this.lastUse.push(new Float64Array(this.table.lastUse[i]!));
    this.uses.push(new Int32Array(this.table.uses[i]!));
    this.held.push(new HeldWindow(new Int32Array(this.table.held[i]!)));
    this.viewTuples();
    return i;
  }

  /** A connection got `port` on address `slot`, to destination `destination` (0…destinations-1); returns the reuse interval, ms, or -1. */
  opened(slot: number, port: number, tMs: number, destination = 0): number {
    const last = this.lastUse[slot]!;
    const previous = last[port]!;
    // Engine threads share this table and each reads the clock once per loop turn, so a port
    // handed from one thread to another can arrive with a time up to a turn older than its
    // last use there: that reuse counts as 0 ms (never negative), and the later time stays.
    const t = Number.isNaN(previous) ? tMs : Math.max(tMs, previous);
    last[port] = t;
    if (this.tupleReusesWithinTimeWait !== null) {
      let before = previous;
      if (this.table.destinations > 1) {
        const tuples = this.tuples[slot * this.table.destinations + destination]!;
        before = tuples[port]!;
        tuples[port] = t;
      }
      if (t - before < TIME_WAIT_MS) this.tupleReusesWithinTimeWait++;
    }
    this.lastHeld = this.held[slot]!.opened(previous, t);
    Atomics.add(this.uses[slot]!, port, 1);
    const now = Atomics.add(this.inUse, 0, 1) + 1;
    if (now > this.peakInUse) this.peakInUse = now;
    if (Number.isNaN(previous)) return -1;
    const interval = Math.max(0, tMs - previous);
    this.reuses++;
    if (interval < this.minIntervalMs) this.minIntervalMs = interval;
    return interval;
  }

  /** The connection on a port was closed by the application (the port may still sit in TIME_WAIT). */
  released(): void {
    // Never below zero: a release without its open is ignored (undone) rather than counted.
    if (Atomics.sub(this.inUse, 0, 1) <= 0) Atomics.add(this.inUse, 0, 1);
  }
}

/**
 * Distinct (address, port) pairs used, how many were used more than once, and the connections
 * opened on them all: every established connection is one use, so on the table the engine's
 * threads share this is the whole run's count at the moment it is read, whichever thread reads.
 */
export function countPorts(table: PortTableBuffers): { distinct: number; reused: number; opened: number } {
  let distinct = 0;
  let reused = 0;
  let opened = 0;
  for (const buffer of table.uses) {
    const uses = new Int32Array(buffer);
    for (let p = 0; p < uses.length; p++) {
      const n = uses[p]!;
      opened += n;
      if (n > 0) distinct++;
      if (n > 1) reused++;
    }
  }
  return { distinct, reused, opened };
}
