// The sysctls a scenario may set. A run writes them inside the network namespace it created,
// so only settings the kernel keeps per network namespace are safe: a name under net.* is not
// enough (net.netfilter.nf_hooks_lwtunnel is visible in every namespace but flips a host-wide,
// one-way static key; net.core.netdev_max_backlog and friends are global). Each entry below
// names where the kernel keeps its value per namespace (struct net → netns_ipv4, netns_core,
// netns_ipv6, the per-netns conntrack state), so a write in the run's namespace cannot reach
// the host. Adding a setting means checking that in the kernel source first.
import { didYouMean } from '../util/suggest.js';
import { parsePortRange } from './port-range.js';

/**
 * Sysctls every run starts from; scenario sysctls are merged over these by the environment layer.
 * The kernel default tcp_tw_reuse=2 reuses TIME_WAIT ports on loopback only, after about a
 * second, which hides the storm on 127.0.0.1 that a real network between hosts would show.
 * Runs model the real network, so reuse is off unless a scenario turns it back on.
 */
export const DEFAULT_SYSCTLS: Record<string, string | number> = { 'net.ipv4.tcp_tw_reuse': 0 };

/** The sysctl a router conntrack timeout is written through: `timeouts: { time_wait: 30 }`. */
export const conntrackTimeoutKey = (state: string): string => `net.netfilter.nf_conntrack_tcp_timeout_${state}`;

type SysctlValues = Record<string, string | number>;

/**
 * The sysctls a routed lab writes in its router, in the order they win: environment.sysctls
 * (every host's, the router's too), router.sysctls, then router.conntrack.timeouts. The run
 * writes them (run/routed-run.ts) and a result's readers ask what was in force
 * (result/lab.ts): one answer for both. Takes a result's environment too, which may lack fields.
 */
export function routerSysctls(env: {
  sysctls?: SysctlValues;
  router?: { sysctls?: SysctlValues; conntrack?: { timeouts?: Record<string, number> } | null };
}): SysctlValues {
  const out: SysctlValues = { ...env.sysctls, ...env.router?.sysctls };
  for (const [state, seconds] of Object.entries(env.router?.conntrack?.timeouts ?? {})) out[conntrackTimeoutKey(state)] = seconds;
  return out;
}

