// One rounding rule for every figure a result or a report carries: milliseconds to 0.1 ms
// (100 µs: below the jitter of a loopback round trip), latency percentiles to 1 µs.

/** `value` rounded to `digits` decimal places. */
export const roundTo = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** Milliseconds to 0.1 ms (100 µs). */
export const roundMs = (ms: number): number => roundTo(ms, 1);

/** Milliseconds to 0.001 ms (1 µs), for latency percentiles. */
export const roundUs = (ms: number): number => roundTo(ms, 3);
