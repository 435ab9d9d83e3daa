// The change for a client that names its ports (client.localPorts) and ran short of them. Named
// ports are taken in turn (driver/endpoints.ts): the (address, port) pair, or with SO_REUSEADDR
// the 4-tuple, comes back after their count ÷ rate. Where the client leaves no TIME_WAIT to wait
// out (SO_REUSEADDR with timestamps: connect() takes it over, tcp_twsk_unique; or the server
// closes first; or an RST), a port is busy exactly while its connection is open, and the slowest
// connections decide: plan's model (plan/model.ts portMode, plan/named-turn.ts) says the same
// from its inputs. Otherwise its TIME_WAIT holds it 60 s.
import type { RunResult } from '../../result/model.js';
import { connectionLifeTail, connectionRate, sysctlNumber, timeWaitHoldOf } from '../../result/figures.js';
import { namedPortHeldWhileOpen, portPools } from '../../scenario/port-pools.js';
import { timeWaitLanding } from '../../scenario/close-semantics.js';
import { int, ms, seconds } from '../../util/format.js';
import type { Change } from './types.js';
import { connectionBudget, timeWaitHoldWords } from './words.js';
import { offeredPeak } from '../../plan/model.js';

/** Named ports that ran short (or would at this rate): the ports this load needs, and why. */
export function namedPortsChange(result: RunResult, exhausted: boolean, afterMs: number | null): Change | null {
  const pools = portPools(result.scenario);
  const named = pools.localPorts;
  if (named === null) return null;
  const timestamps = (sysctlNumber(result, 'net.ipv4.tcp_timestamps') ?? 1) !== 0;
  const clientHolds = timeWaitLanding(result.scenario).clientHoldsPorts;
  const lifeBound = namedPortHeldWhileOpen(pools.reuseAddr, timestamps, clientHolds);
  const life = lifeBound ? connectionLifeTail(result) : null;
  if (lifeBound && life === null) return null;
  // Each named port serves every source address, and with SO_REUSEADDR each destination apart
  // (a 4-tuple each): what one port carries per turn.
  const perPort = pools.sources * (pools.reuseAddr ? pools.destinations : 1);
  // The load's own rate (the offered one in an open loop, as plan --from takes it): every named
  // port is used from the first turn on, so their count over the time to exhaustion says nothing.
  // A ramp is judged at its peak, as plan judges it: `rate` is only where the ramp starts (an
  // audit: a ramp 20 → 600/s "at 20/s needs about 1,200 named ports").
  const rate = offeredPeak(result.scenario) ?? connectionRate(result);
  const ramped = result.scenario.rate !== null && rate !== result.scenario.rate;
  const hold = life?.sec ?? timeWaitHoldOf(result).sec;
  // Never more than the connections the scenario asks for: a short burst needs only that many.
  const needed = Math.max(1, Math.ceil(Math.min(rate * hold, connectionBudget(result)) / perPort));
  if (!exhausted && needed <= named.size) return null;
  const when = exhausted
    ? `The ${int(named.size)} named ports ran short${afterMs !== null ? ` ${seconds(afterMs)} into the load` : ''}`
    : `At ${ramped ? 'the ramp\'s peak of ' : ''}${int(rate)} new connections/s the ${int(named.size)} named ports would run short`;
  const measured = life !== null && /life p99/.test(life.from);
  const holdWords = !lifeBound
    ? timeWaitHoldWords(result)
    : `while its connection is open and comes back in turn, so the slowest connections decide: ${ms(hold * 1000)} ms${measured ? ' (life p99)' : ' (the mean life: the result has no latencyMs.life)'}`;
  const spread = [
    pools.sources > 1 ? `each serves ${pools.sources} source addresses` : '',
    pools.destinations > 1 ? (pools.reuseAddr ? `each ${pools.destinations} destinations apart` : `each bound once for all ${pools.destinations} destinations`) : '',
  ]
    .filter(Boolean)
    .join(', ');
  const basis = `${when}: each is held ${holdWords}; at ${ramped ? 'the ramp\'s peak of ' : ''}${int(rate)}/s this load needs about ${int(needed)} named ports${spread ? ` (${spread})` : ''}.`;
  const maxMs = result.summary.latencyMs.life?.max ?? null;
  const tail = lifeBound && measured && maxMs !== null
    ? ` With ${int(needed)}, only connections slower than ${ms(hold * 1000)} ms (the slowest 1 %) find theirs busy; with ${int(Math.ceil((rate * maxMs) / 1000 / perPort))}, none would (the slowest lived ${ms(maxMs)} ms).`
    : '';
  return {
    rule: 'widen-port-range',
    change: pools.reuseAddr ? 'Name more ports (client.localPorts)' : 'Set SO_REUSEADDR on the client (client.reuseAddr: true), or name more ports (client.localPorts)',
    why:
      basis +
      (pools.reuseAddr || !clientHolds
        ? ''
        : ' With SO_REUSEADDR a named port binds over its own TIME_WAIT and connect() takes that over (tcp_twsk_unique, with TCP timestamps on), so a port is busy only while its connection lasts.') +
      tail,
  };
}
