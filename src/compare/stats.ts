// The statistics behind the compare gate: a one-sided Mann–Whitney rank test over the repeats
// of each side. Why a rank test over repeats, and not a bootstrap over the histograms: the
// noise that makes two identical runs differ on a shared runner is run-to-run (another job
// takes a core for a second, the scheduler moves the driver), not sample-to-sample inside a
// run. A histogram holds thousands of latencies from ONE run, so resampling it measures how
// well that run knows its own percentile — and calls every neighbour's burst a regression.
// Repeats in fresh namespaces sample the noise that matters; ranks make no assumption about
// its shape (a busy neighbour gives heavy right tails, not a normal distribution).

/** Middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { n: values.length, median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Mann–Whitney U of `x` against `y`: pairs where x > y, ties counting one half. */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}

/** Exact enumeration up to this many splits of the pooled values (C(20,10) = 184,756). */
const EXACT_LIMIT = 200_000;

/**
 * One-sided p-value that `x` is stochastically greater than `y`: the chance, if both came from
 * the same distribution, of a U at least as large as the one seen. Exact (every split of the
 * pooled values, so ties are handled exactly) for small samples, which is what repeats are;
 * the normal approximation with tie correction beyond EXACT_LIMIT splits.
 */
export function mannWhitneyGreaterP(x: readonly number[], y: readonly number[]): number {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) return 1;
  const observed = mannWhitneyU(x, y);
  const pooled = [...x, ...y];
  if (binomial(n1 + n2, n1) <= EXACT_LIMIT) {
    let atLeast = 0;
    let total = 0;
    for (const pick of combinations(n1 + n2, n1)) {
      const chosen = new Set(pick);
      const a = pick.map((i) => pooled[i]!);
      const b = pooled.filter((_, i) => !chosen.has(i));
      total += 1;
      // A float tolerance: U is a sum of halves, exact in binary, but keep the comparison safe.
      if (mannWhitneyU(a, b) >= observed - 1e-9) atLeast += 1;
    }
    return atLeast / total;
  }
  const mean = (n1 * n2) / 2;
  const ranks = midRanks(pooled);
  const n = n1 + n2;
  let tieTerm = 0;
  for (const t of ranks.tieSizes) tieTerm += t ** 3 - t;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return 1;
  const z = (observed - mean - 0.5) / Math.sqrt(variance);
  return 1 - normalCdf(z);
}

function midRanks(values: readonly number[]): { tieSizes: number[] } {
  const sorted = [...values].sort((a, b) => a - b);
  const tieSizes: number[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j += 1;
    if (j - i > 1) tieSizes.push(j - i);
    i = j;
  }
  return { tieSizes };
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i += 1) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

function* combinations(n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield idx.slice();
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i -= 1;
    if (i < 0) return;
    idx[i]! += 1;
    for (let j = i + 1; j < k; j += 1) idx[j] = idx[j - 1]! + 1;
  }
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, error < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The smallest one-sided p-value n1 against n2 repeats can reach (all of one side beyond the other). */
export function smallestP(n1: number, n2: number): number {
  return 1 / binomial(n1 + n2, n1);
}
