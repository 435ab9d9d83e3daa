/**
 * Parsers for /proc/net/sockstat and /proc/net/sockstat6.
 *
 * Which numbers are per network namespace matters when a run lives in its own namespace
 * (net/ipv4/proc.c, sockstat_seq_show):
 * - `inuse` is sock_prot_inuse_get(net, &tcp_prot): per namespace, IPv4 sockets only
 *   (IPv6 ones are counted separately in sockstat6 `TCP6: inuse`).
 * - `tw` is the namespace's tcp_death_row refcount, so it is per namespace and covers
 *   TIME_WAIT of both families. It also counts orphaned FIN_WAIT2 sockets, because the
 *   kernel parks those in timewait mini-sockets too (tcp_time_wait(sk, TCP_FIN_WAIT2, ..)).
 * - `orphan`, `alloc` and `mem` come from global per-protocol counters: they include every
 *   namespace on the host and must not be read as belonging to the run.
 */

export interface Sockstat {
  inuse: number;
  orphan: number;
  tw: number;
  alloc: number;
  /** In pages, global. */
  mem: number;
}

export interface Sockstat6 {
  inuse: number;
}

/** Reads `key value key value ...` pairs after `prefix` on the line that starts with it. */
function readLineFields(text: string, prefix: string): Map<string, number> | undefined {
  const start = text.startsWith(prefix) ? 0 : findLineStart(text, prefix);
  if (start < 0) return undefined;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  const tokens = text.slice(start + prefix.length, end).trim().split(/\s+/);
  const fields = new Map<string, number>();
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const key = tokens[i];
    const value = Number(tokens[i + 1]);
    if (key !== undefined && Number.isFinite(value)) fields.set(key, value);
  }
  return fields;
}

function findLineStart(text: string, prefix: string): number {
  const at = text.indexOf('\n' + prefix);
  return at < 0 ? -1 : at + 1;
}

function field(fields: Map<string, number>, key: string, file: string): number {
  const value = fields.get(key);
  if (value === undefined) throw new Error(`${file}: missing "${key}" on the TCP line`);
  return value;
}

export function parseSockstat(text: string): Sockstat {
  const fields = readLineFields(text, 'TCP:');
  if (!fields) throw new Error('sockstat: no "TCP:" line');
  return {
    inuse: field(fields, 'inuse', 'sockstat'),
    orphan: field(fields, 'orphan', 'sockstat'),
    tw: field(fields, 'tw', 'sockstat'),
    alloc: field(fields, 'alloc', 'sockstat'),
    mem: field(fields, 'mem', 'sockstat'),
  };
}

export function parseSockstat6(text: string): Sockstat6 {
  const fields = readLineFields(text, 'TCP6:');
  if (!fields) throw new Error('sockstat6: no "TCP6:" line');
  return { inuse: field(fields, 'inuse', 'sockstat6') };
}

/**
 * About how many TCP sockets the namespace's table holds, from its sockstat texts: IPv4 and IPv6
 * `inuse` plus `tw` (both families). A size for a census to allocate ahead, never a count to
 * report: sockets come and go between the reads. 0 when the texts cannot be read.
 */
export function sockstatSockets(sockstat: string, sockstat6: string): number {
  let v4: Sockstat;
  try {
    v4 = parseSockstat(sockstat);
  } catch {
    return 0;
  }
  let v6 = 0;
  try {
    v6 = parseSockstat6(sockstat6).inuse;
  } catch {
    // No IPv6 in this kernel (an empty sockstat6) or an unreadable one: the IPv4 figures alone.
  }
  return v4.inuse + v4.tw + v6;
}