export const NAMESPACED_SYSCTLS: Readonly<Record<string, string>> = {
  // Ephemeral ports and binding: struct netns_ipv4 (ip_local_ports since 3.x; the rest per netns since they were added).
  'net.ipv4.ip_local_port_range': 'netns_ipv4.ip_local_ports: the ephemeral range connect() picks from',
  'net.ipv4.ip_local_reserved_ports': 'netns_ipv4.sysctl_local_reserved_ports: ports connect() must skip',
  'net.ipv4.ip_autobind_reuse': 'netns_ipv4.sysctl_ip_autobind_reuse (5.6): bind(port 0) may reuse ports of SO_REUSEADDR sockets',
  'net.ipv4.ip_nonlocal_bind': 'netns_ipv4.sysctl_ip_nonlocal_bind: bind to addresses not (yet) configured',
  'net.ipv4.ip_unprivileged_port_start': 'netns_ipv4.sysctl_ip_prot_sock: lowest port unprivileged processes may bind',
  'net.ipv4.ip_forward': 'netns_ipv4.devconf_all->forwarding: routing inside a namespaced lab',
  'net.ipv6.conf.all.forwarding': 'netns_ipv6.devconf_all->forwarding: IPv6 routing inside a namespaced lab',
  // TIME_WAIT and closing: netns_ipv4 (tcp_death_row is per netns since 4.14, a pointer into the netns since 5.19).
  'net.ipv4.tcp_tw_reuse': 'netns_ipv4.sysctl_tcp_tw_reuse: reuse TIME_WAIT ports for outgoing connections',
  'net.ipv4.tcp_tw_reuse_delay': 'netns_ipv4.sysctl_tcp_tw_reuse_delay (6.13): how old a TIME_WAIT must be to reuse it',
  'net.ipv4.tcp_max_tw_buckets': 'netns_ipv4.tcp_death_row.sysctl_max_tw_buckets: TIME_WAIT sockets kept before overflow',
  'net.ipv4.tcp_fin_timeout': 'netns_ipv4.sysctl_tcp_fin_timeout: lifetime of orphaned FIN_WAIT2 (not TIME_WAIT)',
  'net.ipv4.tcp_rfc1337': 'netns_ipv4.sysctl_tcp_rfc1337: whether an RST in TIME_WAIT ends it early',
  'net.ipv4.tcp_timestamps': 'netns_ipv4.sysctl_tcp_timestamps: needed by tcp_tw_reuse and PAWS',
  'net.ipv4.tcp_orphan_retries': 'netns_ipv4.sysctl_tcp_orphan_retries: retries for orphaned sockets',
  'net.ipv4.tcp_child_ehash_entries': 'netns_ipv4.sysctl_tcp_child_ehash_entries (6.1): size of child namespaces\' connection tables',
  // Connection setup and the listen queue.
  'net.ipv4.tcp_syncookies': 'netns_ipv4.sysctl_tcp_syncookies',
  'net.ipv4.tcp_max_syn_backlog': 'netns_ipv4.sysctl_max_syn_backlog',
  'net.ipv4.tcp_abort_on_overflow': 'netns_ipv4.sysctl_tcp_abort_on_overflow: RST instead of dropping when the accept queue is full',
  'net.ipv4.tcp_syn_retries': 'netns_ipv4.sysctl_tcp_syn_retries',
  'net.ipv4.tcp_synack_retries': 'netns_ipv4.sysctl_tcp_synack_retries',
  'net.ipv4.tcp_retries1': 'netns_ipv4.sysctl_tcp_retries1',
  'net.ipv4.tcp_retries2': 'netns_ipv4.sysctl_tcp_retries2',
  'net.ipv4.tcp_migrate_req': 'netns_ipv4.sysctl_tcp_migrate_req (5.14): move requests between SO_REUSEPORT listeners',
  'net.core.somaxconn': 'netns_core.sysctl_somaxconn: cap on listen() backlogs',
  // Keep-alive and buffers.
  'net.ipv4.tcp_keepalive_time': 'netns_ipv4.sysctl_tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl': 'netns_ipv4.sysctl_tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes': 'netns_ipv4.sysctl_tcp_keepalive_probes',
  'net.ipv4.tcp_rmem': 'netns_ipv4.sysctl_tcp_rmem (4.15): receive buffer min/default/max',
  'net.ipv4.tcp_wmem': 'netns_ipv4.sysctl_tcp_wmem (4.15): send buffer min/default/max (unsent data at close)',
  'net.ipv4.tcp_slow_start_after_idle': 'netns_ipv4.sysctl_tcp_slow_start_after_idle',
  'net.ipv4.tcp_autocorking': 'netns_ipv4.sysctl_tcp_autocorking',
  'net.ipv4.tcp_notsent_lowat': 'netns_ipv4.sysctl_tcp_notsent_lowat',
  'net.ipv4.tcp_sack': 'netns_ipv4.sysctl_tcp_sack',
  'net.ipv4.tcp_window_scaling': 'netns_ipv4.sysctl_tcp_window_scaling',
  'net.ipv4.tcp_ecn': 'netns_ipv4.sysctl_tcp_ecn',
  'net.ipv4.tcp_fastopen': 'netns_ipv4.sysctl_tcp_fastopen',
  // IPv6 counterpart.
  'net.ipv6.bindv6only': 'netns_ipv6.sysctl.bindv6only: whether [::] listeners also take IPv4',
  'net.ipv6.ip_nonlocal_bind': 'netns_ipv6.sysctl.ip_nonlocal_bind',
  // Conntrack in a namespaced router: the TCP timeouts live in the per-netns nf_tcp_net (4.x).
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait': 'nf_tcp_net.timeouts[TIME_WAIT]: conntrack keeps TIME_WAIT entries 120 s by default',
  'net.netfilter.nf_conntrack_tcp_timeout_fin_wait': 'nf_tcp_net.timeouts[FIN_WAIT]',
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait': 'nf_tcp_net.timeouts[CLOSE_WAIT]',
  'net.netfilter.nf_conntrack_tcp_timeout_last_ack': 'nf_tcp_net.timeouts[LAST_ACK]',
  'net.netfilter.nf_conntrack_tcp_timeout_established': 'nf_tcp_net.timeouts[ESTABLISHED]',
};

const NAMES = Object.keys(NAMESPACED_SYSCTLS);

export function isNamespacedSysctl(name: string): boolean {
  return Object.hasOwn(NAMESPACED_SYSCTLS, name);
}

/**
 * Settings old TIME_WAIT advice still names, gone from the kernel: "did you mean" a near name
 * would read as a typo, where the fix is to drop the advice.
 */
const REMOVED_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.tcp_tw_recycle':
    'removed in Linux 4.12 (it dropped connections from clients behind NAT, whose timestamps are not monotonic); net.ipv4.tcp_tw_reuse lets outgoing connections take a TIME_WAIT port instead',
};

