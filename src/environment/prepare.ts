// Runs inside the run's process, after it entered its namespace (or on the host as a
// fallback): bring up lo, apply the sysctls, and read back what is actually in force.
import { hostFacts, type EnvironmentInfo } from './info.js';
import { bringUpLoopback, type Isolation } from './namespace.js';
import { normaliseSysctl, readSysctls, RECORDED_SYSCTLS, writeSysctl } from './sysctl.js';
import { inWriteOrder } from '../scenario/sysctls.js';

export async function prepareEnvironment(
  isolation: Isolation,
  how: string,
  requested: Record<string, string | number>,
): Promise<EnvironmentInfo> {
  const wanted = Object.fromEntries(Object.entries(requested).map(([k, v]) => [k, normaliseSysctl(v)]));
  let notice: string | null = null;
  if (isolation === 'netns') {
    bringUpLoopback();
    for (const [key, value] of inWriteOrder(wanted)) await writeSysctl(key, value);
  }
  const sysctls = await readSysctls([...RECORDED_SYSCTLS, ...Object.keys(wanted)]);
  if (isolation === 'host') {
    // Changing host settings could break the machine's real traffic, so on the host the
    // scenario's sysctls are only compared, never written.
    const differing = Object.entries(wanted).filter(([key, value]) => sysctls[key] !== value);
    notice =
      `NOT ISOLATED: running on the host network (${how}). Host sockets are counted with the run's, ` +
      `TIME_WAIT from this run stays behind for 60 s, and no sysctl was changed.` +
      (differing.length > 0
        ? ` These scenario settings are NOT in force: ${differing
            .map(([key, value]) => `${key}=${value} (host has ${sysctls[key] ?? 'none'})`)
            .join(', ')}.`
        : '');
  }
  return { isolation, how, notice, ...hostFacts(), sysctls, sysctlsRequested: wanted };
}
