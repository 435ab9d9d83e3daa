// Why two runs' numbers may differ for reasons other than the code under test: a different
// kernel (TCP and port allocation change between versions), different sysctls, host instead
// of a namespace (host sockets counted too), another Node, another machine size, or a
// different scenario (more connections, another rate). Each difference is one note.
import type { RunResult } from '../result/model.js';
import { costUnit } from '../result/figures.js';
import { clientHosts } from '../scenario/work.js';
import { mergedOf, repeatOf } from '../result/provenance.js';

const SCENARIO_FIELDS = ['protocol', 'connections', 'duration', 'concurrency', 'rate', 'maxInFlight', 'payload', 'close', 'http', 'server'] as const;
/** Compared only when both results carry them: older results lack them, and a default would read as a change. */
const LATER_FIELDS = ['stages', 'client', 'target', 'faults'] as const;

/**
 * Fields one protocol ignores: a tcp run never reads `http`, an http run never reads
 * `connections`, `payload` or `close`. A difference there changes nothing measured, so it is
 * only noted when a run of the protocol that reads the field is in the pair. (Results from
 * before http have neither `protocol` nor `http`: they are tcp.)
 */
const READ_BY: Partial<Record<(typeof SCENARIO_FIELDS)[number], 'tcp' | 'http'>> = {
  connections: 'tcp',
  payload: 'tcp',
  close: 'tcp',
  http: 'http',
};

const protocolOf = (r: RunResult): string => (r.scenario as { protocol?: string }).protocol ?? 'tcp';

/** The notes for one pair of runs: how their settings differ, and what befell each. */
export function environmentNotes(baseline: RunResult, current: RunResult): string[] {
  return setNotes([baseline], [current]);
}

/**
 * The notes for two sets of runs: their settings compared on each set's first run, and every
 * run's own state — interrupted, failed, merged with warnings — whichever run of its set it is
 * (an audit: a failed third repeat went unnoted, for only the first runs were read).
 */
export function setNotes(baseline: RunResult[], current: RunResult[]): string[] {
  return [...settingNotes(baseline[0]!, current[0]!), ...runNotes(baseline, current)];
}

function runNotes(baseline: RunResult[], current: RunResult[]): string[] {
  const notes: string[] = [];
  const sides = [['baseline', baseline], ['current', current]] as const;
  // "current (run 3/3)" in a set of several, "current" alone.
  const who = (side: string, set: RunResult[], r: RunResult): string => {
    const repeat = repeatOf(r);
    return set.length > 1 ? `${side} (${repeat ? `run ${repeat.index}/${repeat.count}` : r.startedAt})` : side;
  };
  const interrupted = sides.flatMap(([side, set]) => set.filter((r) => r.interrupted).map((r) => who(side, set, r)));
  if (interrupted.length > 0) notes.push(`interrupted run: ${interrupted.join(' and ')} stopped early`);
  // A failed run's figures are those of the failure (every connection refused, a dead server).
  for (const [side, set] of sides) for (const r of set) if (r.failed) notes.push(`failed run: ${who(side, set, r)}: ${r.failed}`);
  // A repeat set with runs missing (a run that crashed before its result, a file not copied):
  // the set is judged on the runs there are, which the note names (an audit: runs 1 and 2 of a
  // 3-run set compared as "2 vs 3 runs" without a word).
  for (const [side, set] of sides) {
    const repeats = set.map(repeatOf).filter((x) => x !== undefined);
    const count = repeats[0]?.count;
    if (count === undefined || repeats.length !== set.length) continue;
    const have = new Set(repeats.map((x) => x.index));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !have.has(i));
    if (missing.length > 0) notes.push(`${side} repeat set: run${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing, judged on ${set.length} of ${count}`);
  }
  // A merge that warned (a shard missing: its totals are part of the scenario's) is compared as it is.
  for (const [side, set] of sides) {
    for (const r of set) {
      const warnings = mergedOf(r)?.warnings ?? [];
      if (warnings.length > 0) notes.push(`merged result: ${who(side, set, r)}: ${warnings.join('; ')}`);
    }
  }
  return notes;
}

