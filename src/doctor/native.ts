// Can this machine give twstorm the socket options Node does not expose? Loads koffi (the
// FFI the socket layer is built on; its binary ships in npm packages, no compiler needed),
// opens one unconnected TCP socket through libc and sets each option, reading it back: a
// constant that a kernel does not know fails with ENOPROTOOPT instead of lying, and the
// read-back catches a wrong value or struct layout. Nothing is connected or bound.
import { createRequire } from 'node:module';

export interface NativeProbe {
  loaded: boolean;
  /** koffi's version when loaded. */
  version: string | null;
  /** Option name → true when set and read back, or the reason it failed. */
  options: Record<string, true | string>;
  /** Why nothing could be probed (when !loaded). */
  reason: string | null;
}

// asm-generic socket constants, which x86-64, arm64, riscv and most Linux ports use; a port
// with other numbers fails the read-back below rather than reporting a false yes.
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const SO_REUSEADDR = 2;
const SO_LINGER = 13;
const SO_REUSEPORT = 15;
const IP_BIND_ADDRESS_NO_PORT = 24;
const TCP_INFO = 11;
const TCP_CLOSE = 7;

interface Koffi {
  load(path: string): { func(prototype: string): (...args: unknown[]) => number };
  errno(): number;
  version?: string;
}

export function probeNativeSockets(): NativeProbe {
  if (process.platform !== 'linux') {
    return { loaded: false, version: null, options: {}, reason: `the native socket options are Linux-only (this is ${process.platform})` };
  }
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    return {
      loaded: false,
      version: null,
      options: {},
      reason: `koffi did not load (${(err as Error).message.split('\n')[0]})`,
    };
  }
  let version: string | null = null;
  try {
    version = (createRequire(import.meta.url)('koffi/package.json') as { version?: string }).version ?? null;
  } catch {
    version = koffi.version ?? null;
  }
  try {
    const libc = koffi.load('libc.so.6');
    const socket = libc.func('int socket(int, int, int)');
    const setsockopt = libc.func('int setsockopt(int, int, int, void *, uint32_t)');
    const getsockopt = libc.func('int getsockopt(int, int, int, void *, void *)');
    const close = libc.func('int close(int)');
    const fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return { loaded: true, version, options: {}, reason: `socket() failed, errno ${koffi.errno()}` };
    const options: Record<string, true | string> = {};
    const read = (level: number, name: number, size: number): Buffer | string => {
      const out = Buffer.alloc(size);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(size);
      return getsockopt(fd, level, name, out, len) === 0 ? out : `getsockopt errno ${koffi.errno()}`;
    };
    const intOption = (label: string, level: number, name: number, value: number): void => {
      const v = Buffer.alloc(4);
      v.writeInt32LE(value);
      if (setsockopt(fd, level, name, v, 4) !== 0) {
        options[label] = `setsockopt errno ${koffi.errno()}`;
        return;
      }
      const back = read(level, name, 4);
      options[label] = typeof back === 'string' ? back : back.readInt32LE(0) === value ? true : `read back ${back.readInt32LE(0)}, wrote ${value}`;
    };
    try {
      intOption('SO_REUSEADDR', SOL_SOCKET, SO_REUSEADDR, 0);
      intOption('SO_REUSEPORT', SOL_SOCKET, SO_REUSEPORT, 1);
      intOption('IP_BIND_ADDRESS_NO_PORT', IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
      const linger = Buffer.alloc(8);
      linger.writeInt32LE(1, 0);
      linger.writeInt32LE(5, 4);
      if (setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8) !== 0) options['SO_LINGER'] = `setsockopt errno ${koffi.errno()}`;
      else {
        const back = read(SOL_SOCKET, SO_LINGER, 8);
        options['SO_LINGER'] =
          typeof back === 'string' ? back : back.readInt32LE(0) === 1 && back.readInt32LE(4) === 5 ? true : 'read back differs';
      }
      // struct tcp_info starts with tcpi_state (u8); an unconnected socket is TCP_CLOSE.
      const info = read(IPPROTO_TCP, TCP_INFO, 232);
      options['TCP_INFO'] = typeof info === 'string' ? info : info[0] === TCP_CLOSE ? true : `tcpi_state ${info[0]}, expected ${TCP_CLOSE}`;
    } finally {
      close(fd);
    }
    return { loaded: true, version, options, reason: null };
  } catch (err) {
    return { loaded: false, version, options: {}, reason: `libc calls through koffi failed: ${(err as Error).message}` };
  }
}
