// Port churn across engine threads, on shared typed arrays: for each source address, the last
// time each of the 65,536 ports was handed out and how often. Every thread writes the same
// table, so a port the kernel gives to thread A and later to thread B still counts as one port
// reused once, with the interval between the two — exactly what one loop would have seen.
// (A Map keyed by "address|port" per thread could not be merged that way.)
import { HELD_WINDOW_INTS, HeldWindow } from '../metrics/held-ports.js';

export interface PortTableBuffers {
  /** Per address slot: Float64Array(65536) of last-use run times (NaN = never). */
  lastUse: SharedArrayBuffer[];
  /** Per address slot: Int32Array(65536) of use counts. */
  uses: SharedArrayBuffer[];
  /** Int32Array [inUse]. */
  inUse: SharedArrayBuffer;
  /** Per address slot: the ports-held window (src/metrics/held-ports.ts), shared by every thread. */
  held: SharedArrayBuffer[];
}

export function newPortTable(addressSlots: number): PortTableBuffers {
  const lastUse = Array.from({ length: Math.max(1, addressSlots) }, () => {
    const sab = new SharedArrayBuffer(65536 * 8);
    new Float64Array(sab).fill(NaN);
    return sab;
  });
  const uses = lastUse.map(() => new SharedArrayBuffer(65536 * 4));
  const held = lastUse.map(() => {
    const sab = new SharedArrayBuffer(HELD_WINDOW_INTS * 4);
    HeldWindow.init(new Int32Array(sab));
    return sab;
  });
  return { lastUse, uses, inUse: new SharedArrayBuffer(4), held };
}

/** One thread's view: opened() returns the reuse interval in ms (or -1 for a first use). */
export class PortTableView {
  private readonly lastUse: Float64Array[];
  private readonly uses: Int32Array[];
  private readonly inUse: Int32Array;
  private readonly held: HeldWindow[];
  /** Ports held on the address slot of the last opened() (held-ports.ts). */
  lastHeld = 0;
  /** The highest in-use count this thread saw right after its own increment. */
  peakInUse = 0;
  reuses = 0;
  minIntervalMs = Infinity;

  constructor(buffers: PortTableBuffers) {
    this.lastUse = buffers.lastUse.map((b) => new Float64Array(b));
    this.uses = buffers.uses.map((b) => new Int32Array(b));
    this.inUse = new Int32Array(buffers.inUse);
    this.held = buffers.held.map((b) => new HeldWindow(new Int32Array(b)));
  }

  opened(slot: number, port: number, tMs: number): number {
    const last = this.lastUse[slot]!;
    const previous = last[port]!;
    last[port] = tMs;
    this.lastHeld = this.held[slot]!.opened(previous, tMs);
    Atomics.add(this.uses[slot]!, port, 1);
    const now = Atomics.add(this.inUse, 0, 1) + 1;
    if (now > this.peakInUse) this.peakInUse = now;
    if (Number.isNaN(previous)) return -1;
    const interval = tMs - previous;
    this.reuses++;
    if (interval < this.minIntervalMs) this.minIntervalMs = interval;
    return interval;
  }

  released(): void {
    Atomics.sub(this.inUse, 0, 1);
  }
}

/** Distinct (address, port) pairs used, and how many were used more than once. */
export function countPorts(buffers: PortTableBuffers): { distinct: number; reused: number } {
  let distinct = 0;
  let reused = 0;
  for (const sab of buffers.uses) {
    const uses = new Int32Array(sab);
    for (let p = 0; p < uses.length; p++) {
      const n = uses[p]!;
      if (n > 0) distinct++;
      if (n > 1) reused++;
    }
  }
  return { distinct, reused };
}
