// This kernel's CONFIG_HZ: the tick its timer wheel counts in, and so how late a TIME_WAIT may end
// (tcp-facts.ts timerLateSeconds). Userspace has no call for it (sysconf's CLK_TCK is USER_HZ,
// 100 whatever the kernel ticks at): the build's config says it, in /proc/config.gz
// (CONFIG_IKCONFIG_PROC) or in the distribution's /boot/config-<release>.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';

let cached: number | null | undefined;

/** CONFIG_HZ from a kernel config's text, or null when it has none. */
export function hzFromConfig(config: string): number | null {
  const m = /^CONFIG_HZ=(\d+)$/m.exec(config);
  return m ? Number(m[1]) : null;
}

/** This kernel's CONFIG_HZ, or null when neither config file is there to read (read once: a few KiB). */
export function kernelHz(): number | null {
  if (cached !== undefined) return cached;
  const read = (load: () => string): number | null => {
    try {
      return hzFromConfig(load());
    } catch {
      return null;
    }
  };
  cached = read(() => gunzipSync(readFileSync('/proc/config.gz')).toString('latin1')) ?? read(() => readFileSync(`/boot/config-${os.release()}`, 'latin1'));
  return cached;
}
