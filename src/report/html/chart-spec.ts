// The data a chart needs, computed in Node and embedded in the page as JSON: the browser side
// only draws. Every series carries its own colour AND dash pattern, so lines stay apart when
// printed in grey or seen without colour.

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
  /** Draw a marker at every point (sparse series such as the 1 s census). */
  points: boolean;
}

export interface Marker {
  /** Position on the x axis (seconds for time charts). */
  x: number;
  label: string;
}

export type ChartKind = 'time' | 'percentile' | 'histogram';

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
 * runs) on one x axis: the union of their x values, null where a table has no sample. Charts
 * draw across the gaps.
 */
export function alignTables(tables: Table[]): Table {
  const xs = [...new Set(tables.flatMap((t) => t.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns: Array<Array<number | null>> = [];
  for (const table of tables) {
    for (const column of table.columns) {
      const aligned = new Array<number | null>(xs.length).fill(null);
      table.x.forEach((x, i) => {
        aligned[index.get(x)!] = column[i] ?? null;
      });
      columns.push(aligned);
    }
  }
  return { x: xs, columns };
}

/** Build a chart from labelled tables, assigning styles in order. */
export function chartFrom(
  base: Omit<ChartSpec, 'x' | 'series'>,
  parts: Array<{ x: number[]; label: string; values: Array<number | null>; points?: boolean }>,
): ChartSpec {
  const aligned = alignTables(parts.map((p) => ({ x: p.x, columns: [p.values] })));
  return {
    ...base,
    x: aligned.x,
    series: parts.map((p, i) => ({
      label: p.label,
      values: aligned.columns[i]!,
      style: styleAt(i),
      points: p.points ?? false,
    })),
  };
}
