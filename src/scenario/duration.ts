// Durations are written by people ("30s", "1.5s", "250us") but used by code in milliseconds.
// The same grammar backs parseDuration and the JSON Schema pattern, so an editor flags every
// string the loader cannot read (spaces, and only spaces, may stand around and between parts:
// the pattern's \s let "1m\t30s" pass an editor that the loader refused). What a pattern
// cannot say is a field's bounds: "25h" for duration (at most 24h) or "5ms" for sample (at
// least 10ms) pass an editor, as a regex cannot compare the sum of a string's parts; the JSON
// Schema bounds the number form only (minimum, maximum), and the loader refuses both forms.

const UNIT_MS = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
} as const;

type Unit = keyof typeof UNIT_MS;

const PART = /(\d+(?:\.\d+)?) *(us|µs|ms|s|m|h)/gy;

/**
 * A bare number (milliseconds) or one or more number+unit parts, e.g. "1m30s". Plain JSON Schema
 * regex syntax only (no lookbehind, no flags) so editors can evaluate it too.
 */
export const DURATION_PATTERN = '^ *(\\d+(\\.\\d+)? *|(\\d+(\\.\\d+)? *(us|µs|ms|s|m|h) *)+)$';

export const DURATION_EXPECTED =
  'expected a duration like "30s", "100ms" or a number of milliseconds';

export function parseDuration(input: string | number): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) {
    throw new Error(`${DURATION_EXPECTED}, got ${JSON.stringify(input) ?? String(input)}`);
  }
  return ms;
}

/** Like parseDuration but returns undefined instead of throwing, for validators. */
export function tryParseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input >= 0 ? input : undefined;
  }
  if (typeof input !== 'string') return undefined;
  const text = input.replace(/^ +| +$/g, '');
  if (text === '') return undefined;
  // A unitless string is milliseconds, matching what a bare YAML number means.
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);

  PART.lastIndex = 0;
  let total = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
    // Whitespace between parts ("1m 30s") is allowed; the sticky regex does not skip it itself.
    while (text[PART.lastIndex] === ' ') PART.lastIndex++;
  }
  return Number.isFinite(total) ? total : undefined;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0ms';
  if (ms < 1) return `${trim(ms * 1000)}us`;
  if (ms < 1000) return `${trim(ms)}ms`;

  const hours = Math.floor(ms / UNIT_MS.h);
  const minutes = Math.floor((ms % UNIT_MS.h) / UNIT_MS.m);
  const seconds = (ms % UNIT_MS.m) / 1000;
  let out = '';
  if (hours) out += `${hours}h`;
  if (minutes) out += `${minutes}m`;
  if (seconds) out += `${trim(seconds)}s`;
  return out;
}

/** Up to three decimals, no trailing zeros: display precision, not a round-trip guarantee. */
function trim(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
