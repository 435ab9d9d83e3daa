// Client ports: whether the ephemeral range ran out (or would at this rate), how much of it was
// held, how soon ports came back — and the change that removes the shortage.
import type { RunResult } from '../../result/model.js';
import {
  WIDEST_PORT_RANGE,
  clientPortPool,
  clientPortRanges,
  clientPortsHeldPeak,
  connectionRate,
  exhaustedAfterMs,
  portShortageFailures,
  sysctlNumber,
  timeWaitSide,
  timeWaitHoldOf,
} from '../../result/figures.js';
import { int, ms, seconds } from '../../util/format.js';
import { httpReuseChange } from './http-churn.js';
import { namedPortsChange } from './named-ports.js';
import { portPools } from '../../scenario/port-pools.js';
import type { Change, Finding } from './types.js';
import { connectionBudget, firstToRunOut, isHttp, percent, portShortageWords, timeWaitHoldWords } from './words.js';
import { serverTimeWaitAt } from './tw-buckets.js';

export function portsFinding(result: RunResult): Finding {
  const p = result.summary.ports;
  const { range, named } = clientPortPool(result);
  // A routed lab's client hosts each have the range: their ports add up, over as many ranges.
  const ranges = clientPortRanges(result);
  const rangeWords = !range
    ? 'the port range was not read back'
    : named
      ? `the client names ${int(range.size)} ports, ${range.low}–${range.high}${ranges > 1 ? ', in each client host' : ''}`
      : ranges > 1
      ? `each of the ${ranges} client hosts has the range ${range.low}–${range.high}, ${int(range.size)} ports`
      : `the range ${range.low}–${range.high} has ${int(range.size)} ports`;
  const failed = portShortageWords(result);
  const after = exhaustedAfterMs(result);
  if (after !== null || failed !== '') {
    const when = after !== null ? ` ${seconds(after)} into the load${firstToRunOut(result)}` : '';
    return {
      rule: 'ports',
      label: 'Ports',
      text: `Ran out${when}: ${rangeWords}, ${int(p.distinct)} distinct ports were used${failed === '' ? '' : `, and ${failed}`}.`,
      alert: true,
    };
  }
  const held = clientPortsHeldPeak(result);
  const share = range && range.size > 0 ? ` (${percent(held / (range.size * ranges))} of ${ranges > 1 ? `the ${ranges} ranges` : 'the range'})` : '';
  const reuse =
    p.reuses > 0
      ? ` ${int(p.reuses)} connections got a port used before; the shortest gap was ${ms(p.minReuseIntervalMs)} ms, the median ${ms(p.medianReuseIntervalMs)} ms.`
      : ' No port was used twice.';
  return {
    rule: 'ports',
    label: 'Ports',
    text: `Never ran out: at most ${int(held)} client ports were held at once${share}; ${rangeWords}.${reuse}`,
    alert: false,
  };
}

/**
 * How long a client port stays unusable after a connection: the full TIME_WAIT (timeWaitHoldOf), or the
 * measured reuse gap when the kernel handed TIME_WAIT ports back (tcp_tw_reuse). (Named ports:
 * named-ports.ts; their reuse gap is ports ÷ rate by construction.)
 */
function portHold(result: RunResult): { sec: number; words: string } {
  const recycled = result.summary.kernel['TcpExtTWRecycled'] ?? 0;
  const median = result.summary.ports.medianReuseIntervalMs;
  if (recycled > 0 && median !== null) return { sec: Math.max(0.001, median / 1000), words: `about ${ms(Math.max(0.001, median / 1000) * 1000)} ms before reuse` };
  return { sec: timeWaitHoldOf(result).sec, words: timeWaitHoldWords(result) };
}