/** The problem with a sysctl name, or undefined when it may be set; suggests the nearest known name. */
export function sysctlNameProblem(name: string): string | undefined {
  if (isNamespacedSysctl(name)) return undefined;
  if (Object.hasOwn(REMOVED_SYSCTLS, name)) return REMOVED_SYSCTLS[name];
  const hint = didYouMean(name, NAMES) || '; README.md lists the ones it may ("Limits", environment.sysctls)';
  return name.startsWith('net.')
    ? `not a sysctl twstorm may set: unknown, or not kept per network namespace (setting it could change the host)${hint}`
    : `only per-network-namespace net.* sysctls can be set${hint}`;
}

/** Below it a port is privileged: net.ipv4.ip_unprivileged_port_start's default. */
const PRIVILEGED_PORTS_END = 1024;
const INT: Bounds = [-2_147_483_648, 2_147_483_647];
/** proc_dou8vec_minmax without a tighter bound: one byte. */
const U8: Bounds = [0, 255];
/**
 * proc_dointvec_jiffies (seconds stored as jiffies) refuses more than INT_MAX / HZ seconds:
 * ±8,589,934 measured at HZ 250; this is what a kernel of HZ 1000, the highest, still takes.
 */
const JIFFIES: Bounds = [-2_147_483, 2_147_483];
type Bounds = readonly [number, number];

/**
 * The single-integer sysctls and the values their kernel handlers take, so a value the write
 * would refuse (EINVAL, "the kernel rejected the value", exit 1 after the namespace was built)
 * is said as the file loads, with its other problems (an audit: tcp_fin_timeout=abc,
 * somaxconn=-5). Measured on Linux 6.18 in a fresh namespace: each bound written and kept, one
 * past it refused. Another kernel may bound a few differently; what these refuse is no value a
 * run means (a negative somaxconn, 256 in a one-byte setting). LIST_SYSCTLS are the names whose
 * value is not one integer.
 */
export const INTEGER_SYSCTLS: Readonly<Record<string, Bounds>> = {
  'net.ipv4.ip_autobind_reuse': [0, 1],
  'net.ipv4.ip_nonlocal_bind': U8,
  // The kernel also wants it at or below ip_local_port_range's low port (ipv4_privileged_ports).
  'net.ipv4.ip_unprivileged_port_start': [0, 65535],
  'net.ipv4.ip_forward': INT,
  'net.ipv6.conf.all.forwarding': INT,
  'net.ipv4.tcp_tw_reuse': [0, 2],
  'net.ipv4.tcp_tw_reuse_delay': [1, 60_000],
  'net.ipv4.tcp_max_tw_buckets': INT,
  'net.ipv4.tcp_fin_timeout': JIFFIES,
  'net.ipv4.tcp_rfc1337': U8,
  'net.ipv4.tcp_timestamps': U8,
  'net.ipv4.tcp_orphan_retries': U8,
  'net.ipv4.tcp_child_ehash_entries': [0, 16_777_216],
  'net.ipv4.tcp_syncookies': U8,
  'net.ipv4.tcp_max_syn_backlog': INT,
  'net.ipv4.tcp_abort_on_overflow': U8,
  'net.ipv4.tcp_syn_retries': [1, 127],
  'net.ipv4.tcp_synack_retries': U8,
  'net.ipv4.tcp_retries1': U8,
  'net.ipv4.tcp_retries2': U8,
  'net.ipv4.tcp_migrate_req': [0, 1],
  'net.core.somaxconn': [0, INT[1]],
  'net.ipv4.tcp_keepalive_time': JIFFIES,
  'net.ipv4.tcp_keepalive_intvl': JIFFIES,
  'net.ipv4.tcp_keepalive_probes': U8,
  'net.ipv4.tcp_slow_start_after_idle': U8,
  'net.ipv4.tcp_autocorking': [0, 1],
  'net.ipv4.tcp_notsent_lowat': [0, 4_294_967_295],
  'net.ipv4.tcp_sack': U8,
  'net.ipv4.tcp_window_scaling': U8,
  'net.ipv4.tcp_ecn': [0, 2],
  'net.ipv4.tcp_fastopen': INT,
  'net.ipv6.bindv6only': U8,
  'net.ipv6.ip_nonlocal_bind': U8,
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait': JIFFIES,
  'net.netfilter.nf_conntrack_tcp_timeout_fin_wait': JIFFIES,
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait': JIFFIES,
  'net.netfilter.nf_conntrack_tcp_timeout_last_ack': JIFFIES,
  'net.netfilter.nf_conntrack_tcp_timeout_established': JIFFIES,
};

