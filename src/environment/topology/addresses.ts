// Addresses of the routed lab. Only the benchmarking ranges: 198.18.0.0/15 (RFC 2544) and
// 2001:2::/48 (RFC 5180) — never a private range, never anything that could be real.
//
//   client host i (1..N)   198.18.i.2/24   2001:2:0:i::2/64   — router side 198.18.i.1, 2001:2:0:i::1
//   server host            198.19.0.2/24   2001:2:0:ff00::2/64 — router side 198.19.0.1, 2001:2:0:ff00::1
//   NAT pool (router)      198.19.1.1 …    (the router answers for them: routed back to it by the server)

/** Most client hosts a lab builds: one /24 each out of 198.18.0.0/16. */
export const MAX_CLIENT_HOSTS = 64;

export interface HostAddresses {
  /** Interface name on the host's side. */
  ifname: string;
  /** Interface name on the router's side. */
  routerIfname: string;
  v4: string;
  routerV4: string;
  v6: string;
  routerV6: string;
}

export function clientAddresses(index: number): HostAddresses {
  if (!Number.isInteger(index) || index < 1 || index > MAX_CLIENT_HOSTS) throw new RangeError(`client host index ${index} is outside 1-${MAX_CLIENT_HOSTS}`);
  return {
    ifname: 'eth0',
    routerIfname: `client${index}`,
    v4: `198.18.${index}.2`,
    routerV4: `198.18.${index}.1`,
    v6: `2001:2:0:${index.toString(16)}::2`,
    routerV6: `2001:2:0:${index.toString(16)}::1`,
  };
}

export const SERVER_ADDRESSES: HostAddresses = {
  ifname: 'eth0',
  routerIfname: 'server',
  v4: '198.19.0.2',
  routerV4: '198.19.0.1',
  v6: '2001:2:0:ff00::2',
  routerV6: '2001:2:0:ff00::1',
};

/** The NAT pool: `size` consecutive addresses from 198.19.1.1. */
export function natPool(size: number): string[] {
  if (!Number.isInteger(size) || size < 1 || size > 254) throw new RangeError(`NAT pool size ${size} is outside 1-254`);
  return Array.from({ length: size }, (_, i) => `198.19.1.${i + 1}`);
}

/** Whether an address is inside the lab's allowed ranges (for schema checks of user-given addresses). */
export function inBenchmarkRange(address: string): boolean {
  const v4 = /^198\.(1[89])\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) return Number(v4[2]) <= 255 && Number(v4[3]) <= 255;
  return /^2001:0{0,3}2:0{0,4}:/i.test(address) || /^2001:0{0,3}2::/i.test(address);
}
