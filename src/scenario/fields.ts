// Field builders shared by the scenario schema: each bakes in its ceiling (limits.ts) and one
// "expected …" message, so every field of a kind is checked and phrased the same way.
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { DURATION_PATTERN, formatDuration, tryParseDuration } from './duration.js';
import * as L from './limits.js';
import { int } from '../util/format.js';

/** Every integer has a ceiling (limits.ts): a number is a loop bound, a buffer size or a count. */
export function integer(min: number, max: number) {
  const expected = `expected an integer from ${min} to ${big(max)}`;
  return z.int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

/** Separators for the big ceilings only: "1,000,000,000" reads, "65,535" for a port does not. */
export function big(n: number): string {
  return n >= 1_000_000 ? int(n) : String(n);
}

export function text(max: number, what = 'a string') {
  return z.string({ error: `expected ${what}` }).max(max, { error: `expected ${what} of at most ${big(max)} characters` });
}

/**
 * Input is a duration string or a number of milliseconds; output is always milliseconds. The
 * same message serves every failure (wrong type, bad syntax, too small) because the fix is
 * the same: write a duration in the accepted form.
 */
export function duration(min = 0, max = L.MAX_WAIT_MS) {
  const expected = `expected a duration from ${formatDuration(min)} to ${formatDuration(max)} (like "100ms", "30s" or a number of milliseconds)`;
  return z
    .union(
      [
        z.string({ error: expected }).regex(new RegExp(DURATION_PATTERN), { error: expected }),
        z.number({ error: expected }).min(min, { error: expected }).max(max, { error: expected }),
      ],
      { error: expected },
    )
    .transform((value, ctx) => {
      const ms = tryParseDuration(value);
      if (ms === undefined || ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: expected, input: value });
        return z.NEVER;
      }
      return ms;
    });
}

/**
 * The server address is written literally: 127.0.0.0/8 or ::1. A host name would need a DNS
 * lookup (and could point anywhere), and 0.0.0.0 or :: would listen on every interface of the
 * host when the run falls back to the host's namespace. A routed lab or a remote target will
 * come with their own fields and an explicit flag, not through this one.
 */
export function loopbackAddress() {
  const expected = 'expected a literal loopback address, 127.0.0.0/8 or ::1 (no host names: the run talks to its own namespace only)';
  return z
    .string({ error: expected })
    .max(64, { error: expected })
    .refine((host) => (isIPv4(host) && host.startsWith('127.')) || (isIPv6(host) && isIpv6Loopback(host)), { error: expected });
}

/** ::1 in any spelling (0:0:0:0:0:0:0:1, ::0001): every group but the last is 0, the last is 1. */
function isIpv6Loopback(host: string): boolean {
  if (host.includes('.') || host.includes('%')) return false;
  const [head = '', tail = ''] = host.includes('::') ? host.split('::') : [host, ''];
  const groups = [...head.split(':'), ...tail.split(':')].filter((g) => g !== '').map((g) => Number.parseInt(g, 16));
  return groups.length > 0 && groups.at(-1) === 1 && groups.slice(0, -1).every((g) => g === 0);
}

/**
 * The bundled server's own socket settings and close, as the schema defaults them (schema.ts),
 * and what the cross-field rule holds a server.command's scenario to (cross-field.ts): with a
 * command they do nothing, so a value other than these is refused. One home for both.
 */
export const BUNDLED_SERVER_DEFAULTS = { backlog: 4096, reuseAddr: true, reusePort: false, listeners: 1, close: 'fin' } as const;
