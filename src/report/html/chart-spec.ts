// The data a chart needs, computed in Node and embedded in the page as JSON: the browser side
// only draws. Every series carries its own colour AND dash pattern, so lines stay apart when
// printed in grey or seen without colour.
import { int } from '../../util/format.js';
import { sortedUnion } from '../../util/sorted-union.js';

export interface LineStyle {
  color: string;
  /** Canvas dash pattern; [] is solid. */
  dash: number[];
  /** The CSS border-style that mimics `dash` in the legend swatch. */
  legend: 'solid' | 'dashed' | 'dotted' | 'double';
}

export interface SeriesSpec {
  label: string;
  values: Array<number | null>;
  style: LineStyle;
  /** Draw a marker at every point. */
  points: boolean;
  /**
   * Only for a series sampled at moments of its own (the census): x ranges between two
   * consecutive points too far apart to join, where no line is drawn — a straight line there would
   * be a guess at what happened between two looks. Absent: every point is joined.
   */
  breaks?: Array<[number, number]>;
  /** With `breaks`: indices of the points drawn as markers, those not joined on both sides. */
  marks?: number[];
}

export interface Marker {
  /** Position on the x axis (seconds for time charts). */
  x: number;
  label: string;
}

/** 'value': a plain linear x axis of counts (e.g. ports held), labelled as numbers. */
export type ChartKind = 'time' | 'percentile' | 'histogram' | 'value';

export interface ChartSpec {
  id: string;
  title: string;
  /** What the chart shows, one sentence, also used as the canvas' accessible description. */
  description: string;
  /** Caveats (approximations, missing data) printed under the chart. */
  notes: string[];
  kind: ChartKind;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: SeriesSpec[];
  markers: Marker[];
  /** Fixed x range [min, max]: time charts share one, so their cursors line up. */
  xRange?: [number, number];
  /** Where the x axis has its ticks, when the chart knows better than decades (a histogram's bin edges). */
  xTicks?: number[];
  /** Fixed y maximum: small multiples share one, so equal heights mean equal values. */
  yMax?: number;
  /** Small multiples: consecutive charts of one group are drawn side by side under one heading. */
  group?: ChartGroup;
}

export interface ChartGroup {
  id: string;
  title: string;
  description: string;
  notes: string[];
}

// Okabe–Ito: distinguishable with the common colour-vision deficiencies (yellow left out: too
// faint on white).
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES: Array<Pick<LineStyle, 'dash' | 'legend'>> = [
  { dash: [], legend: 'solid' },
  { dash: [10, 5], legend: 'dashed' },
  { dash: [2, 4], legend: 'dotted' },
  { dash: [12, 4, 2, 4], legend: 'double' },
];

/** The i-th style: colour and dash both change from one series to the next. */
export function styleAt(i: number): LineStyle {
  const dash = DASHES[i % DASHES.length]!;
  return { color: PALETTE[i % PALETTE.length]!, dash: dash.dash, legend: dash.legend };
}

export interface Table {
  x: number[];
  columns: Array<Array<number | null>>;
}

/**
 * Put tables sampled at different moments (driver buckets, kernel samples, census, several
 * runs) on one x axis: the union of their x values, null where a table has no sample (a table's
 * later sample at one x wins). Charts draw across the gaps.
 *
 * A 5.5-hour run has 200,000 samples per table. A Set and a Map keyed by those doubles, and a
 * sort through a comparator, took ~1.5 s of a 200,000-point report. Tables come ascending (they
 * are recorded in time order, percentiles in order) and often share one x array (a driver
 * table's columns): each distinct x array is walked once, by one merge pass that builds the
 * union and every sample's slot. Where one steps back (a hand-made file), the union is a
 * typed-array sort, and only that array's samples take a binary search each.
 */
export function alignTables(tables: Table[]): Table {
  const distinct = [...new Set(tables.map((t) => t.x))];
  const slots = new Map<readonly number[], Uint32Array>(distinct.map((x) => [x, new Uint32Array(x.length)]));
  const xs = distinct.every(ascending) ? mergeAscending(distinct, slots) : unionAnyOrder(distinct, slots);
  const columns: Array<Array<number | null>> = [];
  for (const table of tables) {
    const at = slots.get(table.x)!;
    for (const column of table.columns) {
      const aligned = new Array<number | null>(xs.length).fill(null);
      for (let i = 0; i < at.length; i++) aligned[at[i]!] = column[i] ?? null;
      columns.push(aligned);
    }
  }
  return { x: xs, columns };
}

