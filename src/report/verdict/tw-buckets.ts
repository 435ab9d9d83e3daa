// The TIME_WAIT table (tcp_max_tw_buckets): measured overflow, and server-side TIME_WAIT that
// would outgrow it at the measured rate. Past the limit the kernel makes no TIME_WAIT socket at
// all: tcp_time_wait() finds inet_twsk_alloc() refused, counts TcpExtTCPTimeWaitOverflow and
// closes the connection at once (tcp_done), giving up the protection TIME_WAIT exists for.
import type { RunResult } from '../../result/model.js';
import { TIME_WAIT_SECONDS, connectionRate, serverSysctlNumber, sysctlNumber, timeWaitHoldOf } from '../../result/figures.js';
import { kernelCounters, labOf } from '../../result/lab.js';
import { capital, int, seconds } from '../../util/format.js';
import { httpChurn } from './http-churn.js';
import type { Change } from './types.js';
import { connectionBudget, timeWaitHoldWords } from './words.js';
import { computePlan, planFromResult } from '../../plan/index.js';

export function overflowRule(result: RunResult): Change | null {
  // Every host's: in a routed lab the server host's table overflows when the server closes first.
  const overflow = kernelCounters(result)['TcpExtTCPTimeWaitOverflow'] ?? 0;
  if (overflow === 0) return null;
  const onServer = labOf(result) !== null && (labOf(result)!.hosts.find((h) => h.role === 'server')?.kernel?.['TcpExtTCPTimeWaitOverflow'] ?? 0) > 0;
  const buckets = onServer ? serverSysctlNumber(result, 'net.ipv4.tcp_max_tw_buckets') : sysctlNumber(result, 'net.ipv4.tcp_max_tw_buckets');
  return {
    rule: 'keep-alive',
    change: httpChurn(result)?.change ?? 'Reuse connections (keep-alive, a pool)',
    why:
      `TIME_WAIT filled ${onServer ? "the server host's " : ''}tcp_max_tw_buckets${buckets !== null ? ` (${int(buckets)})` : ''} and the kernel closed ${int(overflow)} ` +
      `connections at once with no TIME_WAIT, losing the protection TIME_WAIT gives against stray old segments; fewer new connections keep it below the limit.`,
  };
}

export function serverTimeWaitRule(result: RunResult): Change | null {
  const tw = result.summary.timeWait;
  if (tw.peakServer === 0) return null;
  // The server's own table: in a routed lab, the server host's setting.
  const buckets = serverSysctlNumber(result, 'net.ipv4.tcp_max_tw_buckets');
  const rate = connectionRate(result);
  if (buckets === null || rate <= 0) return null;
  // Not one per connection: one per client 4-tuple used within TIME_WAIT, as a client port used
  // again reopens its TIME_WAIT (RFC 1122 §4.2.2.13), counted by the capacity model at this rate
  // over this run's client ports (an audit: 500 client ports, "would hold 359,580, past
  // tcp_max_tw_buckets (2,000)" where the run held 500 and plan said "enough (500 of 2,000)").
  // As for client ports: a burst of the scenario's connection count leaves no more than those
  // connections would, counted the same way: the model is asked at the rate that makes that many
  // in TIME_WAIT's hold (a review: 20,000 connections at 2,000/s visit ~11,273 client ports, under
  // 12,000 buckets, where capping after the count said "would hold 14,115"). The hold is the
  // model's, the 60 s and the timer wheel's lateness (timeWaitHoldOf): divided by 60 s alone, the
  // rate held more than the count in TIME_WAIT (20,682 of 20,000 at HZ 250) and said "would hold
  // 11,424, past 11,300" of the 11,273 the same 20,000 visit.
  const atRate = serverTimeWaitModel(result);
  const wanted = atRate(Math.min(rate, connectionBudget(result) / timeWaitHoldOf(result).sec)).demand;
  if (wanted <= buckets) return null;
  // When: once the connections of one TIME_WAIT have visited that many client ports (the model's).
  const overflowAtSec = atRate(rate).overflowAtSec ?? buckets / rate;
  const churn = httpChurn(result);
  return {
    rule: 'keep-alive',
    change: churn?.change ?? 'Reuse connections (keep-alive, a pool)',
    why:
      `The server keeps a TIME_WAIT per client port and destination it closed (a port used again reopens it), each ${timeWaitHoldWords(result)}; at ${int(rate)} new connections/s it would hold ` +
      `${int(wanted)}, past tcp_max_tw_buckets (${int(buckets)}), after ${seconds(overflowAtSec * 1000)}.` +
      (churn ? ` ${capital(churn.cause)}.` : ''),
  };
}

/**
 * The TIME_WAIT the server would hold at `rate` new connections/s, closing first, over this run's
 * client ports and destinations: one per client 4-tuple used within TIME_WAIT, as the capacity
 * model counts them (plan/model.ts), not one per connection.
 */
export function serverTimeWaitAt(result: RunResult, rate: number): number {
  return serverTimeWaitModel(result)(rate).demand;
}

/**
 * The capacity model's TIME_WAIT for a server closing first, at a rate: how many, and when they
 * fill tcp_max_tw_buckets. The run's inputs are read once (planFromResult reads the whole result),
 * for every rate asked.
 */
function serverTimeWaitModel(result: RunResult): (rate: number) => ReturnType<typeof computePlan>['timeWait'] {
  const { inputs } = planFromResult(result);
  // A server closing first holds TIME_WAIT's own 60 s, whatever the run's closer held its ports for
  // (a never-closing server's run is planned at tcp_fin_timeout, the FIN_WAIT2 it leaves).
  return (rate) => computePlan({ ...inputs, rate, stages: [], keepAliveShare: 0, closer: 'server', timeWaitSec: TIME_WAIT_SECONDS }).timeWait;
}
