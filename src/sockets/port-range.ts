// How the kernel combines a socket's IP_LOCAL_PORT_RANGE with the namespace's
// net.ipv4.ip_local_port_range (inet_sk_get_local_port_range, Linux 6.3+): each per-socket
// bound replaces the namespace's bound only when it lies inside the namespace's range; a
// bound outside it is ignored, silently. Pure, so the result, the scenario checks and the
// shard split all state the range the kernel really draws from.

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
