// What the socket options did: accepts per SO_REUSEPORT listener, linger stalls, data an RST threw away.
import type { RunResult } from '../../result/model.js';
import { capital, int } from '../../util/format.js';
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

export function lingerSentence(result: RunResult): string | null {
  const linger = result.server.stats.linger;
  const client = result.summary.lingerBlockedMs;
  if (!linger && !client) return null;
  const seconds = result.scenario.close.lingerSeconds;
  const blocked = Math.max(linger?.blockedMsMax ?? 0, client?.max ?? 0);
  const lost = result.summary.bytes.lost;
  // close() under linger returns when the data and FIN are acknowledged or the time runs out
  // (sk_stream_wait_close): only a block near the full time ran it out (an audit: 49 ms of a
  // 1 s linger was told as "Linux does not reset … when the linger time runs out").
  const ranOut = blocked >= 0.9 * seconds * 1000;
  return (
    `close() with SO_LINGER ${seconds} s blocked up to ${int(blocked)} ms (on a worker thread, not the event loop); ` +
    (lost > 0
      ? `${int(lost)} response bytes never reached the client.`
      : ranOut
        ? 'afterwards the kernel still delivered every byte: Linux does not reset the connection when the linger time runs out.'
        : 'each returned once its FIN was acknowledged, before the linger time ran out.')
  );
}
