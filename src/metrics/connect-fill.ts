// connect() latency against the ports the client holds, split by the local port's parity.
//
// Why: an unbound connect() picks its port in __inet_hash_connect (net/ipv4/inet_hashtables.c),
// which walks the range from a hashed offset in steps of 2 — first the ports with the parity of
// the range's low end (even for the default 32768), then the other parity — and for every port
// that is held takes its bind-bucket lock and, when the bucket came from connect(), looks the
// 4-tuple up in the established hash. While ports of the first parity are free the walk is short
// (the offset moves on past the port it found: table_perturb); once they are all held, every
// connect() walks all of them before it tries one of the other parity. That is the cliff: at
// about half the range connect() becomes many times slower, long before EADDRNOTAVAIL, and a
// client spins in the kernel. (With a per-socket IP_LOCAL_PORT_RANGE the step is 1: no parity.)
//
// Recorded per connection, allocation-free: counts in fixed cells of typed arrays (held bucket ×
// parity × latency bin, and run-clock interval × parity × latency bin) plus one HdrHistogram per
// parity. Cells add, so threads, processes and machines merge exactly.
import { addCounts, histogramCounts, newHistogram, type Histogram, type HistogramCounts } from './histograms.js';

/** Ports per held bucket: fine enough for a few-thousand-port range, 1,024 buckets for all 65,536. */
export const HELD_BUCKET_PORTS = 64;
const HELD_BUCKETS = 65536 / HELD_BUCKET_PORTS;
/** Latency bins: 4 per doubling from 1 µs (each ±9 %), 96 of them up to 2^24 µs (16.8 s). */
export const BINS_PER_DOUBLING = 4;
export const LATENCY_BINS = 96;
const ROW = 2 * LATENCY_BINS; // both parities of one held bucket or one interval

/**
 * What the latency is: 'connect-call' the time inside the connect() system call (the engine:
 * the port scan itself, plus on loopback the handshake the kernel runs within the call);
 * 'established' from the connect request to the connection being up (the `net` fallback,
 * which cannot time the call libuv makes: it includes the event loop's delay).
 */
export type ConnectMeasure = 'connect-call' | 'established';

export interface ParityFacts {
  connections: number;
  /** Run time of the first connection that got a port of this parity. */
  firstAtMs: number | null;
  /** Fewest ports held when a connection got a port of this parity (the port itself included). */
  minHeld: number | null;
}

/**
 * The recorder as plain data that adds exactly: what an engine thread hands its run (the
 * histograms as slot counts) and, with the histograms compressed, what a result stores
 * (ConnectFillData, written and read by src/result/connect-fill-data.ts).
 */
export interface ConnectFillCells<H = HistogramCounts> {
  measure: ConnectMeasure;
  heldBucketPorts: number;
  binsPerDoubling: number;
  intervalMs: number;
  /** Flat quads [held bucket, parity (0 even, 1 odd), latency bin, count], non-zero cells only. */
  byHeld: number[];
  /** Flat quads [interval (run clock ÷ intervalMs), parity, latency bin, count]. */
  byTime: number[];
  /** Per interval: the most ports held at a connect in it (0: none). */
  heldMax: number[];
  parity: { even: ParityFacts; odd: ParityFacts };
  /** HdrHistograms of the latency (µs) by parity. */
  histograms: { even: H; odd: H };
}

/**
 * The same cells with even and odd exchanged. A shard whose slice of the range begins on an odd
 * port tries odd ports first: merged as they are, its first parity would land in the other's
 * column (an audit: a 3-shard merge read 6,667 even / 3,333 odd, and "even first").
 */
export function withParitySwapped<H>(c: ConnectFillCells<H>): ConnectFillCells<H> {
  const flip = (quads: readonly number[]): number[] => quads.map((v, i) => (i % 4 === 1 ? v ^ 1 : v));
  return { ...c, byHeld: flip(c.byHeld), byTime: flip(c.byTime), parity: { even: c.parity.odd, odd: c.parity.even }, histograms: { even: c.histograms.odd, odd: c.histograms.even } };
}

/** The cells as a result stores them: the histograms compressed base64. */
export type ConnectFillData = ConnectFillCells<string>;

