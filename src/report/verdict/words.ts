// Words and small figures more than one verdict rule uses.
import type { RunResult } from '../../result/model.js';
import { clientPortRanges, portShortageFailures, shortageHosts, TIME_WAIT_SECONDS, timeWaitHoldOf } from '../../result/figures.js';
import { mergedOf } from '../../result/provenance.js';
import { int, seconds } from '../../util/format.js';
import type { TimeWaitLanding, TimeWaitSide } from '../../scenario/close-semantics.js';

export const isHttp = (result: RunResult): boolean => result.scenario.protocol === 'http';

/** "60 s in TIME_WAIT and up to 2.05 s more (the kernel's timer wheel at HZ 250)": a port's hold (timeWaitHoldOf), said. */
export function timeWaitHoldWords(result: RunResult): string {
  const { late, hz } = timeWaitHoldOf(result);
  return `${TIME_WAIT_SECONDS} s in TIME_WAIT and up to ${seconds(late * 1000)} more (the kernel's timer wheel${hz !== null ? ` at HZ ${hz}` : ', at the worst HZ'})`;
}

export function sideWords(side: TimeWaitSide): string {
  return side === 'none' ? 'none' : side === 'both' ? 'both sides' : `the ${side}`;
}

/**
 * Whose exhaustion time summary.ports.exhaustedAtMs is when the range it names was not one
 * pool: the first of a merge's shards' slices, or of a routed lab's client hosts' ranges, to
 * run out (result/add.ts firstExhaustion). '' for one run on one range.
 */
export function firstToRunOut(result: RunResult): string {
  const slices = mergedOf(result)?.contributors.filter((c) => c.shard !== null).length ?? 0;
  if (slices > 1) return ` (the first of ${slices} shards' slices of the range)`;
  const hosts = clientPortRanges(result);
  return hosts > 1 ? ` (the first of ${hosts} client hosts' ranges)` : '';
}

/**
 * "after 2,974 connections": those established before the ports ran out. A routed lab's count
 * adds each client host's at its own shortage (result/add.ts), not at the first host's moment,
 * which is the time said beside it: each host's count, time and rate are said (an audit:
 * "exhausted at 0.71 s into the load, after 2,978 connections (4,190/s)" where in those 0.71 s
 * client1 alone had made its 988; the other two started 1.2 s later). '' when there is no count.
 */
export function shortageCountWords(result: RunResult): string {
  const count = result.summary.ports.establishedBeforeExhaustion;
  if (count == null) return '';
  const words = `after ${int(count)} connection${count === 1 ? '' : 's'}`;
  if (clientPortRanges(result) < 2) return words;
  const hosts = shortageHosts(result);
  if (hosts === null) return `${words}, each client host's until its own range ran out`;
  const each = hosts.map((h) => `${h.name} ${int(h.established)} in ${seconds(h.afterMs)}${h.ratePerSec === null ? '' : `, ${int(h.ratePerSec)}/s`}`).join('; ');
  return `${words} (${hosts.length === 1 ? 'in the client host whose range ran out' : 'each client host until its own range ran out, from its own start'}: ${each})`;
}

/** "700 connects failed with EADDRNOTAVAIL and 20 binds failed with EADDRINUSE"; '' when none failed. */
export function portShortageWords(result: RunResult): string {
  const { connectNotAvail, bindInUse } = portShortageFailures(result);
  return [
    connectNotAvail > 0 ? `${int(connectNotAvail)} connects failed with EADDRNOTAVAIL` : '',
    bindInUse > 0 ? `${int(bindInUse)} binds failed with EADDRINUSE` : '',
  ]
    .filter(Boolean)
    .join(' and ');
}

export const percent = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/** "so TIME_WAIT is expected on the client", from where the close policy puts it. */
export function expectationWords(landing: TimeWaitLanding): string {
  if (landing.closeWait !== null) return `so no TIME_WAIT is expected: the ${landing.closeWait}'s sockets stay in CLOSE_WAIT and the peer's in FIN_WAIT2`;
  if (landing.side === 'none') return 'so no TIME_WAIT is expected, RSTs instead';
  if (landing.race) return 'so the FINs race and TIME_WAIT may land on either side, or both';
  if (landing.side === 'both') return 'so TIME_WAIT is expected on both sides';
  return `so TIME_WAIT is expected on the ${landing.side}`;
}

/**
 * The most connections the run could have opened, which caps what a short burst leaves behind:
 * the scenario's count under tcp. Under http `connections` is not used: the requests, divided
 * by the requests each connection carried (measured), are the bound.
 */
export function connectionBudget(result: RunResult): number {
  if (!isHttp(result)) return result.scenario.connections > 0 ? result.scenario.connections : Infinity;
  const perConnection = Math.max(1, result.summary.requests?.perConnection ?? 1);
  return Math.ceil(result.scenario.http.requests / perConnection);
}
