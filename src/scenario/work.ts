// What a scenario's load counts, and how many of them: requests under HTTP (a keep-alive pool
// carries many on few connections), connections otherwise; a restart's resumed connections come
// on top. The progress line, the "load started" note, the stop reason and the driver's cost per
// 1,000 all say it from here.
import type { Scenario } from './schema.js';

export type WorkUnit = 'connections' | 'requests';

export const workUnit = (scenario: Pick<Scenario, 'protocol'>): WorkUnit => (scenario.protocol === 'http' ? 'requests' : 'connections');

/**
 * The count the load stops at (per client host in a routed lab). Tolerant of a scenario read
 * back from a result file, where a block may be missing: NaN then, and the caller words it
 * without a number.
 */
export function loadCount(scenario: Scenario): number {
  const base = workUnit(scenario) === 'requests' ? scenario.http?.requests : scenario.connections;
  return base + (scenario.server?.restart?.resume ?? 0);
}

/**
 * How many copies of the load run at once: in a routed lab each client host runs the scenario's
 * load of its own (environment.clients), with its own ports; elsewhere one. Tolerant of a
 * scenario read back from an older result without the block.
 */
export function clientHosts(scenario: Pick<Scenario, 'environment'>): number {
  const env = scenario.environment as { topology?: string; clients?: number } | undefined;
  return env?.topology === 'routed' ? (env.clients ?? 1) : 1;
}

/**
 * Closed loop: the most connections (under http: requests) in flight at once. A ramp (`stages`)
 * starts from `concurrency` and may climb above it, and the engine makes a slot for its highest
 * target (client-engine.ts), so the peak is the larger of the two. Open loop (`rate` set): the
 * stage targets are rates, and `maxInFlight` bounds what is in flight; this returns `concurrency`.
 */
export function peakConcurrency(scenario: Pick<Scenario, 'rate' | 'concurrency'> & { stages?: readonly { target: number }[] }): number {
  if (scenario.rate !== null && scenario.rate !== undefined) return scenario.concurrency;
  // A result written before stages were recorded had none.
  return Math.max(scenario.concurrency, ...(scenario.stages ?? []).map((s) => Math.ceil(s.target)));
}

/**
 * The undici pool's connection limit (http clients keepalive, connection-close, reset):
 * http.connections, else the closed loop's peak in flight, so a ramp above `concurrency` gets
 * the connections it climbs to (an audit: a ramp to 8 from concurrency 2 held 2 connections).
 */
export function httpPoolConnections(scenario: Pick<Scenario, 'rate' | 'concurrency' | 'http'> & { stages?: readonly { target: number }[] }): number {
  return scenario.http.connections ?? peakConcurrency(scenario);
}

/** Where httpPoolConnections' figure came from, in the words a sentence about the pool uses. */
export function httpPoolSource(scenario: Pick<Scenario, 'rate' | 'http'>): string {
  if (scenario.http.connections !== null) return 'http.connections';
  return scenario.rate !== null && scenario.rate !== undefined ? 'an open loop\'s concurrency, as http.connections is not set' : 'the closed loop\'s peak in flight, as http.connections is not set';
}
