/**
 * Where the TCP socket table comes from: the kernel's netlink sock_diag dump (what `ss` reads;
 * src/sockets/sock-diag.ts) when the native socket layer is on, /proc/net/tcp{,6} otherwise
 * (TWSTORM_NATIVE_SOCKETS=off, no koffi, a /proc root other than the real one in tests, or a
 * dump that failed). Both list the same sockets (test/sockets/sock-diag-netns.test.ts); the
 * dump is several times cheaper at tens of thousands of sockets because the kernel formats no
 * text and nothing parses it back (`npm run bench`, the `states` lines).
 */

import { loadSockDiag, SockDiagError } from '../sockets/sock-diag.js';
import { DEFAULT_PROC_ROOT, readTcpTables } from './procfs.js';
import { censusOfRows, censusTcpTable, type TcpCensus, type TcpSocketVisitor } from './tcp-table.js';

export type TcpTableOrigin = 'sock_diag' | 'proc';

/** A table walked on demand: a /proc text, or a dump taken when walked. */
export type TcpTableWalk = (visit: TcpSocketVisitor) => void;

/** The native reader for this thread, or undefined when /proc must serve. */
function nativeReader(root: string) {
  if (root !== DEFAULT_PROC_ROOT) return undefined;
  const loaded = loadSockDiag();
  return loaded.ok ? loaded.reader : undefined;
}

/**
 * `fromDump` over one sock_diag dump of both families when the native layer serves this root,
 * else `fromText` over /proc's text (IPv4, then IPv6 when the kernel has it). Both families in
 * one walk of the established hash: a walk costs ~5 ms of kernel CPU with no socket in it
 * (sock-diag.ts), and the sampler's census runs every second of a storm. A dump the kernel
 * refuses (netlink gone mid-run) falls back to /proc for this one look, so a figure is never
 * lost to the faster path. The dump is taken when `fromDump` walks it: walk it once.
 */
export async function fromTcpTable<T>(
  root: string,
  fromDump: (dump: TcpTableWalk) => T,
  fromText: (texts: string[]) => T,
): Promise<{ value: T; origin: TcpTableOrigin }> {
  const reader = nativeReader(root);
  if (reader !== undefined) {
    try {
      return { value: fromDump((visit) => reader.dump('both', visit)), origin: 'sock_diag' };
    } catch (err) {
      if (!(err instanceof SockDiagError)) throw err;
    }
  }
  return { value: fromText(await readTcpTables(root)), origin: 'proc' };
}

/** The sampler's census (client and server side per state) from the cheapest source. */
export async function takeTcpCensus(serverPorts: ReadonlySet<number>, root: string = DEFAULT_PROC_ROOT): Promise<TcpCensus & { origin: TcpTableOrigin }> {
  const { value, origin } = await fromTcpTable(
    root,
    (dump) => censusOfRows(dump, serverPorts, false),
    (texts) => censusTcpTable(texts, serverPorts),
  );
  return { ...value, origin };
}