/** The latency bin of `us` microseconds. */
export function binOf(us: number): number {
  if (us <= 1) return 0;
  const b = Math.floor(Math.log2(us) * BINS_PER_DOUBLING);
  return b >= LATENCY_BINS ? LATENCY_BINS - 1 : b;
}

/** A bin's middle (geometric), in µs: what a percentile read from bins answers. */
export function binMiddleUs(bin: number): number {
  return 2 ** ((bin + 0.5) / BINS_PER_DOUBLING);
}

export class ConnectFill {
  private readonly byHeld = new Uint32Array(HELD_BUCKETS * ROW);
  /** Held buckets below this may hold counts: the hand-over scans these rows, not all 1,024 (200,000 cells, ~35 ms per thread at a run's end). */
  private heldRows = 0;
  private byTime = new Uint32Array(64 * ROW);
  private heldMax = new Int32Array(64);
  private intervals = 0;
  readonly even: Histogram = newHistogram();
  readonly odd: Histogram = newHistogram();
  private readonly facts: [ParityFacts, ParityFacts] = [
    { connections: 0, firstAtMs: null, minHeld: null },
    { connections: 0, firstAtMs: null, minHeld: null },
  ];

  constructor(
    readonly intervalMs: number,
    public measure: ConnectMeasure,
  ) {}

  /** A connection got local `port` at run time `tMs` with `held` ports held; its connect took `us`. */
  record(tMs: number, port: number, held: number, us: number): void {
    const parity = port & 1;
    const bin = binOf(us);
    const bucket = Math.min(HELD_BUCKETS - 1, Math.floor(held / HELD_BUCKET_PORTS));
    this.byHeld[bucket * ROW + parity * LATENCY_BINS + bin]!++;
    if (bucket >= this.heldRows) this.heldRows = bucket + 1;
    const interval = Math.max(0, Math.floor(tMs / this.intervalMs));
    if (interval >= this.intervals) this.grow(interval + 1);
    this.byTime[interval * ROW + parity * LATENCY_BINS + bin]!++;
    if (held > this.heldMax[interval]!) this.heldMax[interval] = held;
    (parity === 0 ? this.even : this.odd).recordValue(Math.max(1, Math.round(us)));
    const f = this.facts[parity]!;
    f.connections++;
    if (f.firstAtMs === null || tMs < f.firstAtMs) f.firstAtMs = tMs;
    if (f.minHeld === null || held < f.minHeld) f.minHeld = held;
  }

  /** Doubles the time rows (amortised: a handful of times per run, never per connection). */
  private grow(intervals: number): void {
    let rows = this.heldMax.length;
    while (rows < intervals) rows *= 2;
    if (rows !== this.heldMax.length) {
      const byTime = new Uint32Array(rows * ROW);
      byTime.set(this.byTime);
      this.byTime = byTime;
      const heldMax = new Int32Array(rows);
      heldMax.set(this.heldMax);
      this.heldMax = heldMax;
    }
    this.intervals = intervals;
  }

  /**
   * Adds another recorder's data. `offsetMs` moves its intervals onto this clock (another
   * process's run started later); `sharedHeld`: engine threads count held ports in one shared
   * window, so their peaks are one peak (max), while separate processes or hosts hold separate
   * ports, which add up.
   */
  absorb(data: ConnectFillCells, offsetMs = 0, sharedHeld = true): void {
    if (data.heldBucketPorts !== HELD_BUCKET_PORTS || data.binsPerDoubling !== BINS_PER_DOUBLING) {
      throw new Error(`connect-fill cells of ${data.heldBucketPorts} ports × ${data.binsPerDoubling} bins per doubling cannot be added to ${HELD_BUCKET_PORTS} × ${BINS_PER_DOUBLING}`);
    }
    // An empty recorder takes the measure of what it absorbs (the engine threads time the call).
    if (this.connections === 0) this.measure = data.measure;
    for (let k = 0; k + 3 < data.byHeld.length; k += 4) {
      this.byHeld[data.byHeld[k]! * ROW + data.byHeld[k + 1]! * LATENCY_BINS + data.byHeld[k + 2]!]! += data.byHeld[k + 3]!;
      if (data.byHeld[k]! >= this.heldRows) this.heldRows = data.byHeld[k]! + 1;
    }
    const at = (i: number): number => Math.max(0, Math.floor((i * data.intervalMs + offsetMs) / this.intervalMs));
    for (let k = 0; k + 3 < data.byTime.length; k += 4) {
      const interval = at(data.byTime[k]!);
      if (interval >= this.intervals) this.grow(interval + 1);
      this.byTime[interval * ROW + data.byTime[k + 1]! * LATENCY_BINS + data.byTime[k + 2]!]! += data.byTime[k + 3]!;
    }
    const heldInto = new Map<number, number>();
    data.heldMax.forEach((h, i) => {
      const interval = at(i);
      heldInto.set(interval, Math.max(heldInto.get(interval) ?? 0, h));
    });
    for (const [interval, h] of heldInto) {
      if (interval >= this.intervals) this.grow(interval + 1);
      this.heldMax[interval] = sharedHeld ? Math.max(this.heldMax[interval]!, h) : this.heldMax[interval]! + h;
    }
    addCounts(this.even, data.histograms.even);
    addCounts(this.odd, data.histograms.odd);
    for (const [i, name] of (['even', 'odd'] as const).entries()) {
      const f = this.facts[i]!;
      const g = data.parity[name];
      f.connections += g.connections;
      if (g.firstAtMs !== null) f.firstAtMs = Math.min(f.firstAtMs ?? Infinity, g.firstAtMs + offsetMs);
      if (g.minHeld !== null) f.minHeld = Math.min(f.minHeld ?? Infinity, g.minHeld);
    }
  }

