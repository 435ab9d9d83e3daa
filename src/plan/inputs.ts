// `plan`'s inputs: what the user gave, else this machine's value, else a stated assumption.
import { readMachineFacts } from './machine.js';
import { parsePortRange, parseReservedPorts, reservedIn } from '../scenario/port-range.js';
import type { Closer, PlanInputs } from './types.js';
import { TIME_WAIT_SECONDS } from '../tcp-facts.js';

export interface PlanFlags {
  portRange?: string;
  /** ip_local_reserved_ports as the sysctl takes it ("8080,40000-40199"); "" for none. */
  reservedPorts?: string;
  timeWait?: number;
  sources?: number;
  destinations?: number;
  twReuse?: number;
  /** net.ipv4.tcp_timestamps: 0 off, 1 or 2 on. */
  timestamps?: number;
  /** The range is set per socket with IP_LOCAL_PORT_RANGE (walked in steps of 1, no parity). */
  perSocketRange?: boolean;
  loopback?: boolean;
  keepAlive?: string;
  rate?: number;
  maxTwBuckets?: number;
  closer?: Closer;
  bindBeforeConnect?: boolean;
  twSockBytes?: number;
  /** CONFIG_HZ of the machine planned for (how late its timer wheel ends a TIME_WAIT). */
  hz?: number;
}

export class PlanInputError extends Error {}

/** "80%", "0.8" → 0.8. */
export function parseShare(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!match) return null;
  const share = match[2] ? Number(match[1]) / 100 : Number(match[1]);
  return share >= 0 && share <= 1 ? share : null;
}

export async function resolvePlanInputs(flags: PlanFlags): Promise<{ inputs: PlanInputs; sources: Record<string, string> }> {
  const machine = await readMachineFacts();
  const sources: Record<string, string> = {};
  const given = 'given';
  const pick = <T>(key: string, flag: T | undefined, fallback: { value: T; from: string }): T => {
    sources[key] = flag !== undefined ? given : fallback.from;
    return flag !== undefined ? flag : fallback.value;
  };
  let range = machine.portRange.value;
  if (flags.portRange !== undefined) {
    const parsed = parsePortRange(flags.portRange);
    if (!parsed) throw new PlanInputError(`--port-range: expected "LOW HIGH" or LOW-HIGH within 1–65535, got ${JSON.stringify(flags.portRange)}`);
    // ipv4_local_port_range() refuses (EINVAL) a low bound below ip_unprivileged_port_start, so
    // such a range exists on no machine with this one's setting.
    const floor = machine.unprivilegedPortStart.value;
    if (parsed.low < floor) {
      throw new PlanInputError(
        `--port-range: the low bound ${parsed.low} is below net.ipv4.ip_unprivileged_port_start (${floor} here), and the kernel refuses such an ip_local_port_range (EINVAL); start it at ${floor} or above`,
      );
    }
    range = { low: parsed.low, high: parsed.high };
    sources['portRange'] = given;
  } else sources['portRange'] = machine.portRange.from;
  // Reserved ports are this machine's unless given (another machine's plan needs its own list);
  // either way only those inside the range count.
  let reserved = parseReservedPorts(machine.reservedPorts.value).ranges;
  if (flags.reservedPorts !== undefined) {
    const { ranges, bad } = parseReservedPorts(flags.reservedPorts);
    if (bad !== null) throw new PlanInputError(`--reserved-ports: expected ports and ranges like "8080,40000-40199" within 0–65535 (or "" for none), got ${JSON.stringify(bad)}`);
    reserved = ranges;
    sources['reservedPorts'] = given;
  } else sources['reservedPorts'] = machine.reservedPorts.from;
  const reservedPorts = reservedIn(reserved, range.low, range.high);
  let keepAliveShare = 0;
  if (flags.keepAlive !== undefined) {
    const share = parseShare(flags.keepAlive);
    if (share === null) throw new PlanInputError(`--keep-alive: expected a share like "80%" or 0.8, got ${JSON.stringify(flags.keepAlive)}`);
    keepAliveShare = share;
    sources['keepAliveShare'] = given;
  } else sources['keepAliveShare'] = 'assumed: 0 (every request opens a new connection)';
  if (flags.timeWait !== undefined && !(Number.isFinite(flags.timeWait) && flags.timeWait > 0)) throw new PlanInputError(`--time-wait: expected a positive number of seconds, got ${flags.timeWait}`);
  // Addresses, destinations, buckets and bytes come whole: 1.5 source addresses is no machine.
  for (const [name, v, least] of [['sources', flags.sources, 1], ['destinations', flags.destinations, 1], ['tw-sock-bytes', flags.twSockBytes, 1], ['max-tw-buckets', flags.maxTwBuckets, 0]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= least)) throw new PlanInputError(`--${name}: expected a whole number of at least ${least}, got ${v}`);
  }
  if (flags.rate !== undefined && !(Number.isFinite(flags.rate) && flags.rate >= 0)) throw new PlanInputError(`--rate: expected requests per second ≥ 0, got ${flags.rate}`);
  if (flags.hz !== undefined && !(Number.isInteger(flags.hz) && flags.hz >= 24 && flags.hz <= 10000)) throw new PlanInputError(`--hz: expected the kernel's CONFIG_HZ, a whole number like 100, 250, 300 or 1000, got ${flags.hz}`);
  if (flags.timestamps !== undefined && ![0, 1, 2].includes(flags.timestamps)) throw new PlanInputError(`--timestamps: expected 0, 1 or 2 (net.ipv4.tcp_timestamps), got ${flags.timestamps}`);

  const timeWaitSec = pick('timeWaitSec', flags.timeWait, { value: TIME_WAIT_SECONDS, from: `Linux: TCP_TIMEWAIT_LEN, a fixed ${TIME_WAIT_SECONDS} s` });
  const hz = flags.hz ?? machine.timerHz.value;
  sources['timerHz'] = flags.hz !== undefined ? `given: HZ ${flags.hz}` : machine.timerHz.from;
  const inputs: PlanInputs = {
    portLow: range.low,
    portHigh: range.high,
    reservedPorts,
    timeWaitSec,
    timerHz: hz,
    sources: pick('sources', flags.sources, { value: 1, from: 'assumed: 1' }),
    destinations: pick('destinations', flags.destinations, { value: 1, from: 'assumed: 1' }),
    twReuse: pick('twReuse', flags.twReuse, machine.twReuse),
    loopback: pick('loopback', flags.loopback, { value: false, from: 'assumed: destinations are not loopback' }),
    twReuseDelaySec: machine.twReuseDelaySec.value,
    keepAliveShare,
    rate: flags.rate ?? null,
    maxTwBuckets: pick('maxTwBuckets', flags.maxTwBuckets, machine.maxTwBuckets),
    closer: pick('closer', flags.closer, { value: 'client' as Closer, from: 'assumed: the client closes first (holds the TIME_WAIT)' }),
    bindBeforeConnect: pick('bindBeforeConnect', flags.bindBeforeConnect, { value: false, from: 'assumed: connect() picks the port' }),
    twSockBytes: pick('twSockBytes', flags.twSockBytes, machine.twSockBytes),
    timestamps: pick('timestamps', flags.timestamps, machine.timestamps),
    perSocketRange: pick('perSocketRange', flags.perSocketRange, { value: false, from: 'assumed: the netns range (ip_local_port_range), not a per-socket one' }),
  };
  sources['twReuseDelaySec'] = machine.twReuseDelaySec.from;
  if (flags.rate === undefined) sources['rate'] = 'not given: capacity only';
  return { inputs, sources };
}
