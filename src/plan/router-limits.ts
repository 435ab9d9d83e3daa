// The routed lab's router, held against the load: an SNAT pool (tuples per destination, held
// while conntrack keeps the flow) or a full conntrack table limits flows before any client port
// does, so plan --from on a lab result judges it beside the port model (from-result.ts).
import type { RunResult } from '../result/model.js';
import type { PlanInputs } from './types.js';
import { connectionLife } from '../result/figures.js';
import { conntrackTimeout, conntrackTimeWait, labOf, routerRefusals } from '../result/lab.js';
import { computeNatLimit, type NatLimit, type NatLimitInputs } from './nat-limit.js';
import { CONNTRACK_CLOSE_SECONDS } from '../tcp-facts.js';
import { httpPoolConnections, peakConcurrency } from '../scenario/work.js';
import { offeredPeak } from './model.js';

/**
 * The router of a routed lab limits flows before any port does: an SNAT pool (tuples per
 * destination, held while conntrack keeps the flow) or a full conntrack table. The port model
 * does not follow either (an audit: "fits, never" where 60 of 160 connects timed out at the
 * router), so the pool is given as `plan --nat-pool` gives it and the table as a note.
 */
export function routerLimits(result: RunResult, model: PlanInputs, newConnPerSec: number | null, hosts: number, notes: string[]): { inputs: NatLimitInputs; limit: NatLimit } | null {
  const lab = labOf(result);
  if (lab === null) return null;
  const refused = routerRefusals(result)?.packets ?? 0;
  const table = lab.router.conntrack.limit;
  if (table) {
    notes.push(`the router's conntrack table holds at most ${table.max} flows (conntrack.limit): past that it drops the SYN of a new flow (${table.droppedSyns} dropped in this run), which the port model does not follow`);
  }
  const nat = lab.router.nat;
  if (nat === null) return null;
  const inputs: NatLimitInputs = {
    poolAddresses: nat.pool.length,
    poolPorts: nat.ports[1] - nat.ports[0] + 1,
    destinations: model.destinations,
    // Each client host is one source address (a lab refuses client.sourceAddresses).
    sources: hosts,
    conntrackTimeWaitSec: conntrackTimeWait(result).seconds,
    rst: model.closer === 'rst',
    // An RST ends the flow in conntrack's CLOSE (nf_conntrack_tcp_timeout_close), not TIME_WAIT.
    conntrackCloseSec: conntrackTimeout(result, 'close', CONNTRACK_CLOSE_SECONDS).seconds,
    newConnPerSec,
    openFlowsWanted: openFlowsWanted(result, hosts),
  };
  const limit = computeNatLimit(inputs);
  notes.push(
    `the router translates to an SNAT pool of ${limit.tuplesPerDestination} tuples per destination: at most ${limit.openFlows} flows at once${limit.addressesUsed < inputs.poolAddresses ? ` (each client host uses one pool address: ${hosts} of ${inputs.poolAddresses})` : ''}${refused > 0 ? `, and conntrack refused or evicted ${refused} packets of flows in this run (the larger of insert_failed and drop, plus early_drop)` : ''}; see "NAT pool" below`,
  );
  if (limit.fitsOpen === false) {
    notes.push(
      `the load keeps ${inputs.openFlowsWanted} flows open at once (${openFlowsWords(result, hosts)}), ${inputs.openFlowsWanted! - limit.openFlows} more than the pool's ${limit.openFlows} tuples: their SYNs find no tuple, the router drops them (conntrack insert_failed) and those connects time out (ETIMEDOUT), however many client ports are free`,
    );
  }
  return { inputs, limit };
}

/** What to change when the load keeps more flows open than the SNAT pool has tuples. */
export function natFixes(p: NatLimitInputs, limit: NatLimit): string[] {
  const wanted = p.openFlowsWanted!;
  // More addresses help only while there are sources left without one of their own.
  const portsNeeded = Math.ceil(wanted / (limit.addressesUsed * p.destinations));
  const unused = limit.addressesUsed < p.poolAddresses;
  const addresses = unused ? `${limit.addressesUsed} address(es) in use (of ${p.poolAddresses}: each source address uses one, so more do not help)` : `${p.poolAddresses} address(es)`;
  return [
    `give the router's SNAT pool at least ${wanted} tuples per destination: ${addresses} × ${portsNeeded} ports${unused ? '' : ', or more addresses'} (router.nat; now ${limit.addressesUsed * p.poolPorts})`,
    `keep at most ${limit.openFlows} flows open at once through the router (now ${wanted}): less concurrency or shorter connections`,
  ];
}

/**
 * Flows the load keeps open at once over all client hosts, each holding a NAT tuple: a closed
 * loop's concurrency (its largest stage), no more than the connections (or requests) each host
 * makes, or a keep-alive pool's connections; an open loop's rate × connection life (Little's
 * law), no more than maxInFlight. null when it is not known (an HTTP open loop, or no connection timed).
 */
function openFlowsWanted(result: RunResult, hosts: number): number | null {
  const s = result.scenario;
  if (s.protocol === 'http' && s.http.client === 'keepalive') return httpPoolConnections(s) * hosts;
  const rate = offeredPeak({ rate: s.rate ?? null, stages: s.stages ?? [] });
  if (rate === null) {
    const count = s.protocol === 'http' ? s.http.requests : s.connections;
    return Math.min(peakConcurrency(s), count) * hosts;
  }
  if (s.protocol !== 'tcp') return null;
  const life = connectionLife(result);
  if (life === null) return null;
  return Math.round(Math.min(rate * life.sec, s.maxInFlight ?? Infinity) * hosts);
}

function openFlowsWords(result: RunResult, hosts: number): string {
  const s = result.scenario;
  const each = s.protocol === 'http' && s.http.client === 'keepalive' ? 'the keep-alive pool' : s.rate == null ? 'concurrency' : 'rate × connection life';
  return hosts > 1 ? `${each} × ${hosts} client hosts` : each;
}

/**
 * The most flows the router's conntrack held open at once: its census's entries less those in
 * TIME_WAIT or CLOSE (closed flows). A SYN that found no tuple is never confirmed, so it is not
 * among them. null without a census.
 */
export function openFlowsMeasured(result: RunResult): number | null {
  const samples = labOf(result)?.router.conntrack.samples ?? [];
  let most: number | null = null;
  for (const sample of samples) {
    const open = Object.entries(sample.states).reduce((n, [state, count]) => (state === 'TIME_WAIT' || state === 'CLOSE' ? n : n + count), 0);
    most = Math.max(most ?? 0, open);
  }
  return most;
}
