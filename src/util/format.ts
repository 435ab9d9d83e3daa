// Number formatting shared by the text renderers.

/**
 * A whole number with en-US thousands separators: 1234567 → "1,234,567". Done by hand, not
 * with Intl.NumberFormat: building one loads ICU's locale data, ~9 ms of CPU, and every run
 * process prints a count ("load started: 5,000 connections"). Non-finite and huge values
 * (String() writes 1e21 in exponent form) go to Intl, which writes them as it always has.
 */
export function int(n: number): string {
  const rounded = Math.round(n);
  if (!Number.isFinite(rounded) || Math.abs(rounded) >= 1e21) return new Intl.NumberFormat('en-US').format(rounded);
  const digits = String(Math.abs(rounded));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return rounded < 0 ? `-${out}` : out;
}

/**
 * A formatter for numbers with up to `maximumFractionDigits` decimals, en-US grouping, built on its
 * first use: an Intl.NumberFormat built at module load cost every CLI process that loaded the
 * module ~24 ms of CPU (ICU's number data), though most runs print no such number.
 */
export function decimalFormat(maximumFractionDigits: number): (n: number) => string {
  let format: Intl.NumberFormat | undefined;
  return (n) => (format ??= new Intl.NumberFormat('en-US', { maximumFractionDigits })).format(n);
}

/** Milliseconds with the digits that matter at their size; thousands separated ("1,342"), as int() does. */
export function ms(n: number | null): string {
  if (n === null) return '–';
  if (n >= 100) return int(n);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** "1.34 s", "61.2 s"; under 10 ms in milliseconds ("3.20 ms"), which two decimals of a second would call 0.00 s. */
export function seconds(msValue: number): string {
  if (Math.abs(msValue) < 10) return `${ms(msValue)} ms`;
  return `${(msValue / 1000).toFixed(msValue < 10_000 ? 2 : 1)} s`;
}

/** "198.19.0.2:7000", "[2001:2:0:ff00::2]:7000": an IPv6 address in brackets (RFC 3986 §3.2.2), or its port reads as its last group. */
export function endpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
