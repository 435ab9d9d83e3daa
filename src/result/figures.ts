// The one place where a result's figures are derived: where TIME_WAIT was measured, when it
// peaked, how many client ports were held over time, times since the load began, and the
// kernel constants the projections rest on. Analysis (verdict rules, plan) and the renderers
// (terminal, HTML charts) all read them here.
import type { TimeWaitSide } from '../scenario/close-semantics.js';
import type { RunResult, Summary } from './model.js';
import { roundMs } from '../util/round.js';
import { mergedOf, partialSplit } from './provenance.js';
import { kernelCounters, labOf, serverSysctl, sideCensus } from './lab.js';
import { portPools } from '../scenario/port-pools.js';
import type { Scenario } from '../scenario/schema.js';
import { clientHosts, loadCount, workUnit } from '../scenario/work.js';
import { compileRamp, startsDueBy } from '../driver/shape/ramp.js';
import { TIME_WAIT_SECONDS, timerLateSeconds } from '../tcp-facts.js';

// The kernel's constants, for the rules that read figures from here (defined in src/tcp-facts.ts).
export { TIME_WAIT_SECONDS, WIDEST_PORT_RANGE } from '../tcp-facts.js';

/**
 * How long a client port stays held after a connection that left its TIME_WAIT on the client:
 * the 60 s and the timer wheel's lateness at the CONFIG_HZ the run recorded (the worst HZ when
 * it recorded none), `late` apart for the words. A port comes back only then: a range of exactly
 * rate × 60 s ports ran short at 60.2 s (an audit: 10 EADDRNOTAVAIL of 301 ports). The verdict's
 * port advice reads it; `plan --from` builds the same from environment.timerHz.
 */
export function timeWaitHoldOf(result: RunResult): { sec: number; late: number; hz: number | null } {
  const hz = result.environment.timerHz ?? null;
  const late = timerLateSeconds(TIME_WAIT_SECONDS, hz);
  return { sec: TIME_WAIT_SECONDS + late, late, hz };
}

/**
 * Run time (ms) TIME_WAIT peaked: summary.timeWait.peakAtMs (derived at the sample rate, see
 * peak-time.ts); for results written before it, the census sample with the most TIME_WAIT.
 */
export function timeWaitPeakAtMs(result: RunResult): number | null {
  const recorded = result.summary.timeWait.peakAtMs;
  if (recorded !== undefined) return recorded;
  const { t, client, server } = result.series.census;
  let best = 0;
  let at: number | null = null;
  t.forEach((time, i) => {
    const n = (client['TIME_WAIT']?.[i] ?? 0) + (server['TIME_WAIT']?.[i] ?? 0);
    if (n > best) {
      best = n;
      at = time;
    }
  });
  return at;
}

/**
 * Client-side sockets per census sample, whatever their state. Each holds a local port toward
 * the server (TIME_WAIT included: for the same destination that port cannot carry a new
 * connection), so this approximates "ports in use" at the census rate.
 */
export function clientPortsHeld(result: RunResult): { t: number[]; held: number[] } {
  // The client side's own looks (a routed lab's server host looks at other moments: sideCensus).
  const { t, states: client } = sideCensus(result, 'client');
  const held = t.map((_, i) =>
    Object.entries(client).reduce((sum, [state, column]) => (state === 'LISTEN' ? sum : sum + (column[i] ?? 0)), 0),
  );
  return { t, held };
}

export function peakClientPortsHeld(result: RunResult): number {
  return peakOf(clientPortsHeld(result).held);
}

/**
 * The ports the client drew from: the ones it names itself (client.localPorts, with bind), or
 * else the kernel's range (summary.ports.range: ip_local_port_range, or the part of
 * client.portRange the kernel honours). The one answer for every sentence and row that names
 * "the range" (an audit: 10 named ports all busy at 2,000/s were told as "the ephemeral port
 * range (28,232 ports) ran out").
 */
export function clientPortPool(result: RunResult): { range: { low: number; high: number; size: number } | null; named: boolean } {
  const named = portPools(result.scenario).localPorts;
  return named !== null ? { range: named, named: true } : { range: result.summary.ports.range, named: false };
}

