// The plan as terminal text: inputs with where each came from, the answers, what to change.
import type { PlanFromResult } from './from-result.js';
import { renderNatLimit } from './nat-limit.js';
import { offeredPeak, timeWaitHoldSec } from './model.js';
import { latestHz } from '../tcp-facts.js';
import type { PlanInputs, PlanOutput } from './types.js';
import { fmt, mib, offeredText, pct, rateText, sec } from './words.js';

const row = (label: string, text: string): string => `${label.padEnd(26)}${text}`;
/** A connection's life: milliseconds below a second (sec() would round 5 ms to "0.01 s"). */
const life = (s: number): string => (s < 1 ? `${fmt(s * 1000)} ms` : sec(s));

/** An open loop's ramp: where it goes and that the plan is judged at its peak. */
function rampText(p: PlanInputs): string {
  const stages = p.stages ?? [];
  if (stages.length === 0) return '';
  const peak = offeredPeak(p)!;
  return `, ramping (stages) to ${stages.map((s) => fmt(s.target)).join(' → ')} over ${sec(stages.reduce((t, s) => t + s.duration, 0) / 1000)}: judged at its peak, ${fmt(peak)}/s; exhaustion follows the ramp`;
}

function inputLines(p: PlanInputs, sources: Record<string, string>): string[] {
  const from = (key: string): string => (sources[key] ? `  — ${sources[key]}` : '');
  const picker = p.namedPorts ? 'named' : p.bindBeforeConnect ? 'bind' : 'connect';
  const twReuseWhy =
    picker === 'bind'
      ? ' (not consulted: bind() picks the port)'
      : picker === 'named'
        ? ' (not consulted: the client names its ports)'
        : p.twReuse === 2
          ? p.loopback
            ? ' (loopback destinations: in force)'
            : ' (loopback only: not in force)'
          : '';
  const pools =
    picker === 'named'
      ? ` (the client names its ports${p.reuseAddr ? ', with SO_REUSEADDR' : ''}: shared by all destinations)`
      : picker === 'bind'
        ? ' (bind() before connect(): ports shared by all destinations)'
        : '';
  return [
    row('port range', `${p.portLow}–${p.portHigh}${p.perSocketRange ? ' per socket (IP_LOCAL_PORT_RANGE)' : ''}${p.reservedPorts ? `, ${fmt(p.reservedPorts)} reserved${sources['reservedPorts'] ? ` (${sources['reservedPorts']})` : ''}` : ''}${from('portRange')}`),
    row('TIME_WAIT length', `${fmt(p.timeWaitSec)} s${from('timeWaitSec')}`),
    ...(p.timerHz !== undefined
      ? [row('timer lateness', `up to ${+(timeWaitHoldSec(p) - p.timeWaitSec).toFixed(3)} s after that (the timer wheel's granule at HZ ${p.timerHz ?? `${latestHz(p.timeWaitSec)}, the worst for it`}): ports come back only then${from('timerHz')}`)]
      : []),
    row('source addresses', `${fmt(p.sources)}${pools}${from('sources')}`),
    row('destinations (IP:port)', `${fmt(p.destinations)}${from('destinations')}`),
    row('tcp_tw_reuse', `${p.twReuse}${twReuseWhy}, delay ${sec(p.twReuseDelaySec)}${from('twReuse')}`),
    row('tcp_timestamps', `${p.timestamps ?? 1}${(p.timestamps ?? 1) === 0 ? ' (off: no TIME_WAIT is ever taken over)' : ''}${from('timestamps')}`),
    row('keep-alive share', `${pct(p.keepAliveShare)}${from('keepAliveShare')}`),
    row('offered rate', `${p.rate === null ? '– (give --rate)' : `${fmt(p.rate)} requests/s${rampText(p)}`}${from('rate')}`),
    row('closes first', `${p.closer === 'rst' ? 'client, with RST (SO_LINGER 0)' : p.closer}${from('closer')}`),
    row('tcp_max_tw_buckets', `${fmt(p.maxTwBuckets)}${(p.twHosts ?? 1) > 1 ? ` on each of ${fmt(p.twHosts!)} hosts` : ''}${from('maxTwBuckets')}`),
    row('TIME_WAIT socket size', `${fmt(p.twSockBytes)} B${from('twSockBytes')}`),
    ...(p.namedPorts && p.connectionLifeSec != null ? [row('connection life', `${life(p.connectionLifeSec)}${from('connectionLifeSec')}`)] : []),
    ...(p.connectScan
      ? [
          row('connect() port walk', `${p.connectScan.perPortUs.toFixed(3)} µs per held port, ${fmt(Math.round(p.connectScan.baseConnectionUs))} µs per connection before it, ${fmt(p.connectScan.threads)} thread${p.connectScan.threads === 1 ? '' : 's'}${from('connectScan')}`),
        ]
      : []),
  ];
}

const plainPool = (o: PlanOutput, p: PlanInputs): string => `${fmt(p.sources)} × ${fmt(o.usablePorts)} ports`;

/**
 * The ports a pool holds. Named ports from more than one address, or to more than one
 * destination with SO_REUSEADDR, are the pairs or 4-tuples they make (model.ts, namedPortCycle).
 */
