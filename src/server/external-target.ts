// `target:` — a server twstorm did not start and does not stop (isolation: host). The run keeps
// the same handle it has on the bundled server, so the driver and observers need no branch.
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Target } from '../scenario/target.js';
import { listenersOn, listenerText, servesHost, wildcardV6Only } from './listeners.js';
import type { ServerProcess } from './process.js';

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

/**
 * Before the load, whether anything listens where a loopback target points: against a target
 * nobody listens on, every connection is refused, and a run said so only afterwards (an audit:
 * 50 of 50 ECONNREFUSED, then "the run failed"). Read from this namespace's socket table (the
 * host's: a target runs under isolation host), as a user's server.command is awaited, so the
 * server sees no connection and no counter moves. A warning, not a refusal: the refused connect
 * is itself a path worth measuring (a server that is down). null when a listener serves it, or
 * for a remote target, whose table is another machine's.
 */
export async function targetListenerProblem(target: Target): Promise<string | null> {
  if (!target.loopback) return null;
  const hosts = net.isIP(target.host) ? [target.host] : (await dns.lookup(target.host, { all: true }).catch(() => [])).map((a) => a.address);
  const listening = await listenersOn(target.port);
  const v6only = listening.includes('::') && (await wildcardV6Only(target.port, '/proc'));
  if (hosts.some((host) => listening.some((address) => servesHost(address, host, v6only)))) return null;
  if (listening.length === 0) {
    return `NOTHING LISTENS on port ${target.port} of this machine: every connection will be refused (ECONNREFUSED); to load a server, start it first, or give its start command as server.command (without target:).`;
  }
  const where = listening.map((address) => listenerText(address, v6only, target.port)).join(', ');
  return `NOT SERVED: port ${target.port} is listened on at ${where} only, which a client connecting to ${hosts.join(' or ') || target.host} does not reach: every connection will be refused; point target at one of those, or make the server listen on ${target.host}.`;
}
