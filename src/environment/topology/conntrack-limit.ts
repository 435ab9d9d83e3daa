// An emulated full conntrack table in the router. The real knob, net.netfilter.nf_conntrack_max,
// is writable only in the host's network namespace on this kernel (EACCES in any other), and
// twstorm never changes host settings. So the router gets an nftables rule that drops a new TCP
// flow's SYN once `limit` flows are tracked: `ct count over N` (nft_connlimit) keeps one list of
// the flows that passed the rule, with no set key, so it counts them all; a flow leaves the list
// when its conntrack entry is gone or reaches TIME_WAIT/CLOSE (nf_conncount skips closed TCP
// flows), so the limit is on *open* flows. A full table drops the SYN just as the kernel does
// when nf_conntrack_max is reached (no RST, no ICMP): the client retransmits at its SYN retry
// times (Linux >= 6.5: 1, 2, 3, 4 s apart, tcp_syn_linear_timeouts = 4, then doubling; older
// kernels double RFC 6298's 1 s initial RTO from the start) and connect latency jumps to them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TopologyError } from './routed.js';
import { loadNftRuleset, NftError } from '../nft.js';

const run = promisify(execFile);

export const CT_LIMIT_TABLE = 'twstorm_ct_limit';

/** The ruleset: in the forward hook, count and drop a new TCP flow's packet over the limit. */
export function conntrackLimitRuleset(limit: number): string {
  return [
    `table inet ${CT_LIMIT_TABLE} {`,
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    meta l4proto tcp ct state new ct count over ${limit} counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Loads the limit into this namespace (the router). */
export async function applyConntrackLimit(limit: number): Promise<void> {
  await loadNftRuleset(conntrackLimitRuleset(limit)).catch((err: NftError) => {
    throw new TopologyError(err.missing ? 'conntrack.limit: the nft command is missing (Debian package nftables)' : `conntrack.limit: nft refused the rule (needs nft_connlimit): ${err.detail}`);
  });
}

/** Packets the limit rule dropped so far: each one a SYN (first or retransmitted) of a refused flow. */
export async function readConntrackLimitDrops(): Promise<number> {
  const { stdout } = await run('nft', ['list', 'table', 'inet', CT_LIMIT_TABLE], { timeout: 10_000 });
  const m = /ct count over \d+ counter packets (\d+)/.exec(stdout);
  if (!m) throw new TopologyError(`conntrack.limit: no counter in the router's ${CT_LIMIT_TABLE} table (nft printed: ${stdout.trim().split('\n').join(' ')}); this nft does not print "ct count" rules as expected: check "nft --version" (1.0 or later)`);
  return Number(m[1]);
}
