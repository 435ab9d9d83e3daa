// The routed lab's router as the limit: an SNAT pool with no free tuple left, or a conntrack
// table that was full. Both drop the SYN of a new flow at the router, which the client sees as a
// connect() that waits for its SYN retry (1 s, then 3 s, …) or times out: nothing in the client's
// or the server's own counters says why (an audit: "no error and no kernel drop was measured"
// beside 60 ETIMEDOUT and 120 conntrack drops).
import type { RunResult } from '../../result/model.js';
import { conntrackTimeWait, labOf, routerRefusals } from '../../result/lab.js';
import { int } from '../../util/format.js';
import type { Change, Finding } from './types.js';

/** "insert_failed 120, drop 120": the trouble counters that moved. */
const counterWords = (counters: ReadonlyArray<[string, number]>): string => counters.map(([k, n]) => `${k} ${int(n)}`).join(', ');

export function routerFinding(result: RunResult): Finding | null {
  const r = routerRefusals(result);
  if (r === null) return null;
  const nat = labOf(result)!.router.nat !== null;
  const parts = [
    ...(r.limit ? [`its conntrack table was full (${int(r.limit.max)} entries) and it dropped ${int(r.limit.droppedSyns)} SYNs`] : []),
    ...(r.counters.length > 0 ? [`conntrack ${counterWords(r.counters)}${nat ? ' (SNAT found no free tuple)' : ''}`] : []),
  ];
  return { rule: 'router', label: 'Router', text: `The router refused new flows: ${parts.join('; ')}.`, alert: true };
}

export function routerRule(result: RunResult): Change | null {
  const r = routerRefusals(result);
  if (r === null) return null;
  const lab = labOf(result)!;
  // Measured on 6.18 (docs/lab.md): short of tuples, NAT takes over one whose conntrack entry is
  // in TIME_WAIT, so open flows are what run a pool out; the emulated table limit counts open
  // flows too, where a real nf_conntrack_max also counts TIME_WAIT entries (an audit: the advice
  // said "TIME_WAIT included", against the measured fact). Said as the kernel's behaviour, not as
  // this run's: a run whose flows were all open at once (snat-port-exhaustion) had no TIME_WAIT
  // entry to take over, and "NAT here took over" claimed what it never did (an audit).
  const timeWait = `nf_conntrack_tcp_timeout_time_wait, ${conntrackTimeWait(result).seconds} s in this run`;
  const timedOut = result.summary.errors['ETIMEDOUT'] ?? 0;
  const clients = timedOut > 0 ? ` ${int(timedOut)} connects timed out (ETIMEDOUT).` : ' The clients waited for their SYN retries.';
  if (r.limit) {
    return {
      rule: 'router-conntrack',
      change: 'Raise the router\'s conntrack table size (nf_conntrack_max)',
      why: `The router's conntrack table was full at ${int(r.limit.max)} entries and it dropped ${int(r.limit.droppedSyns)} SYNs of new flows.${clients} Each open flow holds an entry (the emulated limit counts open flows; a real nf_conntrack_max also counts the entries in conntrack's TIME_WAIT, ${timeWait}).`,
    };
  }
  const nat = lab.router.nat;
  // Each client host uses one pool address, picked by a hash of its address and the server's
  // (nf_nat_core find_best_ips_proto), whatever ports the others have free: measured, one host
  // behind 4 addresses × 100 ports held 100 flows, and 3 hosts on 4 addresses used 2. More
  // addresses than hosts add nothing (an audit: the advice said "more addresses" to one host).
  const hosts = lab.hosts.filter((h) => h.role === 'client').length;
  const ports = nat ? nat.ports[1] - nat.ports[0] + 1 : 0;
  const oneEach = nat !== null && nat.pool.length > 1 ? ` Each client host uses one pool address (the kernel picks it by a hash of the source and destination addresses), so it has ${int(ports)} ports of them, shared with any host that hashed to the same address.` : '';
  return {
    rule: 'router-nat',
    change: nat
      ? hosts <= nat.pool.length
        ? 'Widen the router\'s SNAT pool (more ports in router.nat: each client host uses one pool address)'
        : 'Widen the router\'s SNAT pool (more addresses or ports in router.nat)'
      : 'Find why the router\'s conntrack refused flows',
    why:
      (nat
        ? `The router's SNAT pool (${int(nat.tuples)} tuples per destination) ran out: conntrack ${counterWords(r.counters)}.${oneEach}`
        : `The router's conntrack refused flows: ${counterWords(r.counters)}.`) +
      `${clients} A tuple stays taken while its flow is open, so open flows are what run the pool out: short of tuples, NAT takes over one whose conntrack entry is in TIME_WAIT (measured on Linux 6.18); a kernel that keeps them for that TIME_WAIT (${timeWait}) runs out sooner.`,
  };
}
