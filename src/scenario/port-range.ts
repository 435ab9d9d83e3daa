// The ephemeral port range, the one parser for it: net.ipv4.ip_local_port_range as the kernel
// prints it ("32768\t60999"), as a scenario or `plan --port-range` writes it ("32768 60999",
// "40000-40499"), the ports net.ipv4.ip_local_reserved_ports takes out of it — and how the
// kernel combines a socket's IP_LOCAL_PORT_RANGE with the namespace's range
// (inet_sk_get_local_port_range, Linux 6.3+): each per-socket bound replaces the namespace's
// bound only when it lies inside the namespace's range; a bound outside it is ignored, silently.
// Pure, so the scenario's checks, the result, the shard split and the plan all state the range
// the kernel really draws from. Reading this namespace's range is observe/port-range.ts.


export interface PortRange {
  low: number;
  high: number;
  size: number;
  /** Ports of the range listed in net.ipv4.ip_local_reserved_ports: connect() skips them. */
  reserved: number;
  /** Ports an unbound connect() can pick, per source address and destination. */
  usable: number;
}

/** The kernel's default range, which a fresh namespace starts from (28,232 ports; src/tcp-facts.ts). */
export { KERNEL_DEFAULT_PORT_RANGE } from '../tcp-facts.js';

/**
 * "LOW HIGH" (any whitespace, as the kernel prints it), "LOW-HIGH" or "LOW–HIGH", with
 * 1 ≤ LOW ≤ HIGH ≤ 65535; `reserved` is ip_local_reserved_ports ("8080,9000-9100"). Null when
 * the text is not a range.
 */
export function parsePortRange(text: string | null | undefined, reserved?: string | null): PortRange | null {
  const match = /^\s*(\d+)\s*(?:\s|-|–)\s*(\d+)\s*$/.exec(text ?? '');
  if (!match) return null;
  const low = Number(match[1]);
  const high = Number(match[2]);
  if (!(low >= 1 && high <= 65535 && low <= high)) return null;
  const size = high - low + 1;
  const res = reserved ? countReserved(reserved, low, high) : 0;
  return { low, high, size, reserved: res, usable: size - res };
}

/**
 * An ip_local_reserved_ports list as the sysctl takes it ("8080,9000-9100", "" for none): its
 * valid ports and ranges, and the first part that is not one, or null. The kernel's rules
 * (proc_do_large_bitmap): a port within 0–65535, or LOW-HIGH with LOW ≤ HIGH and no space around
 * the dash. The kernel prints only valid lists; a user's list is refused on its first bad part.
 */
export function parseReservedPorts(list: string): { ranges: Bounds[]; bad: string | null } {
  const ranges: Bounds[] = [];
  let bad: string | null = null;
  for (const raw of list.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const low = Number(m?.[1]);
    const high = Number(m?.[2] ?? m?.[1]);
    if (!m || high > 65535 || high < low) bad ??= part;
    else ranges.push({ low, high });
  }
  return { ranges, bad };
}

/** Ports of [low, high] named in an ip_local_reserved_ports list ("8080,9000-9100"). */
export function countReserved(list: string, low: number, high: number): number {
  return reservedIn(parseReservedPorts(list).ranges, low, high);
}

/** Ports of [low, high] inside parsed reserved ranges. */
export function reservedIn(ranges: readonly Bounds[], low: number, high: number): number {
  let n = 0;
  for (const r of ranges) {
    const a = Math.max(r.low, low);
    const b = Math.min(r.high, high);
    if (b >= a) n += b - a + 1;
  }
  return n;
}

export interface Bounds {
  low: number;
  high: number;
}

/** The range connect() and bind(port 0) pick from, given the namespace's and the socket's. */
export function effectivePortRange(namespace: Bounds, perSocket: Bounds | null): Bounds {
  if (perSocket === null) return { low: namespace.low, high: namespace.high };
  const inside = (port: number): boolean => namespace.low <= port && port <= namespace.high;
  return {
    low: perSocket.low !== 0 && inside(perSocket.low) ? perSocket.low : namespace.low,
    high: perSocket.high !== 0 && inside(perSocket.high) ? perSocket.high : namespace.high,
  };
}

/** Whether the kernel honours both bounds (the per-socket range lies inside the namespace's). */
export function honoured(namespace: Bounds, perSocket: Bounds): boolean {
  return namespace.low <= perSocket.low && perSocket.high <= namespace.high;
}
