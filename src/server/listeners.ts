// Who listens on a port in a namespace, and whether a client reaches them: the readiness test
// of a user's server (server/user-command.ts). A listener on the right port is not enough: it
// must be on an address the client connects to (server.host, a wildcard of its family) or, from
// another namespace (a routed lab's client hosts), one routed to it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { decodeAddressHex, forEachTcpSocket } from '../observe/tcp-table.js';
import { loadSockDiag } from '../sockets/sock-diag.js';
import { TCP_LISTEN } from '../sockets/constants.js';
import { endpoint } from '../util/format.js';

const execFileAsync = promisify(execFile);

/** Whether a socket in LISTEN state has local port `port`, per /proc/net/tcp and tcp6 of this namespace. */
export async function isListening(port: number, procRoot = '/proc'): Promise<boolean> {
  return (await listenersOn(port, procRoot)).length > 0;
}

/** The addresses ("0.0.0.0", "127.0.0.1", "::") something listens on at `port`, from /proc. */
export async function listenersOn(port: number, procRoot = '/proc'): Promise<string[]> {
  const addresses: string[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = await readFile(`${procRoot}/net/${file}`, 'utf8');
    } catch {
      continue; // no IPv6 in this kernel
    }
    forEachTcpSocket(text, (row) => {
      if (row.state === 0x0a && row.localPort === port) addresses.push(decodeAddressHex(row.localAddressHex()));
    });
  }
  return addresses;
}

/**
 * Whether a client in the server's own namespace that connects to `host` (server.host: a
 * loopback address) reaches a listener on `address`: the same address, or the wildcard of its
 * family; `::` takes IPv4 too unless net.ipv6.bindv6only is set (its default is 0), and shows an
 * IPv4 bind as ::ffff:a.b.c.d. An audit: `python3 -m http.server --bind ::1` on the declared
 * port counted as ready, then every connect to 127.0.0.1 was refused with nothing said why.
 */
export function servesHost(address: string, host: string, v6only = false): boolean {
  const mapped = address.toLowerCase();
  // A target may be written ::ffff:127.x (target.ts takes it as loopback): an AF_INET6 connect
  // there is an IPv4 one (IPV6_V6ONLY off on the client), which IPv4 listeners and a dual-stack
  // `::` take, and an IPv6 one on ::1 does not.
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  if (v4 !== undefined) return servesHost(address, v4, v6only);
  if (!host.includes(':')) return address === host || address === '0.0.0.0' || (address === '::' && !v6only) || mapped === `::ffff:${host}` || mapped === '::ffff:0.0.0.0';
  // An IPv6 server.host is ::1 (in any spelling: the schema takes loopback only).
  return address === '::1' || address === '::';
}

/**
 * Whether every IPv6 wildcard listener on `port` refuses IPv4 (IPV6_V6ONLY on the socket, as
 * nginx's `listen [::]:port` sets by default; a review: such a server passed readiness against
 * 127.0.0.1). In this namespace sock_diag says it (INET_DIAG_SKV6ONLY); in another (a routed
 * lab's server host) or without the native layer, `ss -e` run there ("v6only:1"). false (the
 * kernel default, IPv4 taken) where neither can tell.
 */
export async function wildcardV6Only(port: number, procRoot: string, enter: readonly string[] = []): Promise<boolean> {
  if (procRoot === '/proc' && enter.length === 0) {
    const loaded = loadSockDiag();
    if (loaded.ok) {
      let any = false;
      let all = true;
      try {
        loaded.reader.dump(6, (row) => {
          if (row.localPort !== port || decodeAddressHex(row.localAddressHex()) !== '::') return;
          any = true;
          if (row.v6only !== true) all = false;
        }, 1 << TCP_LISTEN);
        return any && all;
      } catch {
        // fall through to ss
      }
    }
  }
  const argv = [...enter, 'ss', '-Hltne', `sport = :${port}`];
  let text: string;
  try {
    text = (await execFileAsync(argv[0]!, argv.slice(1), { timeout: 5000 })).stdout;
  } catch {
    return false;
  }
  // ss prints a dual-stack wildcard as "*:port", an IPv6-only one as "[::]:port", each with v6only:N.
  const wildcard = new RegExp(`\\s(\\*|\\[::\\]):${port}\\s`);
  const wildcards = text.split('\n').filter((l) => wildcard.test(l));
  return wildcards.length > 0 && wildcards.every((l) => /\bv6only:1\b/.test(l));
}

/**
 * A listener as a message names it: an IPv6 address in brackets (with `port`, as an endpoint),
 * and a `::` that takes no IPv4 (IPV6_V6ONLY) marked so, since it looks like the wildcard of both.
 */
export function listenerText(address: string, v6only: boolean, port?: number): string {
  const shown = port === undefined ? (address.includes(':') ? `[${address}]` : address) : endpoint(address, port);
  return address === '::' && v6only ? `${shown} (IPv6 only, IPV6_V6ONLY)` : shown;
}

/** 127.0.0.0/8, ::1, or ::ffff:127.x: reachable from this namespace only. */
export const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);

/**
 * Whether a client from another namespace, over IPv4 or IPv6, can reach a listener on `address`:
 * never on loopback; over IPv6 only an IPv6 address (`::` included); over IPv4 an IPv4 one, or
 * `::`, which takes IPv4 too unless net.ipv6.bindv6only is set (its default is 0).
 */
export function reachableOver(address: string, family: 4 | 6, v6only = false): boolean {
  if (isLoopback(address)) return false;
  const v6 = address.includes(':') && !/^::ffff:/i.test(address);
  return family === 6 ? v6 : !v6 || (address === '::' && !v6only);
}