/** Non-decreasing, with no NaN (which compares false both ways and would stall the merge). */
function ascending(x: readonly number[]): boolean {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v) || (i > 0 && v < x[i - 1]!)) return false;
  }
  return true;
}

/** The union of ascending x arrays, filling each sample's slot in it as the merge passes it. */
function mergeAscending(arrays: ReadonlyArray<readonly number[]>, slots: Map<readonly number[], Uint32Array>): number[] {
  const xs: number[] = [];
  const next = new Array<number>(arrays.length).fill(0);
  // Each array's slots, looked up once rather than once per union value.
  const into = arrays.map((x) => slots.get(x)!);
  for (;;) {
    let v = 0;
    let found = false;
    for (let a = 0; a < arrays.length; a++) {
      const x = arrays[a]!;
      if (next[a]! < x.length && (!found || x[next[a]!]! < v)) {
        v = x[next[a]!]!;
        found = true;
      }
    }
    if (!found) return xs;
    // + 0: -0 is 0 on the axis, as the Set of the old alignment made it.
    const slot = xs.push(v + 0) - 1;
    for (let a = 0; a < arrays.length; a++) {
      const x = arrays[a]!;
      const at = into[a]!;
      let i = next[a]!;
      while (i < x.length && x[i] === v) at[i++] = slot;
      next[a] = i;
    }
  }
}

/** The same for x arrays in any order: a NaN (a hand-made file) is one slot, after every number. */
function unionAnyOrder(arrays: ReadonlyArray<readonly number[]>, slots: Map<readonly number[], Uint32Array>): number[] {
  const xs = sortedUnion(arrays);
  const nan = xs.length > 0 && Number.isNaN(xs[xs.length - 1]!) ? xs.length - 1 : -1;
  for (const x of arrays) {
    const into = slots.get(x)!;
    if (ascending(x)) {
      // Every x is in xs: a cursor finds each in turn.
      let j = 0;
      for (let i = 0; i < x.length; i++) {
        while (xs[j]! < x[i]!) j++;
        into[i] = j;
      }
    } else for (let i = 0; i < x.length; i++) into[i] = Number.isNaN(x[i]!) ? nan : binarySlot(xs, x[i]!, nan < 0 ? xs.length : nan);
  }
  return xs;
}

