// Splitting a whole number of things (connections, requests, connections in flight) between N
// parts: each gets the whole's floor share and the first total mod N one more, so the shares
// differ by at most one and add up exactly. One rule for the engine's threads
// (engine/client-engine.ts) and for the shards of a run (run/shard.ts), so a split two ways,
// by shards and then by threads, still adds up to what the scenario asked for.

/** Share `index` (0-based) of `total` split `count` ways. */
export function share(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/** All `count` shares of `total`, in order. */
export function split(total: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => share(total, i, count));
}
