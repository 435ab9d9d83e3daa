// The census of /proc/net/tcp{,6} texts already read: per state and family, client and server
// side, ports held per destination against the range, and a grouping by port or peer.
//
// Why per destination: an unbound connect() needs a unique 4-tuple, so the ephemeral range is
// spent separately for every (source address, destination address, destination port)
// (__inet_hash_connect checks the 4-tuple, not the port alone). 28,000 TIME_WAIT sockets spread
// over 100 destinations are harmless; 28,000 to one destination are an outage.
//
// Not every port in use is lost to a destination, and some are lost to all of them:
// - with tcp_tw_reuse on, connect() takes over a TIME_WAIT older than the reuse delay
//   (tcp_twsk_unique, tw-reuse.ts), so those are counted as `reusable`, not held;
// - a port something listens on has a bind bucket made by bind(), which __inet_hash_connect
//   skips for every destination (tb->fastreuse >= 0), so listeners in the range are held in
//   every row; sockets that called bind() before connect() do the same, but nothing in the table
//   says which did, so the range as a whole is counted too (RangeUse).
import {
  LISTEN_CODE,
  STATE_NAMES,
  TIME_WAIT_CODE,
  decodeAddressHex,
  forEachTcpSocket,
  stateCode,
  tcpStateName,
  stateCounts,
  type TcpSocketRow,
  type TcpStateName,
} from '../observe/tcp-table.js';
import type { PortRange } from '../scenario/port-range.js';
import type { TcpTableWalk } from '../observe/tcp-source.js';
import type { CensusOptions, CensusSettings, DestinationUsage, Grouping, RangeUse, StatesCensus } from './types.js';
import { byCodeUnit } from '../util/order.js';
import { NO_TW_REUSE, TIME_WAIT_MS, twReuseApplies, twReuseOn } from './tw-reuse.js';
import { endpoint } from '../util/format.js';

/** No settings read (a caller with tables only): no reuse, no reserved ports. */
const NO_SETTINGS: CensusSettings = { twReuse: NO_TW_REUSE, reservedPorts: [] };

/** Set on a TIME_WAIT's state code in the per-socket array when it is older than the reuse delay (codes are < 16). */
const OLD_TIME_WAIT = 0x80;

export function zeroStates(): Record<TcpStateName, number> {
  const out = {} as Record<TcpStateName, number>;
  for (const name of STATE_NAMES) out[name] = 0;
  return out;
}

function fromCodes(counts: Uint32Array): Record<TcpStateName, number> {
  const out = zeroStates();
  for (let code = 0; code < counts.length; code++) {
    const name = tcpStateName(code);
    if (name !== undefined) out[name] = counts[code] ?? 0;
  }
  return out;
}

const LISTEN = LISTEN_CODE;
const TIME_WAIT = TIME_WAIT_CODE;

/**
 * The census of already-read table texts (tcp first, then tcp6): counts per state and family,
 * the side of each socket, the top destinations and the grouping. Split from the reading so
 * tests and the benchmark can time and feed it directly.
 * `sizeHint`: about how many sockets the tables hold (sockstat's counts, sockstatSockets()). The
 * per-socket arrays are made that size at once instead of doubling up to it: at 100,000 sockets
 * the seven doublings of four arrays cost ~8 ms of a ~60 ms cold census, sock_diag dump included
 * (measured in a namespace of 100,000 TIME_WAIT, median of 5). Not a finite positive number: no
 * hint (a caller's NaN must not make arrays that never grow).
 * `settings`: tcp_tw_reuse and the reserved ports, as census.ts reads them; without them no
 * TIME_WAIT is called reusable.
 */
