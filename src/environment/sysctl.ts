// Per-network-namespace sysctls, read and written through /proc/sys. Inside a namespace the
// run created, a write changes that namespace only (net.ipv4.* TCP settings have been per
// netns since Linux 4.x), so the host is never touched.
import { readFile, writeFile } from 'node:fs/promises';

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

export class SysctlError extends Error {}

const procPath = (key: string): string => `/proc/sys/${key.replaceAll('.', '/')}`;

/** The kernel separates multi-value settings with tabs; compare and show them with single spaces. */
export const normaliseSysctl = (value: string | number): string => String(value).trim().split(/\s+/).join(' ');

export async function readSysctl(key: string): Promise<string | null> {
  try {
    return normaliseSysctl(await readFile(procPath(key), 'utf8'));
  } catch {
    return null;
  }
}

export async function writeSysctl(key: string, value: string | number): Promise<void> {
  try {
    await writeFile(procPath(key), `${normaliseSysctl(value)}\n`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `this kernel has no such setting (${procPath(key)} does not exist)`
        : code === 'EINVAL'
          ? `the kernel rejected the value "${value}"`
          : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
            ? `not permitted here (${code}); only per-namespace net.* settings can be changed inside the run's namespace`
            : `${code ?? 'error'}: ${(err as Error).message}`;
    throw new SysctlError(`cannot set sysctl ${key}=${value}: ${why}`);
  }
  const readBack = await readSysctl(key);
  if (readBack !== normaliseSysctl(value)) {
    throw new SysctlError(`sysctl ${key}: wrote "${value}" but the kernel reports "${readBack}"`);
  }
}

export async function readSysctls(keys: Iterable<string>): Promise<Record<string, string | null>> {
  const unique = [...new Set(keys)].sort();
  const values = await Promise.all(unique.map(readSysctl));
  return Object.fromEntries(unique.map((key, i) => [key, values[i] ?? null]));
}
