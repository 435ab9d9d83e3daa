// The distinct values of several number arrays, ascending: a chart's x axis over tables
// sampled at different moments (report/html/chart-spec.ts), a merge's grid over contributors'
// sample times (result/add.ts). A Float64Array sorts natively, where a Set of a long run's
// doubles and a sort through a comparator cost seconds (chart-spec.ts alignTables says how many).

/** Distinct values, ascending; -0 is 0, and NaN (a hand-made file), if any, comes once at the end. */
export function sortedUnion(arrays: ReadonlyArray<readonly number[]>): number[] {
  const all = Float64Array.from(arrays.flat()).sort();
  const out: number[] = [];
  let i = 0;
  for (; i < all.length && !Number.isNaN(all[i]!); i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i]! + 0);
  if (i < all.length) out.push(NaN);
  return out;
}
