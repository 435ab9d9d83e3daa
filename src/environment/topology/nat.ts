// SNAT in the router: connections leaving towards the server get their source rewritten to a pool
// of addresses × a port range, as a NAT gateway or a Kubernetes node does. The pool is the
// limit: one translated 4-tuple per (pool address, port) per destination, held for as long as
// conntrack keeps the entry — 120 s in TIME_WAIT (nf_conntrack_tcp_timeout_time_wait), not 60.
import { natPool } from './addresses.js';
import { TopologyError } from './routed.js';

import { loadNftRuleset, NftError } from '../nft.js';

export interface NatSpec {
  /** Pool addresses (198.19.1.1 …). */
  addresses: number;
  /** Port range, e.g. [40000, 40199]. */
  ports: [number, number];
  /**
   * A random port per connection instead of the kernel's sequential search
   * (NF_NAT_RANGE_PROTO_RANDOM_FULLY: iptables spells it --random-fully, nft `fully-random`).
   */
  randomFully: boolean;
}

export const NAT_TABLE = 'twstorm_nat';

/** How many translated tuples the pool holds towards one destination. */
export function natPoolSize(spec: NatSpec): number {
  return spec.addresses * (spec.ports[1] - spec.ports[0] + 1);
}

/**
 * The nft ruleset. A port range needs `meta l4proto tcp` (nft refuses a port in the snat
 * statement without knowing the transport protocol); the rule covers only traffic out of
 * `outIfname`, so the router's own and the return traffic are untouched.
 */
export function natRuleset(spec: NatSpec, outIfname: string): string {
  const pool = natPool(spec.addresses);
  const to = pool.length === 1 ? pool[0] : `${pool[0]}-${pool.at(-1)}`;
  // nft's word is `fully-random`: nft 1.0.6 refuses `random-fully` (iptables' spelling) with "syntax
  // error, unexpected newline", and every run with randomFully: true stopped before its load.
  const flags = spec.randomFully ? ' fully-random' : '';
  return [
    `table ip ${NAT_TABLE} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${outIfname}" meta l4proto tcp counter snat to ${to}:${spec.ports[0]}-${spec.ports[1]}${flags}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Loads the ruleset into this namespace's nftables (the router). */
export async function applyNat(spec: NatSpec, outIfname: string): Promise<void> {
  await loadNftRuleset(natRuleset(spec, outIfname)).catch((err: NftError) => {
    throw new TopologyError(err.missing ? 'nat: the nft command is missing (Debian package nftables)' : `nat: nft refused the ruleset: ${err.detail}`);
  });
}

/**
 * Without a rule that uses conntrack, a namespace tracks nothing; this one counts new flows so
 * the router's conntrack table is live even without NAT.
 */
export async function enableConntrack(): Promise<void> {
  const ruleset = `table inet twstorm_ct {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n    ct state new counter\n  }\n}\n`;
  await loadNftRuleset(ruleset).catch((err: NftError) => {
    throw new TopologyError(err.missing ? 'conntrack: the nft command is missing (Debian package nftables)' : `conntrack: ${err.detail}`);
  });
}
