// A server restart over its port's TIME_WAIT: whether the new listener could bind, and the
// listener option (SO_REUSEADDR) that lets it.
import type { RunResult } from '../../result/model.js';
import { int, seconds } from '../../util/format.js';
import type { Change, Finding } from './types.js';

export function restartFinding(result: RunResult): Finding | null {
  const text = restartSentence(result);
  if (text === null) return null;
  return { rule: 'restart', label: 'Restart', text, alert: result.summary.restart?.ok === false };
}

export function reuseAddrRule(result: RunResult): Change | null {
  const inUse = result.summary.serverErrors['EADDRINUSE'] ?? 0;
  if (inUse === 0) return null;
  return {
    rule: 'reuseaddr-listener',
    change: 'Set SO_REUSEADDR on the listener',
    why:
      `The server's bind failed ${int(inUse)} times with EADDRINUSE while ${int(result.summary.timeWait.peakServer)} ` +
      `connections on its port sat in TIME_WAIT; SO_REUSEADDR lets a listener bind over them.`,
  };
}

export function restartSentence(result: RunResult): string | null {
  const r = result.summary.restart;
  if (!r) return null;
  const inUse = r.failures['EADDRINUSE'] ?? 0;
  if (r.ok) {
    if (inUse > 0) return `The restarted server could listen again only after ${int(inUse)} EADDRINUSE failures (${seconds(r.unavailableMs)}).`;
    const held = result.summary.timeWait.peakServer;
    const atOnce = `The restarted server listened again at once (${int(r.unavailableMs)} ms)`;
    // Credit SO_REUSEADDR only where there was TIME_WAIT to bind over and the listener had it:
    // with the client closing first the server's port holds none, and any listener binds.
    if (held === 0) return `${atOnce}: no TIME_WAIT held its port (the server closed no connection first).`;
    return result.scenario.server.reuseAddr
      ? `${atOnce}: SO_REUSEADDR let it bind over the ${int(held)} TIME_WAIT sockets on its port.`
      : `${atOnce}, over ${int(held)} TIME_WAIT sockets on its port.`;
  }
  return (
    `The restarted server could not listen for the whole ${seconds(r.unavailableMs)}: ${int(r.attempts)} binds failed ` +
    `(${Object.entries(r.failures).map(([code, n]) => `${code} ${int(n)}`).join(', ')})` +
    (inUse > 0 ? ', because TIME_WAIT sockets hold its port and the listener had no SO_REUSEADDR; they last 60 s.' : '.')
  );
}