export function censusFromTables(
  tables: readonly (string | TcpTableWalk)[],
  range: PortRange | null,
  options: Omit<CensusOptions, 'procRoot'> = {},
  sizeHint = 0,
  settings: CensusSettings = NO_SETTINGS,
): Omit<StatesCensus, 'schema' | 'at' | 'counters' | 'sockstatTw' | 'tookMs'> {
  const top = Math.max(1, options.top ?? 10);
  const groupState = options.state ?? 'TIME_WAIT';
  const wantCode = groupState === 'all' ? -1 : stateCode(groupState);
  const by = options.by;

  const perFamily = [new Uint32Array(16), new Uint32Array(16)];
  const listening = new Uint8Array(65536);
  let total = 0;

  // Non-listening sockets are kept in flat arrays so that the side (which needs the full
  // set of listening ports, and tcp6 listeners can own IPv4-mapped connections) is decided
  // after the pass instead of in a second parse.
  // A little over the hint: sockets made between the two reads still fit.
  let capacity = Math.max(1024, Number.isFinite(sizeHint) && sizeHint > 0 ? Math.ceil(sizeHint * 1.1) : 0);
  let ports = new Uint16Array(capacity);
  let states = new Uint8Array(capacity);
  let dests = new Int32Array(capacity);
  let sources = new Int32Array(capacity);
  let n = 0;
  // Destinations keyed by address text, then port: no key string is built per socket. A table
  // holds few distinct addresses and the dump hands out the same string for the same address,
  // so the last one seen answers most lookups by reference.
  const destByAddress = new Map<string, Map<number, number>>();
  const destAddresses: string[] = [];
  const destPorts: number[] = [];
  let lastRemote: string | undefined;
  let lastRemotePorts: Map<number, number> | undefined;
  const sourceIndex = new Map<string, number>();
  let lastSource: string | undefined;
  let lastSourceIndex = -1;

  const groupCounts = new Map<string | number, number>();
  let matched = 0;
  // A TIME_WAIT whose timer has less than this left is older than the reuse delay. Ages are read
  // only when reuse is on (a /proc row parses its timer column when asked).
  const reuseOn = twReuseOn(settings.twReuse);
  const oldBelowMs = TIME_WAIT_MS - settings.twReuse.delayMs;
  let untimedTimeWait = 0;

  for (let t = 0; t < tables.length && t < 2; t++) {
    // A table is one family (tcp, then tcp6), or one dump of both whose rows say their own.
    const tableCounts = perFamily[t]!;
    const table = tables[t]!;
    const walk: TcpTableWalk = typeof table === 'string' ? (visit) => forEachTcpSocket(table, visit) : table;
    walk((row: TcpSocketRow) => {
      total++;
      const code = row.state;
      const family = row.family;
      const counts = family === undefined ? tableCounts : perFamily[family === 6 ? 1 : 0]!;
      if (code < 16) counts[code]! += 1;
      if (code === LISTEN) {
        listening[row.localPort] = 1;
      } else {
        if (n === capacity) {
          capacity *= 2;
          const grow = <T extends Uint16Array | Uint8Array | Int32Array>(old: T, make: (size: number) => T): T => {
            const next = make(capacity);
            next.set(old);
            return next;
          };
          ports = grow(ports, (s) => new Uint16Array(s));
          states = grow(states, (s) => new Uint8Array(s));
          dests = grow(dests, (s) => new Int32Array(s));
          sources = grow(sources, (s) => new Int32Array(s));
        }
        const remote = row.remoteAddressHex();
        if (remote !== lastRemote) {
          lastRemote = remote;
          lastRemotePorts = destByAddress.get(remote);
          if (lastRemotePorts === undefined) destByAddress.set(remote, (lastRemotePorts = new Map()));
        }
        const remotePort = row.remotePort;
        let d = lastRemotePorts!.get(remotePort);
        if (d === undefined) {
          d = destAddresses.length;
          lastRemotePorts!.set(remotePort, d);
          destAddresses.push(remote);
          destPorts.push(remotePort);
        }
        const local = row.localAddressHex();
        if (local !== lastSource) {
          lastSource = local;
          let s = sourceIndex.get(local);
          if (s === undefined) {
            s = sourceIndex.size;
            sourceIndex.set(local, s);
          }
          lastSourceIndex = s;
        }
        const s = lastSourceIndex;
        ports[n] = row.localPort;
        let flagged = code;
        if (code === TIME_WAIT && reuseOn) {
          const left = row.expiresMs;
          if (left === undefined) untimedTimeWait++;
          else if (left < oldBelowMs) flagged |= OLD_TIME_WAIT;
        }
        states[n] = flagged;
        dests[n] = d;
        sources[n] = s;
        n++;
      }
      if (by !== undefined && by !== 'process' && (wantCode < 0 || code === wantCode)) {
        matched++;
        const key = by === 'local-port' ? row.localPort : by === 'remote-port' ? row.remotePort : row.remoteAddressHex();
        groupCounts.set(key, (groupCounts.get(key) ?? 0) + 1);
      }
    });
  }

  const client = new Uint32Array(16);
  const server = new Uint32Array(16);
  for (const counts of perFamily) server[LISTEN]! += counts[LISTEN] ?? 0;
  const destCount = destAddresses.length;
  const destInUse = new Uint32Array(destCount);
  const destInRange = new Uint32Array(destCount);
  const destTw = new Uint32Array(destCount);
  const destOld = new Uint32Array(destCount);
  // Source addresses per destination: a set only once a second address shows up (the common
  // case is one), the last one added kept to skip repeats.
  const destSources: Array<Set<number> | undefined> = new Array(destCount);
  const destLastSource = new Int32Array(destCount).fill(-1);
  const low = range?.low ?? 0;
  const high = range?.high ?? -1;
  // Ports of the range connect() may pick: reserved ones are never picked (and not in `usable`).
  const reserved = new Uint8Array(65536);
  for (const span of settings.reservedPorts) for (let p = Math.max(span.low, low); p <= Math.min(span.high, high); p++) reserved[p] = 1;
  const heldPort = new Uint8Array(65536);
  let heldPorts = 0;
  let listenersInRange = 0;
  for (let p = low; p <= high; p++) {
    if (listening[p] === 1 && reserved[p] === 0) {
      listenersInRange++;
      heldPort[p] = 1;
      heldPorts++;
    }
  }
  for (let i = 0; i < n; i++) {
    const port = ports[i]!;
    const flagged = states[i]!;
    const code = flagged & ~OLD_TIME_WAIT;
    if (listening[port] === 1) {
      server[code]! += 1;
      continue;
    }
    client[code]! += 1;
    const d = dests[i]!;
    destInUse[d]! += 1;
    if (port >= low && port <= high) {
      destInRange[d]! += 1;
      if (flagged !== code) destOld[d]! += 1;
      if (heldPort[port] === 0 && reserved[port] === 0) {
        heldPort[port] = 1;
        heldPorts++;
      }
    }
    if (code === TIME_WAIT) destTw[d]! += 1;
    const source = sources[i]!;
    if (destLastSource[d] !== source) {
      destLastSource[d] = source;
      (destSources[d] ??= new Set<number>()).add(source);
    }
  }

  // Which destinations tcp_tw_reuse covers, decided once per address (mode 2: loopback only).
  const destReuse = new Uint8Array(destCount);
  if (reuseOn) {
    for (const [hex, byPort] of destByAddress) {
      if (!twReuseApplies(settings.twReuse, decodeAddressHex(hex))) continue;
      for (const d of byPort.values()) destReuse[d] = 1;
    }
  }
  // A row with no timer (a source that cannot say) leaves the ages unknown: nothing is called reusable.
  const agesKnown = untimedTimeWait === 0;
  const destHeld = new Float64Array(destCount);
  for (let d = 0; d < destCount; d++) {
    const reusable = destReuse[d] === 1 && agesKnown ? Math.min(destOld[d]!, destInRange[d]!) : 0;
    destHeld[d] = destInRange[d]! - reusable + listenersInRange * Math.max(1, destSources[d]?.size ?? 0);
  }

  const destOrder: number[] = [];
  for (let d = 0; d < destCount; d++) if (destInUse[d]! > 0) destOrder.push(d);
  destOrder.sort((a, b) => destHeld[b]! - destHeld[a]! || destInRange[b]! - destInRange[a]! || destInUse[b]! - destInUse[a]!);
  const destinations: DestinationUsage[] = destOrder.slice(0, top).map((d) => {
    const address = decodeAddressHex(destAddresses[d]!);
    const port = destPorts[d]!;
    const sourceAddresses = destSources[d]?.size ?? 0;
    const usable = range === null ? null : range.usable * Math.max(1, sourceAddresses);
    const twReuse = destReuse[d] === 1;
    const held = destHeld[d]!;
    return {
      destination: endpoint(address, port),
      address,
      port,
      inUse: destInUse[d]!,
      inRange: destInRange[d]!,
      timeWait: destTw[d]!,
      sourceAddresses,
      usable,
      share: usable === null || usable === 0 ? null : destInRange[d]! / usable,
      twReuse,
      reusable: !twReuse ? 0 : agesKnown ? Math.min(destOld[d]!, destInRange[d]!) : null,
      held,
      heldShare: usable === null || usable === 0 ? null : held / usable,
    };
  });
  const rangeUse: RangeUse = {
    held: heldPorts,
    listeners: listenersInRange,
    usable: range?.usable ?? null,
    share: range === null || range.usable === 0 ? null : heldPorts / range.usable,
  };

  let group: Grouping | null = null;
  if (by !== undefined && by !== 'process') {
    const entries = [...groupCounts.entries()].sort((a, b) => b[1] - a[1] || byCodeUnit(String(a[0]), String(b[0])));
    const rows = entries.slice(0, top).map(([key, count]) => ({
      key: by === 'remote' ? decodeAddressHex(String(key)) : String(key),
      count,
    }));
    const shown = rows.reduce((sum, r) => sum + r.count, 0);
    group = { by, state: groupState, rows, others: matched - shown, groups: entries.length, matched };
  }

  const listeningPorts: number[] = [];
  for (let p = 0; p < 65536; p++) if (listening[p] === 1) listeningPorts.push(p);
  const all = new Uint32Array(16);
  for (const counts of perFamily) for (let i = 0; i < 16; i++) all[i]! += counts[i] ?? 0;

  return {
    total,
    states: fromCodes(all),
    ipv4: fromCodes(perFamily[0]!),
    ipv6: fromCodes(perFamily[1]!),
    side: { client: stateCounts(client), server: stateCounts(server) },
    listeningPorts,
    portRange: range,
    twReuse: settings.twReuse,
    rangeUse,
    destinations,
    destinationCount: destOrder.length,
    group,
  };
}
