// Where a self-check's listener binds. It asks for port 0, which the kernel takes from
// net.ipv4.ip_local_port_range (inet_csk_find_open_port); a listener cannot share a port with
// any socket there, TIME_WAIT included (inet_csk_bind_conflict), so on a host in a TIME_WAIT
// storm — the hosts twstorm is for — every one can be held and port 0 fails with EADDRINUSE.
// Any port proves the same layouts, so the check then asks for ports just outside the range,
// which the kernel never hands out on its own.
import fs from 'node:fs';
import { KERNEL_DEFAULT_PORT_RANGE, parsePortRange } from '../scenario/port-range.js';

/** Tried outside the range, on each side, before the check gives up. */
const TRIES_PER_SIDE = 16;
/** Below it a port is privileged (net.ipv4.ip_unprivileged_port_start's default). */
const FIRST_UNPRIVILEGED = 1024;

export interface CheckBind {
  /** null when bound; else the errno name of the last bind() tried. */
  error: string | null;
  /** The port asked for: 0, or the one outside the range that was free. */
  port: number;
  /** What happened, for the check's log, when port 0 could not be had. */
  note: string | null;
}

/**
 * `tryBind(port)` binds the check's socket (a socket whose bind() failed stays unbound, so it can
 * try again) and returns null or the errno name. The range is this thread's namespace's (/proc/sys
 * names the namespace of the thread that reads it); `sysctlFile` is for tests.
 */
export function bindCheckPort(tryBind: (port: number) => string | null, sysctlFile = '/proc/sys/net/ipv4/ip_local_port_range'): CheckBind {
  const first = tryBind(0);
  if (first !== 'EADDRINUSE') return { error: first, port: 0, note: null };
  const range = ephemeralRange(sysctlFile);
  for (const port of portsOutside(range)) {
    const error = tryBind(port);
    if (error === null) {
      const note = `bind(port 0): EADDRINUSE, every port of the ephemeral range ${range.low}-${range.high} is held here; the check listened on port ${port}, outside it`;
      return { error: null, port, note };
    }
    if (error !== 'EADDRINUSE') return { error, port, note: null };
  }
  return { error: 'EADDRINUSE', port: 0, note: null };
}

function ephemeralRange(sysctlFile: string): { low: number; high: number } {
  let text: string | null = null;
  try {
    text = fs.readFileSync(sysctlFile, 'utf8');
  } catch {
    // unreadable: the kernel's default stands in
  }
  return parsePortRange(text) ?? parsePortRange(KERNEL_DEFAULT_PORT_RANGE)!;
}

/** Just below the range (down to 1024), then just above it (up to 65535). */
export function portsOutside(range: { low: number; high: number }): number[] {
  const below = Array.from({ length: TRIES_PER_SIDE }, (_, i) => range.low - 1 - i).filter((p) => p >= FIRST_UNPRIVILEGED);
  const above = Array.from({ length: TRIES_PER_SIDE }, (_, i) => range.high + 1 + i).filter((p) => p <= 65535);
  return [...below, ...above];
}
