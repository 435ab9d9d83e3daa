// The NAT pool as a limit (a NAT gateway, a Kubernetes node's masquerade). Behind SNAT every
// connection to one destination IP:port needs a translated tuple (pool address, pool port), so:
//   - open flows per destination ≤ pool addresses × pool ports, on any kernel;
//   - where conntrack's TIME_WAIT entries keep their tuple (nf_conntrack_tcp_timeout_time_wait,
//     120 s by default — not the hosts' 60 s), new connections/s per destination ≤ tuples ÷ that.
// Measured on Linux 6.18 (scenario snat-port-exhaustion): with the pool short, NAT takes over
// tuples whose conntrack entry is in TIME_WAIT, so only open flows run out there; older kernels
// hold the tuple the full 120 s. The plan gives both figures and says which is which.
import { decimalFormat } from '../util/format.js';

export interface NatLimitInputs {
  poolAddresses: number;
  poolPorts: number;
  destinations: number;
  conntrackTimeWaitSec: number;
  /** Offered new connections/s (after keep-alive); null: capacity only. */
  newConnPerSec: number | null;
}

export interface NatLimit {
  tuplesPerDestination: number;
  /** Open flows the pool can carry at once, over all destinations. */
  openFlows: number;
  /** New connections/s when TIME_WAIT entries hold their tuple for conntrackTimeWaitSec. */
  perSecHeld: number;
  /** The offered rate against perSecHeld (null without a rate). */
  fitsHeld: boolean | null;
  /** Seconds until the pool is full at the offered rate, when TIME_WAIT entries hold tuples. */
  exhaustionSecHeld: number | null;
}

export function computeNatLimit(p: NatLimitInputs): NatLimit {
  const tuplesPerDestination = p.poolAddresses * p.poolPorts;
  const openFlows = tuplesPerDestination * p.destinations;
  const perSecHeld = openFlows / p.conntrackTimeWaitSec;
  // Strictly below, as for ports (model.ts): at exactly the limit a tuple is asked for again
  // the moment its entry's TIME_WAIT ends.
  const fitsHeld = p.newConnPerSec === null ? null : p.newConnPerSec === 0 || p.newConnPerSec < perSecHeld;
  const exhaustionSecHeld = fitsHeld === false && p.newConnPerSec ? openFlows / p.newConnPerSec : null;
  return { tuplesPerDestination, openFlows, perSecHeld, fitsHeld, exhaustionSecHeld };
}

const n = decimalFormat(1);

export function renderNatLimit(p: NatLimitInputs, limit: NatLimit): string {
  const lines = [
    '',
    `NAT pool: ${n(p.poolAddresses)} address(es) × ${n(p.poolPorts)} ports = ${n(limit.tuplesPerDestination)} tuples per destination`,
    `  open flows at once      ≤ ${n(limit.openFlows)} (over ${n(p.destinations)} destination(s)); past that the router drops new SYNs (conntrack insert_failed, drop) and clients time out`,
    Number.isFinite(limit.perSecHeld)
      ? `  new connections/s       < ${n(limit.perSecHeld)} where conntrack TIME_WAIT entries hold their tuple ${n(p.conntrackTimeWaitSec)} s (nf_conntrack_tcp_timeout_time_wait)`
      : '  new connections/s       no bound from TIME_WAIT: nf_conntrack_tcp_timeout_time_wait is 0, no closed flow keeps its tuple',
  ];
  if (limit.fitsHeld === false) {
    lines.push(`  at ${n(p.newConnPerSec!)} new connections/s the pool is full after ${n(limit.exhaustionSecHeld!)} s on such kernels`);
  } else if (limit.fitsHeld === true) {
    lines.push(`  ${n(p.newConnPerSec!)} new connections/s fit`);
  }
  lines.push('  (measured on Linux 6.18: with the pool short, NAT takes over tuples of TIME_WAIT entries, so there only open flows run out)');
  return lines.join('\n');
}
