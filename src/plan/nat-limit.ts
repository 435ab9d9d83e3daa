// The NAT pool as a limit (a NAT gateway, a Kubernetes node's masquerade). Behind SNAT every
// connection to one destination IP:port needs a translated tuple (pool address, pool port), so:
//   - open flows per destination ≤ pool addresses × pool ports, on any kernel;
//   - where conntrack's closed entries keep their tuple — TIME_WAIT for a FIN close
//     (nf_conntrack_tcp_timeout_time_wait, 120 s by default — not the hosts' 60 s), CLOSE for an
//     RST (nf_conntrack_tcp_timeout_close, 10 s) — new connections/s per destination ≤ tuples ÷ that.
// Measured on Linux 6.18 (scenario snat-port-exhaustion): with the pool short, NAT takes over
// tuples whose conntrack entry is in TIME_WAIT (nf_nat_used_tuple_harder evicts entries in
// TIME_WAIT or CLOSE), so only open flows run out there; older kernels hold the tuple the whole
// timeout. The plan gives both figures and says which is which.
// A source address uses one pool address only: nf_nat_core's find_best_ips_proto picks it by a
// hash of the source and destination addresses (so a server sees a client from one address), not
// by which has free ports. Measured on 6.18: one client host behind 4 addresses × 100 ports held
// 100 flows, not 400, and 50 of 150 connects timed out; 3 hosts on 4 addresses used 2 of them.
import { decimalFormat } from '../util/format.js';
import { CONNTRACK_CLOSE_SECONDS } from '../tcp-facts.js';
import { offeredText, rateText } from './words.js';

export interface NatLimitInputs {
  poolAddresses: number;
  poolPorts: number;
  destinations: number;
  /**
   * Source addresses behind the NAT (a lab's client hosts, plan's --sources): each is translated
   * to one pool address, so they use at most this many of the pool's. Absent: every address.
   */
  sources?: number;
  conntrackTimeWaitSec: number;
  /** An RST ends each flow (closer rst): its entry goes to CLOSE, not TIME_WAIT. Absent: false. */
  rst?: boolean;
  /** nf_conntrack_tcp_timeout_close, seconds. Absent: the kernel's 10. */
  conntrackCloseSec?: number;
  /** Offered new connections/s (after keep-alive); null: capacity only. */
  newConnPerSec: number | null;
  /** Flows the load keeps open at once (plan --from: concurrency × client hosts); absent or null: not known. */
  openFlowsWanted?: number | null;
}

export interface NatLimit {
  tuplesPerDestination: number;
  /** Pool addresses the sources can use: one each (find_best_ips_proto), at most the pool's. */
  addressesUsed: number;
  /**
   * Open flows the pool can carry at once, over all destinations: the ports of the addresses the
   * sources use. A ceiling when several sources share a pool: two can hash to one address.
   */
  openFlows: number;
  /** Seconds a closed flow's entry keeps its tuple on kernels that do not take it over: TIME_WAIT's, or CLOSE's after an RST. */
  heldSec: number;
  /** New connections/s when closed entries hold their tuple for heldSec. */
  perSecHeld: number;
  /** The offered rate against perSecHeld (null without a rate). */
  fitsHeld: boolean | null;
  /** Seconds until the pool is full at the offered rate, when closed entries hold tuples. */
  exhaustionSecHeld: number | null;
  /** The flows open at once against openFlows: false when more are open than the pool has tuples (null: not known). */
  fitsOpen: boolean | null;
}

export function computeNatLimit(p: NatLimitInputs): NatLimit {
  const tuplesPerDestination = p.poolAddresses * p.poolPorts;
  const addressesUsed = Math.min(p.poolAddresses, p.sources ?? p.poolAddresses);
  const openFlows = addressesUsed * p.poolPorts * p.destinations;
  // An RST takes the entry to CLOSE (tcp_conntracks: any state + RST → sCL), kept 10 s.
  const heldSec = p.rst ? (p.conntrackCloseSec ?? CONNTRACK_CLOSE_SECONDS) : p.conntrackTimeWaitSec;
  const perSecHeld = openFlows / heldSec;
  // Strictly below, as for ports (model.ts): at exactly the limit a tuple is asked for again
  // the moment its entry's timeout ends.
  const fitsHeld = p.newConnPerSec === null ? null : p.newConnPerSec === 0 || p.newConnPerSec < perSecHeld;
  const exhaustionSecHeld = fitsHeld === false && p.newConnPerSec ? openFlows / p.newConnPerSec : null;
  const fitsOpen = p.openFlowsWanted == null ? null : p.openFlowsWanted <= openFlows;
  return { tuplesPerDestination, addressesUsed, openFlows, heldSec, perSecHeld, fitsHeld, exhaustionSecHeld, fitsOpen };
}