function settingNotes(baseline: RunResult, current: RunResult): string[] {
  const notes: string[] = [];
  const b = baseline.environment;
  const c = current.environment;
  const differs = (label: string, x: unknown, y: unknown): void => {
    if (JSON.stringify(x) !== JSON.stringify(y)) notes.push(`${label} differs: ${show(x)} → ${show(y)}`);
  };
  // Another twstorm may measure differently (a new figure, a fixed recorder): say so first.
  differs('twstorm version', baseline.tool?.version, current.tool?.version);
  differs('scenario name', baseline.scenario.name, current.scenario.name);
  // An HTTP result written before the unit was recorded counted its driver cost per connection.
  differs('driver CPU counted per 1,000', costUnit(baseline), costUnit(current));
  differs('kernel', b.kernel, c.kernel);
  differs('isolation', b.isolation, c.isolation);
  differs('node', b.node, c.node);
  differs('cpus', b.cpus, c.cpus);
  differs('arch', b.arch, c.arch);
  // The load generator itself: the native engine or Node's net (koffi missing on a runner,
  // TWSTORM_NATIVE_SOCKETS=off), io_uring or epoll (a seccomp profile), how many threads (a
  // merge of shards adds theirs). Measured, client-closes-first with close.server=rst: 1,615–2,154
  // conn/s native against 406–670 on net, connect p50 1.5 ms against 21.6 — 15 figures "regressed"
  // and no note said the driver had changed. Only when both results record it: older ones do not.
  const both = (label: string, x: unknown, y: unknown): void => {
    if (x !== undefined && y !== undefined) differs(label, x, y);
  };
  both('engine', b.engine, c.engine);
  both('engine I/O', b.engineIo, c.engineIo);
  both('engine threads', b.threads, c.threads);
  // CONFIG_HZ sets how late a TIME_WAIT ends (2.048 s at 250, 4.096 s at 1000): the TIME_WAIT
  // peak of a long load and when ports come back move with it, on the same kernel version.
  both('kernel timer HZ', b.timerHz, c.timerHz);
  for (const key of [...new Set([...Object.keys(b.sysctls), ...Object.keys(c.sysctls)])].sort()) {
    differs(`sysctl ${key}`, b.sysctls[key] ?? null, c.sysctls[key] ?? null);
  }
  const bs = baseline.scenario as unknown as Record<string, unknown>;
  const cs = current.scenario as unknown as Record<string, unknown>;
  const protocols = new Set([protocolOf(baseline), protocolOf(current)]);
  for (const field of SCENARIO_FIELDS) {
    const reader = READ_BY[field];
    if (reader !== undefined && !protocols.has(reader)) continue;
    differs(`scenario ${field}`, bs[field], cs[field]);
  }
  for (const field of LATER_FIELDS) if (bs[field] !== undefined && cs[field] !== undefined) differs(`scenario ${field}`, bs[field], cs[field]);
  // Through a router, or on one loopback; one client host or several: another network, not another build.
  const topology = (r: RunResult) => (r.scenario as { environment?: { topology?: string } }).environment?.topology ?? 'loopback';
  differs('scenario environment.topology', topology(baseline), topology(current));
  differs('scenario environment.clients', clientHosts(baseline.scenario), clientHosts(current.scenario));
  // A lab's own parts: the router's NAT pool, conntrack limit and timeouts, each kind of host's
  // sysctls (environment.sysctls above reads one client host back), IPv6. Another network: an
  // audit compared a 300-tuple pool against a 100-tuple one, 17 regressions and no note.
  const lab = (r: RunResult): Record<string, unknown> => (r.scenario as { environment?: Record<string, unknown> }).environment ?? {};
  for (const part of ['router', 'client', 'server', 'ipv6']) {
    const [x, y] = [lab(baseline)[part], lab(current)[part]];
    if (x !== undefined && y !== undefined) differs(`scenario environment.${part}`, x, y);
  }
  return notes;
}

const show = (v: unknown): string => (v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
