// `target:` — a server twstorm did not start and does not stop (isolation: host). The run keeps
// the same handle it has on the bundled server, so the driver and observers need no branch.
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Target } from '../scenario/target.js';
import { endpoint } from '../util/format.js';
import { listenersOn, servesHost, wildcardV6Only } from './listeners.js';
import type { ServerProcess } from './process.js';
import { ServerStartError } from './process.js';

export function externalTarget(port: number): ServerProcess {
  const none = () => ({ accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: {} });
  return {
    pid: -1,
    port,
    ports: [port],
    stats: () => Promise.resolve(none()),
    restart: () => Promise.reject(new Error('the restart phase needs the bundled server')),
    stop: () => Promise.resolve(none()),
    // Not ours to watch: a target that goes away shows as connect errors, counted as measured.
    died: new Promise<string>(() => undefined),
  };
}

/** Nothing listens where a loopback target says its server is. */
export class TargetNotListeningError extends ServerStartError {}

/**
 * Before the load, whether anything listens where a loopback target points: a target nobody
 * listens on ran the whole load as ECONNREFUSED, recorded as if measured (an audit: 50 of 50
 * refused, then "the run failed"). Read from this namespace's socket table (the host's: a target
 * runs under isolation host), as a user's server.command is awaited, so the server sees no
 * connection and no counter moves. A remote target is another machine's table: its refusals are
 * what the run measures.
 */
export async function checkTargetListens(target: Target): Promise<void> {
  if (!target.loopback) return;
  const hosts = net.isIP(target.host) ? [target.host] : (await dns.lookup(target.host, { all: true }).catch(() => [])).map((a) => a.address);
  const listening = await listenersOn(target.port);
  const v6only = listening.includes('::') && (await wildcardV6Only(target.port, '/proc'));
  if (hosts.some((host) => listening.some((address) => servesHost(address, host, v6only)))) return;
  const fix = 'start your server first, or give its start command as server.command (without target:) so the run starts it';
  if (listening.length === 0) {
    throw new TargetNotListeningError('ECONNREFUSED', `target ${target.text}: nothing listens on port ${target.port} of this machine, so every connection would be refused; ${fix}`);
  }
  const where = listening.map((address) => `${endpoint(address, target.port)}${address === '::' && v6only ? ' (IPv6 only)' : ''}`).join(', ');
  throw new TargetNotListeningError(
    'ECONNREFUSED',
    `target ${target.text}: port ${target.port} is served on ${where} only, which a client connecting to ${hosts.join(' or ') || target.host} does not reach; point target at one of those, or make the server listen on ${target.host}`,
  );
}
