// What the socket options did: accepts per SO_REUSEPORT listener, linger stalls, data an RST threw away.
import type { RunResult } from '../../result/model.js';
import { int } from '../../util/format.js';
import { capital, lingerSentence } from '../story.js';
import type { Finding } from './types.js';

export function socketsFinding(result: RunResult): Finding | null {
  const notes: string[] = [];
  const perListener = result.server.stats.acceptedPerListener;
  if (perListener && perListener.length > 1) notes.push(`accepts per listening socket: ${perListener.map(int).join(' / ')}`);
  const linger = lingerSentence(result);
  if (linger !== null) notes.push(linger.replace(/\.$/, ''));
  const lost = result.summary.bytes.lost ?? 0;
  if (lost > 0 && linger === null) {
    notes.push(`${int(lost)} response bytes never reached the client: an RST discards what is still unacknowledged`);
  }
  if (notes.length === 0) return null;
  return { rule: 'sockets', label: 'Sockets', text: `${capital(notes.join('; '))}.`, alert: lost > 0 };
}
