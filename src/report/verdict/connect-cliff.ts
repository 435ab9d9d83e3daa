// connect() slowing as the port range fills: the kernel picks an unbound connect()'s port in
// __inet_hash_connect (net/ipv4/inet_hashtables.c), walking the range in steps of 2 from a
// hashed offset — the ports with the parity of the range's low end first, then the others —
// and takes a bucket lock and an established-hash lookup for every held port it steps over.
// Once the first parity is all held, every connect() walks all of it: many times slower, CPU
// spent in the kernel, long before EADDRNOTAVAIL. Fires in any run whose connect latency grew
// with the ports held (summary.connectFill.cliff, src/result/connect-cliff.ts). The parity is
// named as the cause only where the run shows it (cliffPools: a pool at least half held, or a
// port of the second parity handed out): below that no walk has reached the other parity yet.
import type { RunResult } from '../../result/model.js';
import { cliffPools, cliffRange, firstParity, type CliffPools } from '../../result/connect-cliff.js';
import { sinceLoadStartMs } from '../../result/figures.js';
import { connectFillHost } from '../../result/lab.js';
import { int, ms, seconds } from '../../util/format.js';
import type { Change, Finding } from './types.js';
import { percent } from './words.js';

export function connectCliffFinding(result: RunResult): Finding | null {
  const fill = result.summary.connectFill;
  const cliff = fill?.cliff;
  if (!fill || !cliff || !fill.lowFill || !fill.highFill) return null;
  const range = cliffRange(result);
  const pools = cliffPools(result);
  const what = result.connectFill?.measure === 'established' ? 'Connect latency' : 'The connect() call';
  const where =
    `once ${int(cliff.atHeld)} ports were held` +
    (cliff.atFill !== null && range ? ` (${percent(cliff.atFill)} of ${rangeWords(range)})` : '') +
    perDestination(pools) +
    (cliff.atMs !== null ? `, ${seconds(sinceLoadStartMs(result, cliff.atMs))} into the load` : '');
  const text =
    `${hostWords(result)}${what} became ${cliff.slowdownP50}× slower ${where}: p50 ${latency(fill.lowFill.p50Ms)} → ${latency(fill.highFill.p50Ms)} ms, ` +
    `p99 ${latency(fill.lowFill.p99Ms)} → ${latency(fill.highFill.p99Ms)} ms. ` +
    `${cause(result)} ` +
    `This is CPU spent in the kernel long before EADDRNOTAVAIL. ${REMEDY}`;
  return { rule: 'connect-cliff', label: 'connect() slowed', text, alert: true };
}

/** The kernel's port scan, with this run's parity evidence when the range and both parities are there. */
const REMEDY =
  'What helps: tcp_tw_reuse=1 (connect() may take over a TIME_WAIT port to the same destination), fewer client-first closes ' +
  '(keep-alive, or let the server close first: then no port stays held), more source addresses (bind with IP_BIND_ADDRESS_NO_PORT) or destinations ' +
  '(each has its own range to walk), or a wider net.ipv4.ip_local_port_range (the cliff comes when one parity, half the range, is held).';

/** The terminal's sentence (story.ts): the cliff in one line; the verdict's finding has the rest. */
export function connectCliffSentence(result: RunResult): string | null {
  const fill = result.summary.connectFill;
  const cliff = fill?.cliff;
  if (!fill || !cliff || !fill.lowFill || !fill.highFill) return null;
  const range = cliffRange(result);
  const first = range ? firstParity(range) : null;
  const pools = cliffPools(result);
  const why =
    pools !== null && !pools.parityShown
      ? `: connect() steps over the held ports of its pool before it finds a free one, more of them the fuller the pool${pools.perSocketRange ? ' (a per-socket range: port by port, no parity)' : `, but no ${first === 'even' ? 'odd' : first === 'odd' ? 'even' : 'second-parity'} port was needed yet`}.`
      : `: the kernel walks every held ${first ?? 'same-parity'} port in connect() before it tries ${first === 'even' ? 'an odd' : first === 'odd' ? 'an even' : 'another'} one.`;
  return (
    `${hostWords(result)}connect() became ${cliff.slowdownP50}× slower (p50 ${latency(fill.lowFill.p50Ms)} → ${latency(fill.highFill.p50Ms)} ms) once ${int(cliff.atHeld)} ports were held` +
    (cliff.atFill !== null ? ` (${percent(cliff.atFill)} of ${range?.slice ? "each shard's slice" : 'the range'})` : '') +
    perDestination(pools) +
    (cliff.atMs !== null ? `, ${seconds(sinceLoadStartMs(result, cliff.atMs))} into the load` : '') +
    why
  );
}