/**
 * How many port ranges the client side drew from: one per client host of a routed lab (each
 * host is its own namespace with its own ip_local_port_range, and summary.ports.range is one
 * of them), else one.
 */
export function clientPortRanges(result: RunResult): number {
  return Math.max(1, labOf(result)?.hosts.filter((h) => h.role === 'client').length ?? 1);
}

/**
 * Most client ports held at once: the census sees sockets once a census interval, the driver's
 * own count catches short-lived ones between.
 */
export function clientPortsHeldPeak(result: RunResult): number {
  return Math.max(peakClientPortsHeld(result), result.summary.ports.peakInUse);
}

/** The largest value, 0 for none; a loop, never a spread (a series can hold 100,000+ points). */
export function peakOf(values: readonly number[]): number {
  let peak = 0;
  for (const v of values) if (v > peak) peak = v;
  return peak;
}

/** Where TIME_WAIT was measured at the peak (census, by side). */
export function timeWaitSide(tw: Summary['timeWait']): TimeWaitSide {
  if (tw.peakClient > 0 && tw.peakServer > 0) return 'both';
  if (tw.peakClient > 0) return 'client';
  if (tw.peakServer > 0) return 'server';
  return 'none';
}

/**
 * Every `t` and `...AtMs` in a result is on the run clock, which starts before the server and
 * the observers; what a reader wants is the time since the load began. The one conversion.
 */
export function sinceLoadStartMs(result: RunResult, runClockMs: number): number {
  return Math.max(0, runClockMs - result.load.startMs);
}

/** When the port range ran out, in ms since the load began; null when it did not. */
export function exhaustedAfterMs(result: RunResult): number | null {
  const at = result.summary.ports.exhaustedAtMs;
  return at === null ? null : sinceLoadStartMs(result, at);
}

/**
 * The client's failures for want of a free port: connect() with EADDRNOTAVAIL (no port left for
 * this destination, __inet_hash_connect), and bind() with EADDRINUSE (bind-before-connect holds
 * each port for every destination, so bind to port 0 finds none: inet_csk_find_open_port).
 */
export function portShortageFailures(result: RunResult): { connectNotAvail: number; bindInUse: number } {
  return {
    // EADDRNOTAVAIL from bind() is an address that is not the host's, not a port shortage.
    connectNotAvail: result.errors['EADDRNOTAVAIL']?.byPhase.connect ?? 0,
    bindInUse: result.errors['EADDRINUSE']?.byPhase.bind ?? 0,
  };
}

/** When the TIME_WAIT census peaked, in ms since the load began; null when it never rose. */
export function timeWaitPeakAfterMs(result: RunResult): number | null {
  const at = timeWaitPeakAtMs(result);
  return at === null ? null : sinceLoadStartMs(result, at);
}

/**
 * New connections per second up to the moment the ports ran out: established before it over the
 * time from the load's start. Null when they never ran out, when the result predates the count,
 * or when they ran out at once. After exhaustion a closed loop only backs off, so this, not
 * ratePerSec, is the rate the load reached (port-exhaustion: ~10,000/s against 91/s over 5.5 s).
 * Null too for a routed lab of several client hosts: its count adds each host's at the moment
 * its own range ran out, and the hosts start apart, so no one time goes with it (an audit:
 * several-clients read 4,190/s over the first host's 0.71 s, in which that host alone had made
 * its 988; the other two started 1.2 s later). Each host's own rate is in shortageHosts. Null
 * for a merge of several results, for the same reason.
 */
export function rateBeforeExhaustion(result: RunResult): number | null {
  if (clientPortRanges(result) > 1) return null;
  // A merge likewise: its count adds every contributor's before its own shortage, its time is the
  // first contributor's (an audit: 4 shards merged read 12,499/s, 28,222 over the first shard's
  // 2.26 s, where each ran out at 2.26-6.21 s at ~1,100-3,100/s). Each one's time is not kept.
  if ((mergedOf(result)?.contributors.length ?? 0) > 1) return null;
  const afterMs = exhaustedAfterMs(result);
  const count = result.summary.ports.establishedBeforeExhaustion;
  return afterMs === null || afterMs <= 0 || count == null ? null : (count * 1000) / afterMs;
}

