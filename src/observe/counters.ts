/**
 * Parser for the MIB counter tables in /proc/net/snmp and /proc/net/netstat.
 *
 * Both files print each group as two lines with the same prefix: a header line of names,
 * then a line of values (net/ipv4/proc.c, snmp_seq_show / netstat_seq_show). Keys are
 * returned as prefix + name (`TcpActiveOpens`, `TcpExtTW`) so the two files merge into one
 * flat record without collisions.
 *
 * Measured on kernel 6.18: TcpExt `TW` rose by 3 as soon as 3 sockets entered TIME_WAIT
 * (with the 3 still listed in /proc/net/tcp), so read it as "TIME_WAITs entered", not "ended";
 * the live count is sockstat `tw`.
 *
 * Counters are per network namespace (net->mib); the kernel keeps a single TCP MIB for both
 * families, so IPv6 connections are counted in the same `Tcp:` and `TcpExt:` lines.
 */

/**
 * The one registry of the kernel counters twstorm reads. Every run records all of them (a
 * result's `summary.kernel` and `series.kernel.counters`); each names where else it shows:
 * `terminal` in the run summary's kernel line, `chart` in the HTML kernel chart ('always', or
 * 'if-moved'), `watch` in `twstorm states` (the ones that tell a TIME_WAIT story live; the
 * number is its place on the watch line, TIME_WAIT reuse first). `trouble`: more of it means
 * something went wrong (a failed or reset connection, a retransmission, a drop), where the
 * others (opens, TIME_WAITs entered) only measure the work: compare gates on those.
 */
export interface KernelCounter {
  /** prefix + name as parseCounterTable returns it: "TcpExtTWRecycled". */
  key: string;
  terminal?: true;
  chart?: 'always' | 'if-moved';
  watch?: number;
  trouble?: true;
}

export const KERNEL_COUNTERS: readonly KernelCounter[] = Object.freeze([
  { key: 'TcpActiveOpens', terminal: true, chart: 'if-moved', watch: 6 },
  { key: 'TcpPassiveOpens', terminal: true },
  { key: 'TcpAttemptFails', terminal: true, watch: 4, trouble: true },
  { key: 'TcpEstabResets', terminal: true, chart: 'if-moved', trouble: true },
  { key: 'TcpOutRsts', terminal: true, chart: 'always', watch: 3 },
  { key: 'TcpRetransSegs', trouble: true },
  // TIME_WAITs entered (see above), not ended.
  { key: 'TcpExtTW', terminal: true, chart: 'if-moved', watch: 5 },
  // A TIME_WAIT port taken over by a new outgoing connection (tcp_tw_reuse, or timestamps).
  { key: 'TcpExtTWRecycled', terminal: true, chart: 'always', watch: 1 },
  // A timewait socket scheduled to live 4 s or less (__inet_twsk_schedule: in practice an
  // orphaned FIN_WAIT2 under a tcp_fin_timeout of 4 s or less). Counted when it is scheduled,
  // never when an RST kills a TIME_WAIT (RFC 1337 assassination is read from the census).
  { key: 'TcpExtTWKilled', terminal: true, chart: 'if-moved' },
  // A TIME_WAIT not kept because tcp_max_tw_buckets was full.
  { key: 'TcpExtTCPTimeWaitOverflow', terminal: true, chart: 'always', watch: 2, trouble: true },
  { key: 'TcpExtTCPAbortOnClose', terminal: true },
  { key: 'TcpExtTCPAbortOnLinger', terminal: true, chart: 'if-moved' },
  { key: 'TcpExtTCPAbortOnData', terminal: true, chart: 'if-moved' },
  { key: 'TcpExtTCPAbortOnTimeout', trouble: true },
  { key: 'TcpExtListenOverflows', chart: 'if-moved', trouble: true },
  { key: 'TcpExtListenDrops', chart: 'if-moved', trouble: true },
  { key: 'TcpExtTCPSynRetrans', chart: 'if-moved', trouble: true },
] satisfies KernelCounter[]);

/** The counters every run records, in registry order. */
export const KEY_COUNTERS: readonly string[] = Object.freeze(KERNEL_COUNTERS.map((c) => c.key));

/** The counters where more means trouble (`trouble` above), in registry order. */
export const TROUBLE_COUNTERS: readonly string[] = Object.freeze(KERNEL_COUNTERS.filter((c) => c.trouble === true).map((c) => c.key));

/** The keys of the registered counters that pass `test`, in registry order. */
export function countersWhere(test: (c: KernelCounter) => boolean): string[] {
  return KERNEL_COUNTERS.filter(test).map((c) => c.key);
}

/** "TcpExtTWRecycled" → "TWRecycled": the name the kernel prints after its group prefix. */
export function counterLabel(key: string): string {
  return key.replace(/^TcpExt/, '').replace(/^Tcp/, '');
}

/**
 * Parses one or more concatenated snmp/netstat texts. Values are unsigned 64-bit in the
 * kernel (byte counters such as IpExtInOctets pass 2^32 on busy hosts); Number holds them
 * exactly below 2^53, which a counter does not reach in practice. `Tcp: MaxConn` is printed
 * signed and is -1 (no limit), so negatives are kept as they are.
 */
export function parseCounterTable(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.split('\n');
  let i = 0;
  while (i + 1 < lines.length) {
    const header = lines[i] ?? '';
    const values = lines[i + 1] ?? '';
    const colon = header.indexOf(':');
    if (colon <= 0 || !values.startsWith(header.slice(0, colon + 1))) {
      // Not a header/value pair (blank line or a stray line): resynchronise on the next one.
      i += 1;
      continue;
    }
    const prefix = header.slice(0, colon);
    const names = header.slice(colon + 1).trim().split(/\s+/);
    const nums = values.slice(colon + 1).trim().split(/\s+/);
    const n = Math.min(names.length, nums.length);
    for (let k = 0; k < n; k++) {
      const name = names[k];
      const value = Number(nums[k]);
      if (name && Number.isFinite(value)) out[prefix + name] = value;
    }
    i += 2;
  }
  return out;
}

/** after − before for every key in `after`; a key absent from `before` counts from 0. */
export function counterDeltas(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(after)) {
    out[key] = (after[key] ?? 0) - (before[key] ?? 0);
  }
  return out;
}

/** Keeps only `keys` (missing ones as 0) so a sample stays small and has a fixed shape. */
export function pickCounters(
  all: Readonly<Record<string, number>>,
  keys: readonly string[] = KEY_COUNTERS,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = all[key] ?? 0;
  return out;
}
