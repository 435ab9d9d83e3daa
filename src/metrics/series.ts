// Per-interval counts on the run's clock. Fixed-width buckets (the scenario's sample interval)
// make the driver's rates line up with the kernel samples taken on the same clock.
import { byCodeUnit } from '../util/order.js';

export class IntervalSeries {
  private readonly columns = new Map<string, number[]>();

  constructor(readonly intervalMs: number) {}

  add(name: string, tMs: number, n = 1): void {
    let column = this.columns.get(name);
    if (column === undefined) {
      column = [];
      this.columns.set(name, column);
    }
    const bucket = Math.max(0, Math.floor(tMs / this.intervalMs));
    while (column.length <= bucket) column.push(0);
    column[bucket] = (column[bucket] ?? 0) + n;
  }

  /** Columns padded to one length, with the bucket start times, ready for charts. */
  toJSON(): { intervalMs: number; t: number[]; columns: Record<string, number[]> } {
    let length = 0;
    for (const column of this.columns.values()) length = Math.max(length, column.length);
    const columns: Record<string, number[]> = {};
    for (const [name, column] of [...this.columns].sort(([a], [b]) => byCodeUnit(a, b))) {
      columns[name] = [...column, ...new Array<number>(length - column.length).fill(0)];
    }
    const t = Array.from({ length }, (_, i) => i * this.intervalMs);
    return { intervalMs: this.intervalMs, t, columns };
  }
}
