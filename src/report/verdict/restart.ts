// A server restart over its port's TIME_WAIT: whether the new listener could bind, and the
// listener option (SO_REUSEADDR) that lets it.
import type { RunResult } from '../../result/model.js';
import { int } from '../../util/format.js';
import { restartSentence } from '../story.js';
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