  get connections(): number {
    return this.facts[0].connections + this.facts[1].connections;
  }

  /** The recorder as data that adds exactly, its histograms as slot counts (a thread's hand-over). */
  cells(): ConnectFillCells {
    return this.cellsWith(histogramCounts);
  }

  /** The same with the histograms in the form `histogram` makes (a result's: compressed). */
  cellsWith<H>(histogram: (h: Histogram) => H): ConnectFillCells<H> {
    return {
      measure: this.measure,
      heldBucketPorts: HELD_BUCKET_PORTS,
      binsPerDoubling: BINS_PER_DOUBLING,
      intervalMs: this.intervalMs,
      byHeld: sparse(this.byHeld, this.heldRows),
      byTime: sparse(this.byTime, this.intervals),
      heldMax: Array.from(this.heldMax.subarray(0, this.intervals)),
      parity: { even: { ...this.facts[0] }, odd: { ...this.facts[1] } },
      histograms: { even: histogram(this.even), odd: histogram(this.odd) },
    };
  }
}

function sparse(cells: Uint32Array, rows: number): number[] {
  const out: number[] = [];
  for (let row = 0; row < rows; row++) {
    for (let parity = 0; parity < 2; parity++) {
      const base = row * ROW + parity * LATENCY_BINS;
      for (let bin = 0; bin < LATENCY_BINS; bin++) {
        const n = cells[base + bin]!;
        if (n > 0) out.push(row, parity, bin, n);
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ reading the cells back

/** Latency counts per bin for a group of cells (held buckets or intervals, one or both parities). */
export interface Bins {
  count: number;
  bins: Float64Array;
}

export function emptyBins(): Bins {
  return { count: 0, bins: new Float64Array(LATENCY_BINS) };
}

/** The quads whose first field passes `keep` and parity matches (null: both), added into bins. */
export function collect(quads: readonly number[], keep: (first: number) => boolean, parity: 0 | 1 | null, into = emptyBins()): Bins {
  for (let k = 0; k + 3 < quads.length; k += 4) {
    if (!keep(quads[k]!)) continue;
    if (parity !== null && quads[k + 1] !== parity) continue;
    into.bins[quads[k + 2]!]! += quads[k + 3]!;
    into.count += quads[k + 3]!;
  }
  return into;
}

/** The p-th percentile (0–100) of binned latencies, in ms (a bin's middle, ±9 %); null when empty. */
export function binPercentileMs(b: Bins, p: number): number | null {
  if (b.count === 0) return null;
  const target = Math.max(1, Math.ceil((p / 100) * b.count));
  let seen = 0;
  for (let bin = 0; bin < LATENCY_BINS; bin++) {
    seen += b.bins[bin]!;
    if (seen >= target) return Math.round(binMiddleUs(bin)) / 1000;
  }
  return Math.round(binMiddleUs(LATENCY_BINS - 1)) / 1000;
}
