// This namespace's ephemeral port range, read from the kernel; parsing it (and every other
// rule about port ranges) is scenario/port-range.ts.
import { readSysctl } from '../environment/sysctl.js';
import { parsePortRange, type PortRange } from '../scenario/port-range.js';

/** This namespace's range, reserved ports taken out. */
export async function readPortRange(): Promise<PortRange | null> {
  const [range, reserved] = await Promise.all([
    readSysctl('net.ipv4.ip_local_port_range'),
    readSysctl('net.ipv4.ip_local_reserved_ports'),
  ]);
  return parsePortRange(range, reserved);
}