export function clientPortRule(result: RunResult): Change | null {
  const s = result.summary;
  const side = timeWaitSide(s.timeWait);
  const after = exhaustedAfterMs(result);
  const { connectNotAvail, bindInUse } = portShortageFailures(result);
  const exhausted = after !== null || connectNotAvail + bindInUse > 0;
  // The ports the connections drew on (scenario/port-pools.ts): a named range (client.localPorts)
  // is the run's own, not the kernel's (a review: "the 28,232-port range ran out" of 100 named ports).
  const pools = portPools(result.scenario);
  const { range, named } = clientPortPool(result);
  if (!range || (!exhausted && side !== 'client' && side !== 'both')) return null;
  if (named) {
    // An HTTP client that opens a connection per request needs no more ports: reusing
    // connections removes the demand itself.
    const change = namedPortsChange(result, exhausted, after);
    return change === null ? null : (httpReuseChange(result, change.why) ?? change);
  }
  // Demand: before the range ran out, the load got its distinct ports in `after`; otherwise
  // its measured rate. Ports needed = demand × how long each stays held, but never more than
  // the connections the scenario asked for (a short burst needs only that many). In a routed
  // lab each client host drew its share from a range of its own: the demand is per host.
  const ranges = clientPortRanges(result);
  // connect() needs a port free per destination (the 4-tuple, __inet_hash_connect), so the
  // demand on one range is a destination's share; bind(addr, 0) before connect() takes a port
  // free for every destination (inet_csk_find_open_port), so then all of them share the range
  // (an audit: bind-before-connect with IP_BIND_ADDRESS_NO_PORT, 1,200 connections to 2 ports,
  // was told it needed 1,200 ports per destination). Distinct ports before the range ran out are
  // one destination's already: each destination used the same ports.
  const { destinations, bindBeforeConnect: bindShares } = pools;
  const perRange = bindShares ? ranges : ranges * destinations;
  // TIME_WAIT on both sides (FINs that crossed, a race): only the connections that left theirs on
  // the client hold a port after close (an audit: close-after, 3 client and 247 server TIME_WAIT of
  // 1,500 connections, was told the 500-port range "would run out after 2.54 s"; plan: fits).
  const heldWindow = Math.min(s.connections.established, connectionRate(result) * timeWaitHoldOf(result).sec);
  const clientShare = side === 'both' && heldWindow > 0 ? Math.min(1, s.timeWait.peakClient / heldWindow) : 1;
  const rate = after !== null && after > 0 ? s.ports.distinct / (after / 1000) / ranges : (connectionRate(result) * clientShare) / perRange;
  const { sec: hold, words: holdWords } = portHold(result);
  // The scenario's count is each host's own (environment.clients).
  const burst = connectionBudget(result) / (bindShares ? 1 : destinations);
  const needed = Math.ceil(Math.min(rate * hold, Math.max(burst, s.ports.distinct / ranges)));
  if (!exhausted && needed <= range.size) return null;
  const when = exhausted
    ? `The ${int(range.size)}-port range ran out${after !== null ? ` ${seconds(after)} into the load` : ''}`
    : `At ${int(rate)} new connections/s${ranges > 1 ? ' per client host' : ''} the ${int(range.size)}-port range would run out after ${seconds((range.size / rate) * 1000)}`;
  const perWhat =
    bindShares && destinations > 1
      ? ` in all, for its ${destinations} destinations together (bind() before connect() takes a port free for every one)`
      : ' per destination';
  const basis = `${when}: each port is held ${holdWords}, so this load needs about ${int(needed)} ports${perWhat}${ranges > 1 ? ' in each client host' : ''}.`;
  // An HTTP client that opens a connection per request needs no wider range: reusing
  // connections removes the demand itself, and costs nothing but a setting.
  const http = httpReuseChange(result, basis);
  if (http) return http;
  if (bindShares && destinations > 1) {
    return {
      rule: 'bind-address-no-port',
      change: 'Set IP_BIND_ADDRESS_NO_PORT before bind() (client.bindAddressNoPort: true)',
      why: `${basis} With it connect() picks the port per destination, so each of the ${destinations} destinations gets the whole range again (Linux 4.2+).`,
    };
  }
  if (needed <= WIDEST_PORT_RANGE) {
    // With client.portRange the socket's own range (IP_LOCAL_PORT_RANGE) is the one that ran out,
    // inside the namespace's: widening ip_local_port_range alone changes nothing (a report of a
    // 101-port client.portRange told to widen the 28,232-port ip_local_port_range).
    const perSocket = (result.scenario.client as { portRange?: string | null } | undefined)?.portRange != null;
    return {
      rule: 'widen-port-range',
      change: perSocket ? 'Widen client.portRange (or add source addresses)' : 'Widen net.ipv4.ip_local_port_range (or add source addresses)',
      why: `${basis} A range of at least ${int(needed)} ports (the widest is 1024–65535, ${int(WIDEST_PORT_RANGE)}) covers it${perSocket ? ', with net.ipv4.ip_local_port_range at least as wide (client.portRange only narrows it)' : ''}; each extra source address adds a whole range.`,
    };
  }
  const buckets = sysctlNumber(result, 'net.ipv4.tcp_max_tw_buckets');
  // Under http the server closes first only by answering `Connection: close`, which is the
  // connection-per-request pattern that keep-alive (above) already addresses.
  // The server would hold one TIME_WAIT per client port and destination used within 60 s, not
  // one per connection (a port used again reopens it): 2,000/s through the default range is
  // ~14,100, not 120,000.
  const serverTw = buckets === null ? null : serverTimeWaitAt(result, connectionRate(result));
  if (!isHttp(result) && side === 'client' && result.scenario.close.first !== 'server' && buckets !== null && serverTw! <= buckets) {
    return {
      rule: 'server-closes-first',
      change: 'Let the server close first',
      why:
        `${basis} No port range is that wide. When the server closes first, TIME_WAIT sits on the server, ` +
        `which needs no ephemeral port for it, one per client port and destination (a port used again reopens it): about ${int(serverTw!)}, under its tcp_max_tw_buckets (${int(buckets)}).`,
    };
  }
  return {
    rule: 'keep-alive',
    change: 'Reuse connections (keep-alive, a pool)',
    why: `${basis} That is more than any port range (${int(WIDEST_PORT_RANGE)} at most) or the TIME_WAIT table can hold; only fewer new connections fix it.`,
  };
}