/** Where `v` is in the ascending, duplicate-free numbers xs[0..end), which hold it. */
function binarySlot(xs: number[], v: number, end: number): number {
  let lo = 0;
  let hi = end - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ChartPart {
  x: number[];
  label: string;
  values: Array<number | null>;
  points?: boolean;
  /**
   * A sparse series: consecutive points farther apart than this (x units) are not joined; they
   * are drawn as markers instead (see `sparseDrawing`).
   */
  maxGap?: number;
}

/** Build a chart from labelled tables, assigning styles in order. */
export function chartFrom(base: Omit<ChartSpec, 'x' | 'series'>, parts: ChartPart[]): ChartSpec {
  const aligned = alignTables(parts.map((p) => ({ x: p.x, columns: [p.values] })));
  return {
    ...base,
    x: aligned.x,
    series: parts.map((p, i) => {
      const series: SeriesSpec = { label: p.label, values: aligned.columns[i]!, style: styleAt(i), points: p.points ?? false };
      return p.maxGap === undefined ? series : { ...series, ...sparseDrawing(aligned.x, series.values, p.maxGap), points: false };
    }),
  };
}

/**
 * Where a sparse series may be drawn as a line: between consecutive points (nulls skipped) at
 * most `maxGap` apart. Wider gaps become `breaks` (no line), and every point not joined on both
 * sides is a marker, so a lone census between two far-apart looks shows as a dot, not as a ramp.
 */
export function sparseDrawing(x: readonly number[], values: ReadonlyArray<number | null>, maxGap: number): { breaks: Array<[number, number]>; marks: number[] } {
  const at: number[] = [];
  for (let i = 0; i < values.length && i < x.length; i++) if (values[i] !== null && values[i] !== undefined) at.push(i);
  const breaks: Array<[number, number]> = [];
  const marks: number[] = [];
  const joined = (a: number | undefined, b: number | undefined): boolean => a !== undefined && b !== undefined && x[b]! - x[a]! <= maxGap;
  for (let k = 0; k < at.length; k++) {
    const i = at[k]!;
    const next = at[k + 1];
    if (next !== undefined && !joined(i, next)) breaks.push([x[i]!, x[next]!]);
    // The open side of an end of the series counts as its other side; a lone point is a marker.
    const left = k === 0 ? null : joined(at[k - 1], i);
    const right = next === undefined ? null : joined(i, next);
    if ((left ?? right) !== true || (right ?? left) !== true) marks.push(i);
  }
  return { breaks, marks };
}

/**
 * Smallest and largest finite value, in a loop: `Math.max(...values)` passes every value as an
 * argument and overflows the stack past about 120,000 of them (a long run's driver series).
 * Empty input gives { min: Infinity, max: -Infinity }.
 */
export function extent(values: ArrayLike<number | null>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * Buckets across the x range when a chart has more points than a screen can show: about one per
 * pixel column of the widest plot (1,100 CSS px at the page's max width; 2× for hi-dpi screens).
 */
export const DRAW_BUCKETS = 2000;

/**
 * A chart with at most a few points per bucket of its x range, for drawing: in each bucket the
 * first and last point and, for every series, the point of its minimum and of its maximum. A
 * spike one sample wide survives (its maximum is kept), and so does a dip; a line drawn through
 * the kept points covers the same pixels as the full series would. Charts within the limit are
 * returned unchanged.
 */
export function downsampleForDrawing(spec: ChartSpec, buckets = DRAW_BUCKETS): ChartSpec {
  const n = spec.x.length;
  if (n <= buckets * 2) return spec;
  const lo = spec.x[0]!;
  const hi = spec.x[n - 1]!;
  const width = (hi - lo) / buckets || 1;
  const keep: number[] = [];
  let start = 0;
  while (start < n) {
    const bucket = Math.min(buckets - 1, Math.floor((spec.x[start]! - lo) / width));
    let end = start + 1;
    while (end < n && Math.min(buckets - 1, Math.floor((spec.x[end]! - lo) / width)) === bucket) end++;
    const picked = new Set<number>([start, end - 1]);
    for (const series of spec.series) {
      let minAt = -1;
      let maxAt = -1;
      for (let i = start; i < end; i++) {
        const v = series.values[i];
        if (v === null || v === undefined) continue;
        if (minAt < 0 || v < series.values[minAt]!) minAt = i;
        if (maxAt < 0 || v > series.values[maxAt]!) maxAt = i;
      }
      if (minAt >= 0) picked.add(minAt).add(maxAt);
    }
    keep.push(...[...picked].sort((a, b) => a - b));
    start = end;
  }
  return {
    ...spec,
    x: keep.map((i) => spec.x[i]!),
    // A sparse series keeps its breaks (x ranges); its markers move to the kept indices.
    series: spec.series.map((s) => {
      const values = keep.map((i) => s.values[i] ?? null);
      if (s.breaks === undefined) return { ...s, values, points: false };
      const kept = new Map(keep.map((i, k) => [i, k]));
      return { ...s, values, points: false, marks: (s.marks ?? []).filter((i) => kept.has(i)).map((i) => kept.get(i)!) };
    }),
    notes: [
      ...spec.notes,
      `Drawn from ${int(keep.length)} of ${int(n)} points: in each of ${int(buckets)} slices of the time axis the lowest and highest value of every line is kept, so no spike or dip is lost; the result JSON holds every point.`,
    ],
  };
}

/**
 * Run-clock milliseconds as the time charts' x axis: seconds since the load began, to the
 * millisecond (negative before it). The verdict, the ports table and the terminal say when
 * things happened "into the load" (result/figures.ts sinceLoadStartMs); on an axis from the
 * run's origin a port-exhaustion run's "ports ran out" marker stood at 0.72 s under a verdict
 * that said "ran out 0.10 s into the load" (its load began 0.62 s into the run). In a comparison
 * every run is drawn from its own load start, so their loads line up whatever their set-up took.
 */
export const LOAD_TIME_LABEL = 'time since the load started (s)';
export const secs = (loadStartMs: number, ms: readonly number[]): number[] => ms.map((t) => Math.round(t - loadStartMs) / 1000);
