// This namespace's ephemeral port range, read from the kernel; parsing it (and every other
// rule about port ranges) is scenario/port-range.ts.
import { readSysctlSync } from '../environment/sysctl.js';
import { parsePortRange, type PortRange } from '../scenario/port-range.js';

/**
 * This namespace's range, reserved ports taken out. Read synchronously: two /proc/sys files the
 * kernel prints from memory, where an async read would start libuv's thread pool for nothing.
 */
export function readPortRange(): PortRange | null {
  return parsePortRange(readSysctlSync('net.ipv4.ip_local_port_range'), readSysctlSync('net.ipv4.ip_local_reserved_ports'));
}