/**
 * The client hosts of a routed lab whose ranges ran out: each one's connections established
 * before its own shortage, the time to it since its own load began, and the rate they make,
 * which summary.ports.establishedBeforeExhaustion adds up without a time. Null for any other
 * run, or a lab result written before the hosts' times were kept.
 */
export function shortageHosts(result: RunResult): Array<{ name: string; established: number; afterMs: number; ratePerSec: number | null }> | null {
  const lab = labOf(result);
  if (lab === null) return null;
  const ranOut = lab.hosts.filter((h) => h.role === 'client' && h.summary?.ports.exhaustedAtMs != null);
  const out: Array<{ name: string; established: number; afterMs: number; ratePerSec: number | null }> = [];
  for (const h of ranOut) {
    const established = h.summary!.ports.establishedBeforeExhaustion;
    const afterMs = h.exhaustedAfterMs;
    if (typeof established !== 'number' || typeof afterMs !== 'number' || !Number.isFinite(afterMs)) return null;
    out.push({ name: h.name, established, afterMs, ratePerSec: afterMs > 0 ? (established * 1000) / afterMs : null });
  }
  return out.length > 0 ? out : null;
}

/**
 * How long a connection held its port, in seconds, from its intended start to the end of its
 * close, and where that figure comes from: latencyMs.life, measured per connection, or, for
 * results written before it was, rebuilt from the means of the exchange (latencyMs.total), the
 * close delay and the close itself. null when the run timed no connection.
 */
export function connectionLife(result: RunResult): { sec: number; from: string } | null {
  const { total, close, life } = result.summary.latencyMs;
  if (life?.mean != null) return { sec: life.mean / 1000, from: 'measured: summary.latencyMs.life mean' };
  if (total.mean === null) return null;
  const delayMs = result.scenario.protocol === 'tcp' ? Number(result.scenario.close.delay ?? 0) : 0;
  return { sec: (total.mean + delayMs + (close.mean ?? 0)) / 1000, from: 'measured: summary.latencyMs.total mean + close.delay + latencyMs.close mean (the result has no latencyMs.life)' };
}

/**
 * How long the slowest connections held their port: latencyMs.life p99 in seconds, with its
 * source; the mean (connectionLife) where the result has no life. What a client that names its
 * ports must fit within: it takes them in turn, so a port comes back after ports ÷ rate whatever
 * the mean, and a connection still open then makes the next connect() on it fail (an audit: 10
 * named ports at 2,000/s, mean life 0.9 ms, p99 10.4 ms: 52 EADDRNOTAVAIL, and a plan on the mean
 * said "fits" at 18 % of capacity).
 */
export function connectionLifeTail(result: RunResult): { sec: number; from: string } | null {
  const p99 = result.summary.latencyMs.life?.p99;
  if (p99 != null) return { sec: p99 / 1000, from: 'measured: summary.latencyMs.life p99 (named ports come back in turn: the slowest connections decide)' };
  return connectionLife(result);
}

/**
 * An open loop's schedule against what it made: the starts (HTTP: requests) its rate and ramp
 * made due within `duration` — every client host's, no more than the count — and how many it
 * attempted. A load that cannot keep up (maxInFlight full, a busy CPU) starts the rest late or
 * never; its latencies count from when each was due, but only this says how many never came.
 * null for a closed loop (no schedule), and unless the duration ended the load: a load that
 * reached its count made every start, an interrupted one only a part of the schedule.
 */
export function openLoopSchedule(result: RunResult): { due: number; made: number } | null {
  const s = result.scenario;
  if (s.rate == null || result.stoppedBy !== 'duration' || typeof s.duration !== 'number') return null;
  const hosts = clientHosts(s);
  // A result written before stages were recorded had none.
  const area = startsDueBy(compileRamp(s.rate, (s as { stages?: Scenario['stages'] }).stages ?? []), s.duration);
  const count = loadCount(s);
  const due = Math.min(Math.ceil(area), Number.isFinite(count) ? count : Infinity) * hosts;
  const made = workUnit(s) === 'requests' ? result.summary.requests?.total : result.summary.connections.attempted;
  return made === undefined ? null : { due, made };
}

