// A network interface brought up without a process: what `ip link set lo up` does, as the two
// ioctls it comes down to (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP; netdevice(7)). Every
// namespace run starts with a down `lo`, and starting `ip` from a Node process is a fork and an
// exec: ~40 ms of CPU there (its page tables are copied at fork), where the ioctls take
// microseconds. The answer is proven by reading the flags back; where the native layer cannot
// load, or the kernel refuses, the caller starts `ip` as before.
import { AF_INET, IFF_UP, IFNAMSIZ, IFREQ_SIZE, SIOCGIFFLAGS, SIOCSIFFLAGS, SOCK_CLOEXEC, SOCK_DGRAM } from './constants.js';
import { errnoName } from './errors.js';
import { tryLoadNative } from './native.js';
import { readHostU16, writeHostU16 } from './structs.js';

/** ifr_flags: a host-order short right after the name. */
const FLAGS_AT = IFNAMSIZ;

export type LinkUp = { ok: true } | { ok: false; reason: string };

/** Sets IFF_UP on interface `name` of this thread's network namespace, and checks that it took. Never throws. */
export function setLinkUp(name: string): LinkUp {
  const loaded = tryLoadNative();
  if (!loaded.ok) return { ok: false, reason: loaded.reason };
  const { native } = loaded;
  if (!native.ioctl) return { ok: false, reason: `${native.description} has no ioctl` };
  if (Buffer.byteLength(name) >= IFNAMSIZ) return { ok: false, reason: `interface name "${name}" is longer than ${IFNAMSIZ - 1} bytes` };
  const fd = native.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd.ret < 0) return { ok: false, reason: `socket() failed with ${errnoName(fd.errno)}` };
  try {
    const ifreq = Buffer.alloc(IFREQ_SIZE);
    ifreq.write(name, 0, 'latin1');
    const flags = (): number => readHostU16(ifreq, FLAGS_AT);
    const get = native.ioctl(fd.ret, SIOCGIFFLAGS, ifreq);
    if (get.ret < 0) return { ok: false, reason: `SIOCGIFFLAGS on ${name} failed with ${errnoName(get.errno)}` };
    if ((flags() & IFF_UP) !== 0) return { ok: true };
    writeHostU16(ifreq, flags() | IFF_UP, FLAGS_AT);
    const set = native.ioctl(fd.ret, SIOCSIFFLAGS, ifreq);
    if (set.ret < 0) return { ok: false, reason: `SIOCSIFFLAGS on ${name} failed with ${errnoName(set.errno)}` };
    ifreq.fill(0, FLAGS_AT);
    const check = native.ioctl(fd.ret, SIOCGIFFLAGS, ifreq);
    if (check.ret < 0 || (flags() & IFF_UP) === 0) return { ok: false, reason: `${name} is still down after SIOCSIFFLAGS` };
    return { ok: true };
  } finally {
    native.close(fd.ret);
  }
}