/** The names whose value is not one integer: each has its own check in sysctlValueProblem. */
export const LIST_SYSCTLS: ReadonlySet<string> = new Set(['net.ipv4.ip_local_port_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']);

/**
 * One integer as the kernel reads it (proc_dointvec: decimal, surrounding whitespace allowed),
 * or a problem. The kernel parses a leading 0 as octal ("010" is 8) and takes "5 6" as 5:
 * refused, as not what was meant; "+5" it refuses itself.
 */
function integerProblem(value: string | number, [min, max]: Bounds): string | undefined {
  const expected = `expected an integer from ${min} to ${max}`;
  if (typeof value === 'number') return Number.isInteger(value) && value >= min && value <= max ? undefined : expected;
  const m = /^\s*(-?)(\d+)\s*$/.exec(value);
  if (!m) return expected;
  if (m[2]!.length > 1 && m[2]!.startsWith('0')) return `${expected}, written without a leading 0 (the kernel reads "010" as octal, 8)`;
  const n = Number(`${m[1]}${m[2]}`);
  return n >= min && n <= max ? undefined : expected;
}

/**
 * The problem with a value the kernel would refuse (EINVAL at the write, at run time), said with
 * the file's other problems: ip_local_port_range must be two ports, low ≤ high, and its low
 * bound no lower than ip_unprivileged_port_start (ipv4_local_port_range in
 * net/ipv4/sysctl_net_ipv4.c); ip_local_reserved_ports a comma list of ports and low-high
 * ranges (proc_do_large_bitmap); tcp_rmem and tcp_wmem up to three positive integers (the
 * kernel's floor for tcp_rmem, a page, is left to it: page sizes differ); the rest one integer
 * within INTEGER_SYSCTLS' bounds. The problem says what is expected; the caller adds what was
 * given. `all` is the same set of sysctls (the unprivileged start may be set beside the range).
 * Undefined when the value may be tried.
 */
export function sysctlValueProblem(name: string, value: string | number, all: SysctlValues = {}): string | undefined {
  if (name === 'net.ipv4.ip_local_port_range') {
    const text = String(value);
    const pair = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
    if (!pair) return 'expected two port numbers "LOW HIGH" (the kernel takes them apart by whitespace), like "32768 60999"';
    const [low, high] = [Number(pair[1]), Number(pair[2])];
    if (low > high) return `low ${low} is above high ${high}: write it as "${high} ${low}"`;
    const unprivileged = Number(all['net.ipv4.ip_unprivileged_port_start'] ?? PRIVILEGED_PORTS_END);
    if (low < unprivileged) return `low ${low} is below net.ipv4.ip_unprivileged_port_start (${unprivileged}), which the kernel refuses: start the range at ${unprivileged} or above`;
    if (parsePortRange(text) === null) return 'expected ports from 1 to 65535';
    return undefined;
  }
  if (name === 'net.ipv4.ip_local_reserved_ports') {
    const expected = 'expected ports and low-high ranges from 0 to 65535, separated by commas without spaces, like "8080,9000-9010" ("" for none)';
    const text = String(value).trim();
    if (text === '') return undefined;
    const parts = text.replace(/,$/, '').split(',');
    const ok = parts.every((part) => {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
      const low = Number(m?.[1]);
      const high = m?.[2] === undefined ? low : Number(m[2]);
      return m !== null && high <= 65535 && low <= high;
    });
    return ok ? undefined : expected;
  }
  if (name === 'net.ipv4.tcp_rmem' || name === 'net.ipv4.tcp_wmem') {
    const numbers = String(value).trim().split(/\s+/);
    const ok = numbers.length <= 3 && numbers.every((n) => /^[1-9]\d*$/.test(n) && Number(n) <= INT[1]);
    return ok ? undefined : 'expected up to three positive integers "MIN DEFAULT MAX" (bytes, apart by whitespace), like "4096 131072 6291456"';
  }
  const bounds = INTEGER_SYSCTLS[name];
  return bounds ? integerProblem(value, bounds) : undefined;
}

/**
 * Sysctls in the order to write them: a setting another's check reads goes first. The kernel
 * refuses an ip_local_port_range below ip_unprivileged_port_start as it stands when the range is
 * written (ipv4_local_port_range), so a scenario that lowers both must have the start written
 * first, whatever order its file lists them in (a review: "500 600" with the start at 500 was
 * accepted by the schema and refused by the kernel).
 */
export function inWriteOrder<V>(sysctls: Record<string, V>): Array<[string, V]> {
  const first = (key: string): number => (key === 'net.ipv4.ip_unprivileged_port_start' ? 0 : 1);
  return Object.entries(sysctls).sort(([a], [b]) => first(a) - first(b));
}
