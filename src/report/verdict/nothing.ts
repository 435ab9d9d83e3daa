// The fallback change: nothing ran out and nothing dropped, with the headroom that is left.
import type { RunResult } from '../../result/model.js';
import { clientPortPool, clientPortRanges, clientPortsHeldPeak, connectionRate, listenerDrops, timeWaitSide } from '../../result/figures.js';
import { kernelCounters } from '../../result/lab.js';
import { decimalFormat, int, seconds } from '../../util/format.js';
import { planFromResult } from '../../plan/index.js';
import { partialSplit } from '../../result/provenance.js';
import type { Change } from './types.js';
import { isHttp, percent } from './words.js';

/** " (9,800 requests/s, 312.5 per connection)" for an HTTP run, "" otherwise. */
function httpRateWords(result: RunResult): string {
  const r = result.summary.requests;
  if (!isHttp(result) || r === undefined) return '';
  return ` (${int(r.ratePerSec)} requests/s, ${r.perConnection} per connection)`;
}

// Rates as `twstorm plan` prints them (470.5 for the default range), so the two read alike.
const perSec = decimalFormat(1);

/**
 * A run's connections can leave TIME_WAIT the range holds while its rate, kept up, would not: a
 * closed loop of 5,000 connections at 4,297/s held 5,000 of 28,232 ports, and the verdict said
 * "at 4,297 new connections/s the TIME_WAIT left behind fits" where `twstorm plan --from` the same
 * result said "DOES NOT FIT", out of ports after 6.57 s (a newcomer audit). Asked of the same
 * model, so the report and the plan agree; null when the rate fits or the ports do not bound it.
 */
function burstOnlyWords(result: RunResult): string | null {
  // Only where the client alone held TIME_WAIT: with both sides holding some (FINs that crossed,
  // a race) the model plans the client's worst case, which this run did not show.
  if (timeWaitSide(result.summary.timeWait) !== 'client') return null;
  // A merge of some shards of a split holds their figures against the whole's scenario, which
  // `plan --from` refuses for the same reason.
  if (partialSplit(result) !== null) return null;
  const { plan } = planFromResult(result);
  if (plan.fits !== false || plan.limitedBy !== null || plan.totalPerSec === null || plan.newConnPerSec === null) return null;
  const when = plan.exhaustionSec !== null ? ` and would run out after ${seconds(plan.exhaustionSec * 1000)}` : '';
  return (
    `the TIME_WAIT this run's connections left behind fits, but only as a burst: kept up, ${perSec(plan.newConnPerSec)} new connections/s${httpRateWords(result)} ` +
    `is more than the ${perSec(plan.totalPerSec)}/s the client ports sustain (each port held up to ${seconds(plan.holdSec * 1000)})${when} ` +
    `(twstorm plan --from the result models it)`
  );
}

export function nothingRule(result: RunResult): Change {
  const s = result.summary;
  // The ports the client drew from: the ones it names, or the kernel's range (a review: "60 of
  // 28,232" for 100 named ports, so "the headroom is thin" could never fire).
  const { range, named } = clientPortPool(result);
  const held = clientPortsHeldPeak(result);
  // A routed lab's client hosts each have the range: their ports add up over as many ranges.
  const ranges = clientPortRanges(result);
  const size = range ? range.size * ranges : 0;
  const share = size > 0 ? held / size : 0;
  const headroom = range
    ? ` At most ${int(held)} of ${int(size)} ${named ? 'named ' : ''}client ports${ranges > 1 ? ` (${ranges} hosts' ranges)` : ''} were held (${percent(share)})${share >= 0.5 ? ', so the headroom is thin: more load would exhaust the range' : ''}.`
    : '';
  const rate = burstOnlyWords(result) ?? `at ${int(connectionRate(result))} new connections/s${httpRateWords(result)} the TIME_WAIT left behind fits`;
  // Errors no rule explains are not "nothing": say they happened (an audit: "no error was
  // measured" beside 60 ETIMEDOUT), and that this verdict has no cause for them.
  const errors = Object.entries(s.errors).filter(([, n]) => n > 0).sort(([, a], [, b]) => b - a);
  const kernel = kernelCounters(result);
  const synRetrans = kernel['TcpExtTCPSynRetrans'] ?? 0;
  const retrans = synRetrans > 0 ? ` ${int(synRetrans)} SYNs were sent again (TCPSynRetrans): something on the path dropped them.` : '';
  // Drops no change rule took up (listener drops of another cause than a full queue; an
  // overflow of tcp_max_tw_buckets has a rule of its own): named, not denied.
  const drops = listenerDrops(result).dropped;
  const dropWords = drops > 0 ? `the kernel dropped ${int(drops)} (see Kernel)` : 'no kernel drop was counted';
  if (errors.length > 0) {
    return {
      rule: 'unexplained-failures',
      change: 'Find what failed the connections: no rule here explains it',
      why: `Connections failed (${errors.map(([code, n]) => `${code} ${int(n)}`).join(', ')}), yet no port ran out and ${dropWords}; ${rate}.${retrans}${headroom}`,
    };
  }
  return {
    rule: 'none',
    change: drops > 0 ? 'Nothing in the TIME_WAIT model needs changing at this load' : 'Nothing needs changing at this load',
    why: `No port ran out and no error was measured, ${dropWords}, and ${rate}.${retrans}${headroom}`,
  };
}
