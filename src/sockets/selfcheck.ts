// Proof, against the running kernel, that the hand-written constants (constants.ts) and byte
// layouts (structs.ts) are right, before any of them is used for real. Each option is set and
// read back with getsockopt; a bound address is read back with getsockname and compared with
// what Node itself (libuv's own getsockname and inet_ntop) reports for the same fd; a listening
// socket's tcp_info must say TCP_LISTEN with our backlog. A core mismatch disables the whole
// layer, an option's mismatch only that option, and each says exactly what disagreed.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import {
  AF_INET,
  AF_INET6,
  F_GETFD,
  F_GETFL,
  FD_CLOEXEC,
  IP_BIND_ADDRESS_NO_PORT,
  IP_LOCAL_PORT_RANGE,
  IPPROTO_IP,
  IPPROTO_TCP,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SO_ACCEPTCONN,
  SO_DOMAIN,
  SO_LINGER,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_TYPE,
  SOL_SOCKET,
  TCP_INFO,
  TCP_LISTEN,
} from './constants.js';
import { errnoName } from './errors.js';
import { endpoint } from '../util/format.js';
import { bindCheckPort } from './check-port.js';
import { parsePortRange } from '../scenario/port-range.js';
import type { NativeSockets } from './native.js';
import {
  decodeInt,
  decodeLinger,
  decodePortRange,
  decodeSockaddr,
  decodeTcpInfo,
  encodeInt,
  encodeLinger,
  encodePortRange,
  encodeSockaddr,
  familyOf,
  LINGER_SIZE,
  PORT_RANGE_SIZE,
  parseIPv4,
  parseIPv6,
  SOCKADDR_STORAGE_SIZE,
  TCP_INFO_REQUEST_SIZE,
} from './structs.js';

export interface SelfCheckReport {
  /** The constants and layouts every native socket depends on are right. */
  core: { ok: true } | { ok: false; reason: string };
  reusePort: { ok: true } | { ok: false; reason: string };
  bindAddressNoPort: { ok: true } | { ok: false; reason: string };
  linger: { ok: true } | { ok: false; reason: string };
  tcpInfo: { ok: true } | { ok: false; reason: string };
  localPortRange: { ok: true } | { ok: false; reason: string };
  /** IPv6 sockets work (false where IPv6 is disabled; IPv4 is enough for the layer). */
  ipv6: boolean;
  /** What was verified, one line each, for `doctor`-style output and the docs. */
  checks: string[];
  durationMs: number;
}

class Mismatch extends Error {}
/** The kernel has no such option at all (older than the option): said as is, not as a mismatch. */
class Lacking extends Mismatch {}

/** Backlog the check listens with; tcp_info of a listener reports it back in tcpi_sacked. */
const CHECK_BACKLOG = 7;
const CHECK_LINGER = 7;
/** Any valid range with low < high; the read-back must return it unchanged. */
const CHECK_RANGE: readonly [number, number] = [40000, 40999];

