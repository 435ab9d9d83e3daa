// Closing with RST (SO_LINGER 0, or the HTTP server's rst policy): no TIME_WAIT, but resets
// the peer sees and data discarded.
import type { RunResult } from '../../result/model.js';
import { kernelCounters } from '../../result/lab.js';
import { int } from '../../util/format.js';
import type { Change } from './types.js';
import { isHttp } from './words.js';
import { closeInForce, ownServer } from '../../scenario/close-semantics.js';

export function rstRule(result: RunResult): Change | null {
  // Every host's: in a routed lab the server host sends the server's resets.
  const rsts = kernelCounters(result)['TcpOutRsts'] ?? 0;
  // The server's side as it is in force: a user's server resets by its own choice, not the policy's.
  const close = closeInForce(result.scenario);
  const resetting = isHttp(result) ? !ownServer(result.scenario) && result.scenario.http.policy === 'rst' : close.client === 'rst' || close.server === 'rst';
  if (rsts === 0 || !resetting) return null;
  const resets = result.summary.serverErrors['ECONNRESET'] ?? 0;
  const peerResets = result.summary.errors['ECONNRESET'] ?? 0;
  const seen = resets + peerResets;
  return {
    rule: 'keep-alive',
    change: isHttp(result)
      ? 'Let the server keep connections open (keep-alive) instead of resetting them'
      : 'Reuse connections (keep-alive) instead of resetting them',
    why:
      `Closing with RST (SO_LINGER 0) ${result.summary.timeWait.peak === 0 ? 'avoided TIME_WAIT by sending' : 'sent'} ${int(rsts)} RSTs` +
      `${seen > 0 ? `, and the peer saw ${int(seen)} ECONNRESET errors` : ''}; an RST discards unsent data. ` +
      `Fewer, longer-lived connections avoid both TIME_WAIT and the resets.`,
  };
}
