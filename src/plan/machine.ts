// This machine's values for the model's inputs, read (never written) from /proc. Each comes
// back with where it came from, so `plan` can say which inputs it assumed.
import { readFile } from 'node:fs/promises';
import { readSysctl } from '../environment/sysctl.js';
import { kernelHz } from '../environment/timer-hz.js';
import { parsePortRange } from '../scenario/port-range.js';
import { KERNEL_DEFAULT_PORTS, TW_REUSE_DELAY_MS } from '../tcp-facts.js';

export interface MachineValue<T> {
  value: T;
  /** e.g. "this machine (/proc/sys/net/ipv4/ip_local_port_range)" or "assumed: Linux default". */
  from: string;
}

export interface MachineFacts {
  portRange: MachineValue<{ low: number; high: number }>;
  reservedPorts: MachineValue<string>;
  twReuse: MachineValue<number>;
  timestamps: MachineValue<number>;
  /** net.ipv4.ip_unprivileged_port_start: the kernel refuses an ip_local_port_range that starts below it. */
  unprivilegedPortStart: MachineValue<number>;
  twReuseDelaySec: MachineValue<number>;
  maxTwBuckets: MachineValue<number>;
  twSockBytes: MachineValue<number>;
  /** CONFIG_HZ, which sets how late the timer wheel may end a TIME_WAIT; null: not readable (the plan assumes the worst). */
  timerHz: MachineValue<number | null>;
}

/** tw_sock_TCP's slab object size on Linux 6.x x86-64 (256 B here: object 248 B, 16 per 4 KiB page). */
export const DEFAULT_TW_SOCK_BYTES = 256;

const sys = (key: string): string => `this machine (/proc/sys/${key.replaceAll('.', '/')})`;

export async function readMachineFacts(): Promise<MachineFacts> {
  const [range, reserved, reuse, timestamps, unprivileged, delay, buckets, slab] = await Promise.all([
    readSysctl('net.ipv4.ip_local_port_range'),
    readSysctl('net.ipv4.ip_local_reserved_ports'),
    readSysctl('net.ipv4.tcp_tw_reuse'),
    readSysctl('net.ipv4.tcp_timestamps'),
    readSysctl('net.ipv4.ip_unprivileged_port_start'),
    readSysctl('net.ipv4.tcp_tw_reuse_delay'),
    readSysctl('net.ipv4.tcp_max_tw_buckets'),
    readFile('/proc/slabinfo', 'utf8').catch(() => null),
  ]);
  const parsedRange = parsePortRange(range);
  const slabBytes = slab === null ? null : twSockObjectSize(slab);
  const hz = kernelHz();
  return {
    portRange: parsedRange
      ? { value: { low: parsedRange.low, high: parsedRange.high }, from: sys('net.ipv4.ip_local_port_range') }
      : { value: { ...KERNEL_DEFAULT_PORTS }, from: `assumed: Linux default ${KERNEL_DEFAULT_PORTS.low}–${KERNEL_DEFAULT_PORTS.high} (could not read this machine's)` },
    reservedPorts: reserved !== null ? { value: reserved, from: sys('net.ipv4.ip_local_reserved_ports') } : { value: '', from: 'assumed: none' },
    twReuse: reuse !== null ? { value: Number(reuse), from: sys('net.ipv4.tcp_tw_reuse') } : { value: 2, from: 'assumed: Linux default 2 (loopback only)' },
    timestamps: timestamps !== null ? { value: Number(timestamps), from: sys('net.ipv4.tcp_timestamps') } : { value: 1, from: 'assumed: Linux default 1' },
    unprivilegedPortStart: unprivileged !== null
      ? { value: Number(unprivileged), from: sys('net.ipv4.ip_unprivileged_port_start') }
      : { value: 1024, from: 'assumed: Linux default 1024' },
    // tcp_tw_reuse_delay (ms) exists since Linux 6.13; before it the delay was a fixed 1 s.
    twReuseDelaySec: delay !== null ? { value: Number(delay) / 1000, from: sys('net.ipv4.tcp_tw_reuse_delay') } : { value: TW_REUSE_DELAY_MS / 1000, from: 'assumed: 1 s (fixed before Linux 6.13)' },
    maxTwBuckets: buckets !== null
      ? { value: Number(buckets), from: sys('net.ipv4.tcp_max_tw_buckets') }
      : { value: 262144, from: 'assumed: 262,144 (depends on the hash table size; could not read)' },
    twSockBytes: slabBytes !== null
      ? { value: slabBytes, from: 'this machine (/proc/slabinfo tw_sock_TCP objsize)' }
      : { value: DEFAULT_TW_SOCK_BYTES, from: `assumed: ${DEFAULT_TW_SOCK_BYTES} B, tw_sock_TCP on Linux 6.x x86-64 (/proc/slabinfo not readable)` },
    timerHz: hz !== null
      ? { value: hz, from: `this machine (CONFIG_HZ ${hz}, the kernel's config)` }
      : { value: null, from: 'assumed: the latest of HZ 100, 250, 300 and 1000 (no /proc/config.gz or /boot/config to read CONFIG_HZ from)' },
  };
}

/** The objsize column of /proc/slabinfo's tw_sock_TCP row (readable by root only). */
export function twSockObjectSize(slabinfo: string): number | null {
  const row = slabinfo.split('\n').find((l) => l.startsWith('tw_sock_TCP '));
  const size = row?.trim().split(/\s+/)[3];
  return size !== undefined && /^\d+$/.test(size) ? Number(size) : null;
}
