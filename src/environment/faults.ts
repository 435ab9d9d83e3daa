// Faults on the wire: the scenario's `faults:` rules as one nftables table in the run's own
// namespace. Loopback traffic crosses the input hook once per segment, so one input chain sees
// both directions. In a routed lab the table is the router's, in its forward hook, which every
// segment between a client host and the server host crosses once; the hosts' own firewalls are
// left alone, as a middlebox on a real path would leave them. Every rule ends in a counter that
// src/observe/faults.ts reads at the end.
//
// "final-ack" has no TCP flag of its own (it is a bare ACK like the handshake's third segment
// and every data ACK), so it is told apart by what conntrack made of it. Conntrack runs before
// this chain (on loopback in the output hook, in a router in prerouting), and a bare ACK that
// answers the peer's FIN moves the entry from LAST_ACK to TIME_WAIT
// (nf_conntrack_tcp_timeout_time_wait, 120 s). A bare ACK of data leaves it ESTABLISHED (5 days),
// one of a lone FIN leaves it in CLOSE_WAIT (60 s). So a bare ACK whose entry expires in
// (close_wait, time_wait] seconds is the final ACK (or its re-sent copy). Using `ct` loads
// conntrack in the namespace, nothing else does (a router has it loaded already).
//
// "First N" is `numgen inc mod 2^31 < N`: the expression's own counter only advances for the
// segments that reached it (nft evaluates a rule's expressions in order and stops at the first
// mismatch), so it numbers the matching segments 0, 1, 2…
import type { Scenario } from '../scenario/index.js';

import { loadNftRuleset, NftError } from './nft.js';
import { ExpectedError } from '../util/expected-error.js';
import { readSysctl } from './sysctl.js';
import { namespaceFix, probeNamespace } from './namespace.js';

export const FAULT_TABLE = 'twstorm_faults';
export type FaultRule = Scenario['faults'][number];

export class FaultError extends ExpectedError {}

/** conntrack's TCP timeouts (s) that decide which bare ACK is the final one. */
export interface ConntrackTimeouts {
  timeWait: number;
  closeWait: number;
}
/** The kernel defaults; read back from the namespace once conntrack is loaded. */
export const DEFAULT_CT_TIMEOUTS: ConntrackTimeouts = { timeWait: 120, closeWait: 60 };

const FLAGS: Record<FaultRule['packets'], (ct: ConntrackTimeouts) => string> = {
  'final-ack': (ct) => `tcp flags == ack ct expiration > ${ct.closeWait}s ct expiration <= ${ct.timeWait}s`,
  fin: () => 'tcp flags & fin == fin',
  syn: () => 'tcp flags & (syn | ack) == syn',
  'syn-ack': () => 'tcp flags & (syn | ack) == syn | ack',
  rst: () => 'tcp flags & rst == rst',
  any: () => 'meta l4proto tcp',
};

/** A rule in words, as the report and the counters name it: "drop final-ack to-server (first 200)". */
export function describeFault(rule: FaultRule): string {
  const limits = [rule.percent < 100 ? `${rule.percent} % at random` : '', rule.count !== null ? `first ${rule.count}` : ''].filter(Boolean);
  return `${rule.action} ${rule.packets} ${rule.direction}${limits.length > 0 ? ` (${limits.join(', ')})` : ''}`;
}

/**
 * Where the rules sit: `input` in a run's one namespace (loopback), `forward` in a routed lab's
 * router. The server's port is the same on either side of the router's SNAT (it rewrites the
 * client's source), so `direction` selects by it unchanged, and `reject with tcp reset` in
 * forward answers the segment's sender, before SNAT has touched it.
 */
export type FaultHook = 'input' | 'forward';

/** The nft ruleset for these rules against these server ports. */
export function faultRuleset(rules: readonly FaultRule[], serverPorts: readonly number[], ct: ConntrackTimeouts = DEFAULT_CT_TIMEOUTS, hook: FaultHook = 'input'): string {
  const ports = `{ ${serverPorts.join(', ')} }`;
  const lines = [`table inet ${FAULT_TABLE} {`];
  rules.forEach((rule, i) => {
    // One chain per rule holds the selection and the counter, so "both" directions share one
    // "first N" and one count.
    const select = [rule.percent < 100 ? `numgen random mod 100 < ${rule.percent}` : '', rule.count !== null ? `numgen inc mod 2147483648 < ${rule.count}` : '']
      .filter(Boolean)
      .join(' ');
    const verdict = rule.action === 'reset' ? 'reject with tcp reset' : 'drop';
    lines.push(`  chain fault${i} {`, `    ${select ? `${select} ` : ''}counter ${verdict} comment "fault${i}"`, '  }');
  });
  lines.push(`  chain ${hook} {`, `    type filter hook ${hook} priority filter; policy accept;`);
  rules.forEach((rule, i) => {
    const match = FLAGS[rule.packets](ct);
    if (rule.direction !== 'to-client') lines.push(`    tcp dport ${ports} ${match} jump fault${i}`);
    if (rule.direction !== 'to-server') lines.push(`    tcp sport ${ports} ${match} jump fault${i}`);
  });
  lines.push('  }', '}', '');
  return lines.join('\n');
}

async function nft(input: string): Promise<void> {
  await loadNftRuleset(input).catch((err: NftError) => {
    throw new FaultError(
      err.missing
        ? 'faults: the nft command is missing, so the scenario\'s faults cannot be applied: install nftables (Debian/Ubuntu: apt install nftables) or remove `faults:`'
        : `faults: nft refused the fault rules (${err.detail}): check that nf_tables can load (twstorm doctor)`,
    );
  });
}

async function readTimeouts(): Promise<ConntrackTimeouts | null> {
  const [timeWait, closeWait] = await Promise.all(['time_wait', 'close_wait'].map((state) => readSysctl(`net.netfilter.nf_conntrack_tcp_timeout_${state}`)));
  return timeWait === null || closeWait === null ? null : { timeWait: Number(timeWait), closeWait: Number(closeWait) };
}

/**
 * Loads the rules into this process's namespace. `isolation` must be 'netns': the table would
 * otherwise land in the host's firewall, which twstorm never changes.
 */
export async function applyFaults(rules: readonly FaultRule[], serverPorts: readonly number[], isolation: 'netns' | 'host', hook: FaultHook = 'input'): Promise<void> {
  if (rules.length === 0) return;
  if (isolation !== 'netns') {
    throw new FaultError(`faults: this run fell back to the host network, and twstorm never changes the host's firewall: ${namespaceFix(probeNamespace())}, or remove \`faults:\``);
  }
  await nft(faultRuleset(rules, serverPorts, DEFAULT_CT_TIMEOUTS, hook));
  if (!rules.some((r) => r.packets === 'final-ack')) return;
  // conntrack's sysctls exist only once the table above loaded it; a namespace whose timeouts
  // differ from the defaults gets the rules again with its own.
  const ct = await readTimeouts();
  if (ct === null || !(ct.timeWait > ct.closeWait)) {
    throw new FaultError('faults: final-ack needs conntrack with nf_conntrack_tcp_timeout_time_wait above close_wait, which this namespace does not have: use packets fin or any instead');
  }
  if (ct.timeWait !== DEFAULT_CT_TIMEOUTS.timeWait || ct.closeWait !== DEFAULT_CT_TIMEOUTS.closeWait) {
    await nft(`delete table inet ${FAULT_TABLE}\n${faultRuleset(rules, serverPorts, ct, hook)}`);
  }
}