/**
 * The connects of a run that get a NAT tuple when the pool is short. Of the first wave (the flows
 * the load opens at once) only the pool's `openFlows` do; the others' SYNs are dropped at the
 * router and they time out, leaving no socket in TIME_WAIT (snat-port-exhaustion: 160 flows for
 * 100 tuples, 100 in TIME_WAIT where the plan said 160). Later waves are not modelled — which
 * waiting connect gets a tuple freed by a closing flow is a race — so past one wave this is the
 * most that can: the attempts less the first wave's losers.
 */
export function connectsThroughPool(attempts: number, openFlowsWanted: number, limit: NatLimit): number {
  return attempts - Math.max(0, Math.min(attempts, openFlowsWanted) - limit.openFlows);
}

const n = decimalFormat(1);
// The capacity never rounded up, the load never down (words.ts): at 0.87/s against 100 tuples ÷ 115 s
// (0.8696/s) the pool read "< 0.9" and "at 0.9 new connections/s the pool is full".

export function renderNatLimit(p: NatLimitInputs, limit: NatLimit): string {
  const held = p.rst
    ? `conntrack CLOSE entries (an RST ends each flow) hold their tuple ${n(limit.heldSec)} s (nf_conntrack_tcp_timeout_close)`
    : `conntrack TIME_WAIT entries hold their tuple ${n(limit.heldSec)} s (nf_conntrack_tcp_timeout_time_wait)`;
  const lines = [
    '',
    `NAT pool: ${n(p.poolAddresses)} address(es) × ${n(p.poolPorts)} ports = ${n(limit.tuplesPerDestination)} tuples per destination`,
    `  open flows at once      ≤ ${n(limit.openFlows)} (over ${n(p.destinations)} destination(s)); past that the router drops new SYNs (conntrack insert_failed, drop) and clients time out`,
  ];
  const sources = p.sources ?? null;
  if (sources !== null && p.poolAddresses > 1) {
    const share = sources > 1 ? `; sources that hash to one address share its ${n(p.poolPorts)} ports, so that is the most` : '';
    lines.push(
      `  each source address uses one pool address (picked by a hash of source and destination address): ${n(sources)} source(s) use at most ${n(limit.addressesUsed)} of the ${n(p.poolAddresses)}${share}`,
    );
  }
  if (limit.fitsOpen === false) {
    lines.push(`  the load keeps ${n(p.openFlowsWanted!)} flows open at once: ${n(p.openFlowsWanted! - limit.openFlows)} find no tuple, and their connects time out (ETIMEDOUT)`);
  } else if (limit.fitsOpen === true) {
    lines.push(`  the load keeps ${n(p.openFlowsWanted!)} flows open at once: they fit`);
  }
  const shown = ratesApart(limit.perSecHeld, p.newConnPerSec ?? null);
  lines.push(
    Number.isFinite(limit.perSecHeld)
      ? `  new connections/s       < ${shown.limit} where ${held}`
      : `  new connections/s       no bound from ${p.rst ? 'CLOSE: nf_conntrack_tcp_timeout_close' : 'TIME_WAIT: nf_conntrack_tcp_timeout_time_wait'} is 0, no closed flow keeps its tuple`,
  );
  if (limit.fitsHeld === false) {
    lines.push(`  at ${shown.offered} new connections/s the pool is full after ${n(limit.exhaustionSecHeld!)} s on such kernels`);
  } else if (limit.fitsHeld === true) {
    lines.push(`  ${shown.offered} new connections/s fit`);
  }
  lines.push(
    p.rst
      ? '  (Linux 6.18 takes over the tuple of an entry in TIME_WAIT or CLOSE when the pool is short, nf_nat_used_tuple_harder, measured for TIME_WAIT: there only open flows run out)'
      : '  (measured on Linux 6.18: with the pool short, NAT takes over tuples of TIME_WAIT entries, so there only open flows run out)',
  );
  return lines.join('\n');
}

/**
 * The pool's rate and the offered one as printed side by side. Each alone is rounded its own
 * way (a capacity down, a load to the nearest), so two close rates could print as "< 100" and
 * "100 new connections/s fit" (a review: 100.04 and 100.02); then both get the decimals that
 * keep the capacity's floor above the load's ceiling, or not, as the plan found.
 */
export function ratesApart(limit: number, offered: number | null): { limit: string; offered: string } {
  const plain = { limit: Number.isFinite(limit) ? rateText(limit) : '', offered: offered === null ? '' : offeredText(offered) };
  if (offered === null || !Number.isFinite(limit) || limit < 1 || offered < 1) return plain;
  const fits = offered < limit;
  for (let d = 1; d <= 6; d++) {
    const f = 10 ** d;
    const floor = Math.floor(limit * f) / f;
    const ceil = Math.ceil(offered * f) / f;
    if (fits ? floor > ceil : floor <= ceil) {
      return d === 1 ? plain : { limit: floor.toFixed(d), offered: ceil.toFixed(d) };
    }
  }
  return { limit: limit.toFixed(6), offered: offered.toFixed(6) };
}
