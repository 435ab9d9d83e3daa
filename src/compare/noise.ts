// Why two runs' numbers may differ for reasons other than the code under test: a different
// kernel (TCP and port allocation change between versions), different sysctls, host instead
// of a namespace (host sockets counted too), another Node, another machine size, or a
// different scenario (more connections, another rate). Each difference is one note.
import type { RunResult } from '../result/model.js';
import { costUnit } from '../result/figures.js';
import { clientHosts } from '../scenario/work.js';

const SCENARIO_FIELDS = ['protocol', 'connections', 'duration', 'concurrency', 'rate', 'maxInFlight', 'payload', 'close', 'http', 'server'] as const;
/** Compared only when both results carry them: older results lack them, and a default would read as a change. */
const LATER_FIELDS = ['stages', 'client', 'target'] as const;

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

export function environmentNotes(baseline: RunResult, current: RunResult): string[] {
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
  const both = (flag: (r: RunResult) => unknown): string =>
    [flag(baseline) ? 'baseline' : '', flag(current) ? 'current' : ''].filter(Boolean).join(' and ');
  if (baseline.interrupted || current.interrupted) notes.push(`interrupted run: ${both((r) => r.interrupted)} stopped early`);
  // A failed run's figures are those of the failure (every connection refused, a dead server).
  for (const [side, r] of [['baseline', baseline], ['current', current]] as const) if (r.failed) notes.push(`failed run: ${side}: ${r.failed}`);
  return notes;
}

const show = (v: unknown): string => (v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