function poolText(o: PlanOutput, p: PlanInputs): string {
  if (o.namedCycle === null || (p.sources === 1 && p.destinations === 1)) return plainPool(o, p);
  const parts = [...(p.sources > 1 ? [`${fmt(p.sources)} addresses`] : []), `${fmt(o.usablePorts)} ports`, ...(p.reuseAddr && p.destinations > 1 ? [`${fmt(p.destinations)} destinations`] : [])];
  if (parts.length === 1) return plainPool(o, p);
  return p.reuseAddr
    ? `${fmt(o.namedCycle.fourTuples)} 4-tuples (${parts.join(' × ')})`
    : `${fmt(o.namedCycle.pairs)} address:port pairs (${parts.join(' × ')})`;
}

function outputLines(o: PlanOutput, p: PlanInputs): string[] {
  const out: string[] = [];
  if (o.perDestinationPerSec === null || o.totalPerSec === null) {
    out.push(row('sustainable new conn/s', p.closer === 'client' && o.reuseInForce
      ? 'not bounded by client ports (each connection takes over its port\'s TIME_WAIT)'
      : 'not bounded by client ports (they are free at close)'));
  } else {
    const hold = o.portPicker === 'named' && o.reuseInForce ? `${life(o.holdSec)} (the connection's life)` : sec(o.holdSec);
    out.push(row('sustainable new conn/s', `${rateText(o.perDestinationPerSec)} per destination, ${rateText(o.totalPerSec)} in total` +
      `  (= ${poolText(o, p)} ÷ ${hold}${o.portPicker === 'connect' ? ` × ${fmt(p.destinations)} destination${p.destinations === 1 ? '' : 's'}` : o.namedCycle !== null && poolText(o, p) !== plainPool(o, p) ? '' : ' shared'})`));
  }
  if (o.connectScan !== null) {
    const c = o.connectScan;
    out.push(row('past half the range', `connect() walks ~${fmt(c.portsWalked)} held ports (+${fmt(Math.round(c.connectExtraUs))} µs each): at most ${fmt(Math.floor(c.scanLimitedPerSec))} new conn/s`));
    out.push(row('sustainable with the walk', `${fmt(Math.floor(c.sustainablePerSec))} new conn/s in total` +
      (c.sustainablePerSec < (o.totalPerSec ?? Infinity) ? ` (below the ${fmt(Math.floor(o.totalPerSec!))} the ports allow; up to ${fmt(Math.floor(c.halfRangePerSec))} stay under half the range)` : ' (the walk is not what limits)')));
  }
  if (o.newConnPerSec !== null) {
    const verdict = o.limitedBy !== null
      ? `DOES NOT FIT: ${o.limitedBy}`
      : o.fits ? (o.utilisation !== null && o.utilisation > 1 ? 'fits, only because the excess skips TIME_WAIT (tcp_max_tw_buckets)' : 'fits') : 'DOES NOT FIT';
    out.push(row('offered new conn/s', `${offeredText(o.newConnPerSec)}${o.utilisation !== null ? ` (${pct(o.utilisation)} of ${o.limitedBy !== null ? 'the ports\' capacity' : 'capacity'})` : ''} → ${verdict}`));
    out.push(row('time to exhaustion', o.exhaustionSec === null ? `never at this rate${o.limitedBy !== null ? ' (the client\'s ports)' : ''}` : `${sec(o.exhaustionSec)}, then ${o.portFailure}`));
    const tw = o.timeWait;
    out.push(row('TIME_WAIT at steady state', tw.side === 'none'
      ? 'none (RST close)'
      : `${fmt(tw.steadyState)} sockets on the ${tw.side}, ${mib(tw.memoryBytes)}${tw.portsHeld > 0 ? ` (with the bind buckets of the ${fmt(tw.portsHeld)} ports they hold)` : ''}`));
    const hosts = p.twHosts ?? 1;
    const perHost = (n: number): string => (hosts > 1 ? `${fmt(Math.ceil(n / hosts))} per host` : fmt(n));
    out.push(row('tcp_max_tw_buckets', tw.bucketsOverflow
      ? `OVERFLOWS${tw.overflowAtSec === null ? ' at the peak' : ` after ${sec(tw.overflowAtSec)}`}: ${perHost(tw.demand)} wanted, ${fmt(p.maxTwBuckets)} allowed (TcpExtTCPTimeWaitOverflow)`
      : `enough (${perHost(tw.demand)} of ${fmt(p.maxTwBuckets)})`));
  }
  return out;
}

export function renderPlan(p: PlanInputs, sources: Record<string, string>, o: PlanOutput): string {
  const out = ['inputs', ...inputLines(p, sources).map((l) => `  ${l}`), '', 'answers', ...outputLines(o, p).map((l) => `  ${l}`)];
  if (o.fixes.length > 0) out.push('', 'to fit, change one of', ...o.fixes.map((f) => `  - ${f}`));
  if (o.notes.length > 0) out.push('', ...o.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

export function renderPlanFromResult(r: PlanFromResult, file: string): string {
  const out = [`plan from ${file}`, '', renderPlan(r.inputs, r.sources, r.plan), '', 'predicted vs measured'];
  const cells = r.rows.map((x) => [
    x.label,
    x.predicted === null ? '–' : `${fmt(x.predicted)} ${x.unit}`,
    x.measured === null ? '–' : `${fmt(x.measured)} ${x.unit}`,
    x.errorPct === null ? '' : `${x.errorPct > 0 ? '+' : ''}${x.errorPct.toFixed(1)}%`,
  ]);
  const header = ['', 'predicted', 'measured', 'error'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const c of [header, ...cells]) out.push(`  ${c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ')}`.trimEnd());
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.nat) out.push(renderNatLimit(r.nat.inputs, r.nat.limit));
  return out.join('\n');
}
