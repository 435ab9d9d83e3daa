// Whether a scenario's result stays small enough to read back: samples per series over its
// whole duration and tail, one per `sample` and one per `census`.
import { formatDuration, type Scenario } from '../scenario/index.js';
import { MAX_RESULT_BYTES, READABLE_SERIES_SAMPLES } from '../result/read.js';
import { int } from '../util/format.js';
import { check, type Check } from './check.js';

/**
 * A load that runs its whole `duration` records a sample per `sample` (driver and kernel
 * series) and per `census` in every series column. Past READABLE_SERIES_SAMPLES the result
 * outgrows what twstorm reads back, and past about twice that (~240 bytes a sample over a
 * run's 31 columns) its JSON no longer fits in one V8 string (2^29 - 24 characters): the run
 * would end without a result. `duration` is often a generous bound on a count-bounded run, so
 * this warns (if the load runs that long) instead of refusing. `runs`: the scenario's variants
 * as they run (scenario-checks.ts runVariants).
 */
export function seriesLengthCheck(runs: readonly Scenario[]): Check | null {
  let worst: { samples: number; s: Scenario; field: 'sample' | 'census' } | null = null;
  for (const s of runs) {
    for (const field of ['sample', 'census'] as const) {
      const samples = Math.ceil((s.duration + s.tail) / s[field]);
      if (samples > (worst?.samples ?? READABLE_SERIES_SAMPLES)) worst = { samples, s, field };
    }
  }
  if (worst === null) return null;
  const { s, field, samples } = worst;
  const least = Math.ceil((s.duration + s.tail) / READABLE_SERIES_SAMPLES);
  return check(
    'series-length',
    'result size',
    'warn',
    `if the load runs its whole duration (${formatDuration(s.duration)}, then a tail of ${formatDuration(s.tail)}), ${field} ${formatDuration(s[field])} records ${int(samples)} samples per series: ` +
      `past ${int(READABLE_SERIES_SAMPLES)} the result outgrows what twstorm reads back (${MAX_RESULT_BYTES / 1048576} MB), and past about twice that it cannot be written at all`,
    `raise ${field} to at least ${formatDuration(least)}, or shorten duration (a run that ends on its count sooner is fine)`,
  );
}