/**
 * An open loop's offered schedule: how many starts (HTTP: requests) its rate and stages made due
 * between two run-clock moments, every client host's, no more than the count, and none after
 * `duration` or the load's end (an interrupted load was offered nothing after it). null for a
 * closed loop, and for a merge of only some shards of a split. What the rates chart draws beside
 * what the load made, so a driver that fell behind, or ports that ran out, show against the ramp
 * that was asked for.
 */
export function offeredStarts(result: RunResult): ((fromMs: number, toMs: number) => number) | null {
  const s = result.scenario;
  if (s.rate == null || typeof s.duration !== 'number') return null;
  // A merge of some shards of a split holds their figures under the whole's scenario: the whole
  // schedule drawn over part of its load would read as a driver that fell behind (a review).
  if (partialSplit(result) !== null) return null;
  const ramp = compileRamp(s.rate, (s as { stages?: Scenario['stages'] }).stages ?? []);
  const endMs = Math.min(s.duration, result.load.endMs - result.load.startMs);
  const count = loadCount(s);
  const dueBy = (runClockMs: number): number => {
    const t = Math.min(runClockMs - result.load.startMs, endMs);
    return Math.min(startsDueBy(ramp, t), Number.isFinite(count) ? count : Infinity);
  };
  const hosts = clientHosts(s);
  return (fromMs, toMs) => (dueBy(toMs) - dueBy(fromMs)) * hosts;
}

/** New connections per second the load actually made (established per second of load). */
export function connectionRate(result: RunResult): number {
  return result.summary.connections.ratePerSec;
}

/**
 * Handshakes the listener dropped, and how many of those a full accept queue caused. Linux
 * counts every accept-queue overflow twice: LINUX_MIB_LISTENOVERFLOWS, then tcp_listendrop()'s
 * LINUX_MIB_LISTENDROPS on the same drop (tcp_conn_request, tcp_v4_syn_recv_sock), so
 * ListenDrops is the total and ListenOverflows a part of it (an audit: 2 + 2 read as 4 drops).
 */
export function listenerDrops(result: RunResult): { dropped: number; overflows: number } {
  // The listener is the server's: in a routed lab, on the server host.
  const k = kernelCounters(result);
  const overflows = k['TcpExtListenOverflows'] ?? 0;
  return { dropped: Math.max(k['TcpExtListenDrops'] ?? 0, overflows), overflows };
}

/**
 * TIME_WAIT sockets the census saw before the load began, on a run on the host network (a
 * target, or isolation host): there the census counts every socket of the host, an earlier
 * run's too (an audit: 20 connections, a peak of 1,568). The first census is the baseline,
 * taken before the load starts. 0 in a namespace of the run's own, which starts empty.
 */
export function timeWaitBeforeLoad(result: RunResult): number {
  if (result.environment.isolation !== 'host') return 0;
  const { t, client, server } = result.series.census;
  if (t.length === 0 || !(t[0]! <= result.load.startMs)) return 0;
  return (client['TIME_WAIT']?.[0] ?? 0) + (server['TIME_WAIT']?.[0] ?? 0);
}

/** A sysctl in force, as a number, or null when absent or not numeric. */
export function sysctlNumber(result: RunResult, name: string): number | null {
  return numberOf(result.environment.sysctls[name]);
}

/** The same, as the server's kernel had it (in a routed lab, the server host's: serverSysctl). */
export function serverSysctlNumber(result: RunResult, name: string): number | null {
  return numberOf(serverSysctl(result, name));
}

function numberOf(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/** What the driver's cost is counted per 1,000 of (load.costUnit; results without it counted connections). */
export function costUnit(result: RunResult): 'requests' | 'connections' {
  return result.load.costUnit ?? 'connections';
}

/** The driver's CPU per 1,000 units of work, or null when it did none (nothing to divide by). */
export function cpuPerThousand(cpuMs: number, work: number): number | null {
  return work > 0 ? roundMs((cpuMs * 1000) / work) : null;
}
