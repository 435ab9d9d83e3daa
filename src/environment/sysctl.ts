// Per-network-namespace sysctls, read and written through /proc/sys. Inside a namespace the
// run created, a write changes that namespace only (net.ipv4.* TCP settings have been per
// netns since Linux 4.x), so the host is never touched.
// Every read and write happens on the calling thread, synchronously. The kernel resolves
// /proc/sys/net against the network namespace of the thread that opens the file, and libuv's
// pool threads (fs/promises) keep the namespace they were started in: a process that moves its
// main thread into a fresh namespace (src/sockets/netns.ts) would set the old one's TCP through
// them. The files are a few bytes the kernel prints from memory.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
// Which names may be set is the scenario schema's allow-list; this module only talks to the kernel.
import { isNamespacedSysctl } from '../scenario/sysctls.js';
import { ExpectedError } from '../util/expected-error.js';
import { isMapping } from '../util/is-mapping.js';

/** Settings every result records, whether or not the scenario set them. */
export const RECORDED_SYSCTLS = [
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_timestamps',
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_rfc1337',
  'net.core.somaxconn',
] as const;

export class SysctlError extends ExpectedError {}

/** The /proc/sys file of a sysctl: the one spelling of it (the lab writes a host's through tee). */
export const procPath = (key: string): string => `/proc/sys/${key.replaceAll('.', '/')}`;

/** The kernel separates multi-value settings with tabs; compare and show them with single spaces. */
export const normaliseSysctl = (value: string | number): string => String(value).trim().split(/\s+/).join(' ');

export async function readSysctl(key: string): Promise<string | null> {
  return readSysctlSync(key);
}

/** The same, for a caller that is not async (a command-line check that runs before anything async). */
export function readSysctlSync(key: string): string | null {
  try {
    return normaliseSysctl(readFileSync(procPath(key), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Where the kernel documents a setting's values, by the tree it is in: ip-sysctl.rst holds
 * net.ipv4 and net.ipv6 only; net.core's (somaxconn) are in the admin guide's net.rst, and
 * conntrack's in nf_conntrack-sysctl.rst.
 */
export function sysctlDocs(key: string): string {
  if (key.startsWith('net.core.')) return 'Documentation/admin-guide/sysctl/net.rst';
  if (key.startsWith('net.netfilter.')) return 'Documentation/networking/nf_conntrack-sysctl.rst';
  return 'Documentation/networking/ip-sysctl.rst';
}

export async function writeSysctl(key: string, value: string | number): Promise<void> {
  try {
    writeFileSync(procPath(key), `${normaliseSysctl(value)}\n`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `this kernel has no such setting (${procPath(key)} does not exist); leave it out of the scenario on this kernel`
        : code === 'EINVAL'
          ? `the kernel rejected the value "${value}" (EINVAL); set one inside the bounds the kernel documents for it (${sysctlDocs(key)})`
          : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
            ? `not permitted here (${code}); only per-namespace net.* settings can be changed inside the run's namespace`
            : `${code ?? 'error'}: ${(err as Error).message}`;
    throw new SysctlError(`cannot set sysctl ${key}=${value}: ${why}`);
  }
  const readBack = readSysctlSync(key);
  if (readBack !== normaliseSysctl(value)) {
    throw new SysctlError(`sysctl ${key}: wrote "${value}" but the kernel reports "${readBack}" (it clamps or rounds some values); set the value it reports, or one inside its limits`);
  }
}

export async function readSysctls(keys: Iterable<string>): Promise<Record<string, string | null>> {
  return Object.fromEntries([...new Set(keys)].sort().map((key) => [key, readSysctlSync(key)]));
}

/**
 * A scenario check (see loadScenarioFile's `checks`): each sysctl the raw scenario sets must
 * exist on this kernel, so a name that is allowed but missing here (tcp_tw_reuse_delay before
 * 6.13) is refused with the file's other problems instead of failing at run time with exit 1.
 * Names outside the allow-list are the schema's to report. The run's namespace has the same
 * per-namespace settings as the one twstorm starts in, so /proc/sys here is the right place.
 */
export function missingSysctlProblems(
  raw: Record<string, unknown>,
  source: string,
  exists: (path: string) => boolean = existsSync,
): string[] {
  const environment = raw['environment'];
  const sysctls = isMapping(environment) ? environment['sysctls'] : undefined;
  const matrix = raw['matrix'];
  const PREFIX = 'environment.sysctls.';
  const fields = [
    ...(isMapping(sysctls) ? Object.keys(sysctls).map((key) => ({ key, field: `environment.sysctls["${key}"]` })) : []),
    // A matrix may vary a sysctl too: `matrix: { environment.sysctls.net.ipv4.tcp_tw_reuse: [0, 1] }`.
    ...(isMapping(matrix)
      ? Object.keys(matrix).filter((k) => k.startsWith(PREFIX)).map((k) => ({ key: k.slice(PREFIX.length), field: `matrix.${k}` }))
      : []),
  ];
  return fields
    .filter(({ key }) => isNamespacedSysctl(key) && !exists(procPath(key)))
    .map(({ key, field }) => `${source}: ${field}: this kernel has no such setting (${procPath(key)} does not exist)`);
}

/**
 * Sysctls that cap what one network namespace holds: TIME_WAIT sockets kept
 * (tcp_max_tw_buckets, inet_twsk_alloc), half-open connections and a listener's backlog. A
 * shard (or a copy) runs in its own namespace or on its own machine, each with the whole
 * limit: they are not split (half a limit would be another storm), so N contributors together
 * may hold N times it where one run of the whole is held to it. Said when sharding
 * (run/shard.ts) and in a merge's warnings (result/merge.ts).
 */
export const PER_NAMESPACE_LIMITS = ['net.ipv4.tcp_max_tw_buckets', 'net.ipv4.tcp_max_syn_backlog', 'net.core.somaxconn'] as const;

/** The per-namespace limits a scenario sets, as "name=value". */
export function namespaceLimitsSet(sysctls: Record<string, unknown> | undefined): string[] {
  return PER_NAMESPACE_LIMITS.flatMap((key) => (sysctls?.[key] !== undefined ? [`${key}=${String(sysctls[key])}`] : []));
}