/** This namespace's net.ipv4.ip_local_port_range, or null when it cannot be read. */
function namespaceRange(): { low: number; high: number } | null {
  try {
    return parsePortRange(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
  } catch {
    return null;
  }
}

export function runSelfCheck(native: NativeSockets): SelfCheckReport {
  const started = performance.now();
  const checks: string[] = [];
  const report: SelfCheckReport = {
    core: { ok: true },
    reusePort: { ok: true },
    bindAddressNoPort: { ok: true },
    linger: { ok: true },
    tcpInfo: { ok: true },
    localPortRange: { ok: true },
    ipv6: false,
    checks,
    durationMs: 0,
  };
  const open = new Set<number>();

  const call = (what: string, r: { ret: number; errno: number }): number => {
    if (r.ret < 0) throw new Mismatch(`${what} failed with ${errnoName(r.errno)}`);
    return r.ret;
  };
  const getInt = (fd: number, level: number, name: number, label: string): number => {
    const buf = Buffer.alloc(4);
    const r = native.getsockopt(fd, level, name, buf);
    call(`getsockopt(${label})`, r);
    if (r.length !== 4) throw new Mismatch(`getsockopt(${label}) returned ${r.length} bytes, expected 4`);
    return decodeInt(buf);
  };
  const roundTrip = (fd: number, level: number, name: number, label: string): void => {
    for (const value of [1, 0]) {
      call(`setsockopt(${label}, ${value})`, native.setsockopt(fd, level, name, encodeInt(value)));
      const got = getInt(fd, level, name, label);
      if ((got !== 0) !== (value !== 0)) throw new Mismatch(`${label}: set ${value}, read back ${got}`);
    }
    checks.push(`${label} (${level}/${name}): set 1 and 0, read back the same`);
  };
  // An option's own failure disables that option only.
  const option = (key: 'reusePort' | 'bindAddressNoPort' | 'linger' | 'tcpInfo' | 'localPortRange', body: () => void): void => {
    try {
      body();
    } catch (err) {
      if (!(err instanceof Mismatch)) throw err;
      report[key] = { ok: false, reason: err instanceof Lacking ? err.message : `self-check: ${err.message}` };
    }
  };
  const newSocket = (domain: number): number => {
    const fd = call(`socket(${domain === AF_INET ? 'AF_INET' : 'AF_INET6'})`, native.socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    open.add(fd);
    return fd;
  };

  try {
    // --- IPv4: constants, flags, options, sockaddr_in, tcp_info.
    const fd = newSocket(AF_INET);
    const fl = call('fcntl(F_GETFL)', native.fcntl(fd, F_GETFL));
    if ((fl & fs.constants.O_NONBLOCK) === 0 || SOCK_NONBLOCK !== fs.constants.O_NONBLOCK) {
      throw new Mismatch(`SOCK_NONBLOCK (${SOCK_NONBLOCK}) did not make a non-blocking socket (flags ${fl})`);
    }
    if ((call('fcntl(F_GETFD)', native.fcntl(fd, F_GETFD)) & FD_CLOEXEC) === 0) {
      throw new Mismatch(`SOCK_CLOEXEC (${SOCK_CLOEXEC}) did not set close-on-exec`);
    }
    checks.push('socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC): non-blocking and close-on-exec');
    const type = getInt(fd, SOL_SOCKET, SO_TYPE, 'SO_TYPE');
    const domain = getInt(fd, SOL_SOCKET, SO_DOMAIN, 'SO_DOMAIN');
    if (type !== SOCK_STREAM || domain !== AF_INET) {
      throw new Mismatch(`SO_TYPE/SO_DOMAIN read back ${type}/${domain}, expected ${SOCK_STREAM}/${AF_INET}`);
    }
    checks.push('SOL_SOCKET, SO_TYPE, SO_DOMAIN: read back SOCK_STREAM and AF_INET');
    if (getInt(fd, SOL_SOCKET, SO_REUSEADDR, 'SO_REUSEADDR') !== 0) throw new Mismatch('a new socket already had SO_REUSEADDR');
    roundTrip(fd, SOL_SOCKET, SO_REUSEADDR, 'SO_REUSEADDR');
    option('reusePort', () => roundTrip(fd, SOL_SOCKET, SO_REUSEPORT, 'SO_REUSEPORT'));
    option('bindAddressNoPort', () => roundTrip(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 'IP_BIND_ADDRESS_NO_PORT'));
    option('localPortRange', () => checkLocalPortRange(fd));
    option('linger', () => {
      for (const want of [{ onoff: true, seconds: CHECK_LINGER }, { onoff: false, seconds: 0 }]) {
        call('setsockopt(SO_LINGER)', native.setsockopt(fd, SOL_SOCKET, SO_LINGER, encodeLinger(want)));
        const buf = Buffer.alloc(LINGER_SIZE);
        const r = native.getsockopt(fd, SOL_SOCKET, SO_LINGER, buf);
        call('getsockopt(SO_LINGER)', r);
        const got = decodeLinger(buf);
        if (r.length !== LINGER_SIZE || got.onoff !== want.onoff || (want.onoff && got.seconds !== want.seconds)) {
          throw new Mismatch(`SO_LINGER: set ${JSON.stringify(want)}, read back ${JSON.stringify(got)} (${r.length} bytes)`);
        }
      }
      checks.push(`SO_LINGER: struct linger {1, ${CHECK_LINGER}} and {0, 0} read back the same (8 bytes)`);
    });
    const bound = bindLoopbackOrAny(native, fd, '127.0.0.1', '0.0.0.0', checks);
    call(`listen(${CHECK_BACKLOG})`, native.listen(fd, CHECK_BACKLOG));
    if (getInt(fd, SOL_SOCKET, SO_ACCEPTCONN, 'SO_ACCEPTCONN') !== 1) throw new Mismatch('SO_ACCEPTCONN is not 1 after listen()');
    option('tcpInfo', () => {
      const buf = Buffer.alloc(TCP_INFO_REQUEST_SIZE);
      const r = native.getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf);
      call('getsockopt(TCP_INFO)', r);
      const info = decodeTcpInfo(buf, r.length);
      if (info.state !== TCP_LISTEN || info.sacked !== CHECK_BACKLOG || info.unacked !== 0) {
        throw new Mismatch(
          `tcp_info of a listener: state ${info.state} (expected ${TCP_LISTEN}), backlog ${info.sacked} (expected ` +
            `${CHECK_BACKLOG}), queue ${info.unacked} (expected 0)`,
        );
      }
      checks.push(`TCP_INFO: a listener reads state LISTEN (10), backlog ${CHECK_BACKLOG} at offset 28; ${r.length} bytes`);
    });
    open.delete(fd); // from here Node owns the fd, and closes it
    compareWithNode(fd, bound, 4, checks);

    // --- IPv6: sockaddr_in6 and AF_INET6. Missing IPv6 is reported, not a failure.
    const fd6r = native.socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd6r.ret < 0) {
      checks.push(`IPv6: socket(AF_INET6) failed with ${errnoName(fd6r.errno)}; IPv6 addresses are unavailable`);
    } else {
      const fd6 = fd6r.ret;
      open.add(fd6);
      if (getInt(fd6, SOL_SOCKET, SO_DOMAIN, 'SO_DOMAIN') !== AF_INET6) throw new Mismatch(`SO_DOMAIN of an AF_INET6 socket is not ${AF_INET6}`);
      const bound6 = bindLoopbackOrAny(native, fd6, '::1', '::', checks);
      call('listen', native.listen(fd6, CHECK_BACKLOG));
      open.delete(fd6);
      compareWithNode(fd6, bound6, 6, checks);
      report.ipv6 = true;
    }
  } catch (err) {
    if (!(err instanceof Mismatch)) throw err;
    report.core = { ok: false, reason: `self-check failed: ${err.message}` };
  } finally {
    for (const fd of open) native.close(fd);
    report.durationMs = performance.now() - started;
  }
  return report;

  /**
   * IP_LOCAL_PORT_RANGE (Linux 6.3): set a range and read the same u32 back; the reversed range
   * must be refused (EINVAL), which proves which half is the low port (with the halves swapped
   * our first set would have been the refused one); and a socket bound to port 0 with a range
   * inside the namespace's own must get a port from it — the kernel really applies the value.
   */
  function checkLocalPortRange(fd: number): void {
    const r = native.setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, encodePortRange(CHECK_RANGE[0], CHECK_RANGE[1]));
    if (r.ret < 0 && errnoName(r.errno) === 'ENOPROTOOPT') {
      throw new Lacking(`this kernel (Linux ${os.release()}) has no IP_LOCAL_PORT_RANGE (setsockopt: ENOPROTOOPT); it came in Linux 6.3`);
    }
    call(`setsockopt(IP_LOCAL_PORT_RANGE, ${CHECK_RANGE.join('-')})`, r);
    const readBack = (): { low: number; high: number } => {
      const buf = Buffer.alloc(PORT_RANGE_SIZE);
      const g = native.getsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, buf);
      call('getsockopt(IP_LOCAL_PORT_RANGE)', g);
      if (g.length !== PORT_RANGE_SIZE) throw new Mismatch(`getsockopt(IP_LOCAL_PORT_RANGE) returned ${g.length} bytes, expected 4`);
      return decodePortRange(buf);
    };
    const got = readBack();
    if (got.low !== CHECK_RANGE[0] || got.high !== CHECK_RANGE[1]) {
      throw new Mismatch(`IP_LOCAL_PORT_RANGE: set ${CHECK_RANGE.join('-')}, read back ${got.low}-${got.high}`);
    }
    const reversed = native.setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, encodePortRange(CHECK_RANGE[1], CHECK_RANGE[0]));
    if (reversed.ret >= 0 || errnoName(reversed.errno) !== 'EINVAL') {
      throw new Mismatch(`IP_LOCAL_PORT_RANGE: the reversed range ${CHECK_RANGE[1]}-${CHECK_RANGE[0]} was not refused with EINVAL (${reversed.ret >= 0 ? 'accepted' : errnoName(reversed.errno)})`);
    }
    call('setsockopt(IP_LOCAL_PORT_RANGE, 0)', native.setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, encodePortRange(0, 0)));
    const cleared = readBack();
    if (cleared.low !== 0 || cleared.high !== 0) throw new Mismatch(`IP_LOCAL_PORT_RANGE: set 0, read back ${cleared.low}-${cleared.high}`);
    checks.push(`IP_LOCAL_PORT_RANGE (${IPPROTO_IP}/${IP_LOCAL_PORT_RANGE}): u32 ${CHECK_RANGE.join('-')} read back the same, the reversed range refused (EINVAL), 0 clears it`);
    // The proof by use: bind(port 0) picks from the per-socket range (inet_csk_find_open_port).
    const ns = namespaceRange();
    if (ns === null) return;
    const low = Math.max(ns.low, ns.high - 63);
    const probe = newSocket(AF_INET);
    try {
      call('setsockopt(IP_LOCAL_PORT_RANGE)', native.setsockopt(probe, IPPROTO_IP, IP_LOCAL_PORT_RANGE, encodePortRange(low, ns.high)));
      let b = native.bind(probe, encodeSockaddr('127.0.0.1', 0));
      if (b.ret < 0 && errnoName(b.errno) === 'EADDRNOTAVAIL') b = native.bind(probe, encodeSockaddr('0.0.0.0', 0));
      // Every port of the slice taken (a busy host): the read-back above stands on its own.
      if (b.ret < 0 && errnoName(b.errno) === 'EADDRINUSE') return;
      call('bind(port 0) with IP_LOCAL_PORT_RANGE', b);
      const buf = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
      const g = native.getsockname(probe, buf);
      call('getsockname', g);
      const { port } = decodeSockaddr(buf, g.length);
      if (port < low || port > ns.high) throw new Mismatch(`IP_LOCAL_PORT_RANGE ${low}-${ns.high}: bind(port 0) got port ${port}, outside it`);
      checks.push(`IP_LOCAL_PORT_RANGE ${low}-${ns.high}: bind(port 0) got port ${port}, inside it`);
    } finally {
      native.close(probe);
      open.delete(probe);
    }
  }

  function bindLoopbackOrAny(n: NativeSockets, fd: number, loopback: string, any: string, log: string[]): { address: string; port: number } {
    // A fresh namespace's lo starts down, without 127.0.0.1: then the wildcard proves the port.
    let address = loopback;
    const tryBind = (port: number): string | null => {
      const r = n.bind(fd, encodeSockaddr(address, port));
      return r.ret < 0 ? errnoName(r.errno) : null;
    };
    let bound = bindCheckPort(tryBind);
    if (bound.error === 'EADDRNOTAVAIL') {
      address = any;
      bound = bindCheckPort(tryBind);
    }
    if (bound.error !== null) throw new Mismatch(`bind(${address} port ${bound.port}) failed with ${bound.error}`);
    if (bound.note !== null) log.push(bound.note);
    const buf = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
    const g = n.getsockname(fd, buf);
    call('getsockname', g);
    const got = decodeSockaddr(buf, g.length);
    const wantFamily = familyOf(address);
    // Port 0 gets a port of the kernel's choosing; a port asked for (the range was full) is that one.
    if (got.family !== wantFamily || !sameAddress(got.address, address) || got.port === 0 || (bound.port !== 0 && got.port !== bound.port)) {
      throw new Mismatch(`bound ${endpoint(address, bound.port)}, getsockname read back ${JSON.stringify(got)} (${g.length} bytes)`);
    }
    log.push(`sockaddr_in${wantFamily === 6 ? '6' : ''}: bind(${endpoint(address, bound.port)}) and getsockname agree (${g.length} bytes, port ${got.port})`);
    return { address, port: got.port };
  }
}

function sameAddress(a: string, b: string): boolean {
  const bytes = (x: string): Buffer => (familyOf(x) === 4 ? parseIPv4(x) : parseIPv6(x));
  return familyOf(a) === familyOf(b) && bytes(a).equals(bytes(b));
}

/**
 * Hands the listening fd to Node and asks Node where it is: libuv decodes the sockaddr with its
 * own code, so a byte-order mistake in ours (port or address) shows up here even though our
 * encode and decode agree with each other. listen({ fd }) runs synchronously in a non-cluster
 * process, so address() is ready at once; close() closes the fd at once (uv_close).
 */
function compareWithNode(fd: number, bound: { address: string; port: number }, family: 4 | 6, checks: string[]): void {
  const server = net.createServer();
  server.on('error', () => undefined);
  server.listen({ fd });
  const seen = server.address();
  server.close();
  if (seen === null || typeof seen === 'string' || seen.port !== bound.port || !sameAddress(seen.address, bound.address)) {
    throw new Mismatch(`Node sees the listener at ${JSON.stringify(seen)}, the layer at ${JSON.stringify(bound)}`);
  }
  checks.push(`IPv${family}: Node's server.listen({ fd }).address() agrees: ${seen.address} port ${seen.port}`);
}