/** ", about 1,000 toward each of the 2 destinations" where the held count spans several pools. */
function perDestination(pools: CliffPools | null): string {
  if (pools === null || pools.destinations === 1) return '';
  return `, about ${int(pools.heldPerPool)} toward each of the ${int(pools.destinations)} destinations${pools.fillPerPool !== null ? ` (${percent(pools.fillPerPool)} of each pool)` : ''}`;
}

/** The one change when connect() slowed and nothing stronger (ports running out) fired first. */
export function connectScanRule(result: RunResult): Change | null {
  const fill = result.summary.connectFill;
  const cliff = fill?.cliff;
  if (!fill || !cliff || !fill.highFill) return null;
  const pools = cliffPools(result);
  return {
    rule: 'connect-scan',
    change: 'Hold fewer client ports: tcp_tw_reuse=1, keep-alive or a server-first close, more source addresses',
    why:
      `${hostWords(result)}connect() became ${cliff.slowdownP50}× slower (p50 ${latency(fill.highFill.p50Ms)} ms) once ${int(cliff.atHeld)} ports were held: ` +
      (pools !== null && !pools.parityShown
        ? 'the kernel steps over the held ports of a pool before it picks a free one, more of them the fuller it is. '
        : 'the kernel walks every held port of one parity before it picks a free one. ') +
      'Fewer ports held, or more ranges to walk, keep connect() at its low-fill speed.',
  };
}

/** "On client1 (of 3 client hosts, each walking its own range): " where the cells are one host's of several. */
function hostWords(result: RunResult): string {
  const host = connectFillHost(result);
  return host === null ? '' : `On ${host.name} (of ${host.clientHosts} client hosts, each walking its own range): `;
}

/** Milliseconds with enough digits for a few microseconds (a free port's connect() takes ~10 µs). */
function latency(v: number | null): string {
  if (v === null) return '–';
  return v < 0.1 ? v.toFixed(3) : ms(v);
}

/** "the 28,232-port range", or for a merge of shards "each shard's 2,001-port slice". */
function rangeWords(range: { size: number; slice: boolean }): string {
  return range.slice ? `each shard's ${int(range.size)}-port slice` : `the ${int(range.size)}-port range`;
}

function cause(result: RunResult): string {
  const fill = result.summary.connectFill!;
  const range = cliffRange(result);
  const scan = 'The kernel picks the port inside connect() (__inet_hash_connect) by walking the range in steps of 2';
  if (cliffPools(result)?.perSocketRange) {
    return 'The kernel picks the port inside connect() (__inet_hash_connect) by walking the per-socket range (IP_LOCAL_PORT_RANGE) port by port, with no parity split, stepping over every port already held; the fuller the range, the longer the walk.';
  }
  if (!range) return `${scan}, stepping over every port already held; the fuller the range, the longer the walk.`;
  const first = firstParity(range);
  const second = first === 'even' ? 'odd' : 'even';
  const firstCount = Math.ceil(range.size / 2);
  const parityWords = `${first} ports first (the parity of the range's low end, ${range.low}), then ${second}`;
  const seconds2 = fill[second];
  if (seconds2.count > 0 && seconds2.minHeld !== null) {
    const firstFill = fill[first];
    return (
      `${scan}, ${parityWords}: the first ${second} port was handed out only when ${int(seconds2.minHeld)} ports were held ` +
      `(${range.slice ? "each shard's slice" : 'the range'} has ${int(firstCount)} ${first} ones), and from then on every connect() walked all the ${first} ports before it tried an ${second} one ` +
      `(${first}-port connects p50 ${latency(firstFill.p50)} ms, ${second}-port p50 ${latency(seconds2.p50)} ms).`
    );
  }
  return `${scan}, ${parityWords}, stepping over every port already held; the fuller the range, the longer the walk.`;
}
