// Plain sentences on what a run did, derived from the measured figures only: where TIME_WAIT
// actually landed, whether the port range ran out, what the kernel counted. Nothing here
// repeats what the scenario intended unless the measurements bear it out. The terminal summary
// prints them all; the HTML verdict (verdict.ts) reuses the pieces it needs.
import type { RunResult } from '../result/model.js';
import { exhaustedAfterMs, timeWaitSide } from '../result/figures.js';
import { firstCloserMode } from '../scenario/close-semantics.js';
import { reopenedWords } from './verdict/time-wait.js';
import { int, seconds } from '../util/format.js';

/** "HTTP client reset, server policy wait-client; 500 sockets sat in TIME_WAIT on the client at the peak." */
function httpCloseSentence(result: RunResult): string {
  const { summary, scenario } = result;
  const tw = summary.timeWait;
  const setup = `HTTP client "${scenario.http.client}", server policy "${scenario.http.policy}"`;
  const side = timeWaitSide(tw);
  if (side === 'none') {
    const rsts = summary.kernel['TcpOutRsts'] ?? 0;
    return `${setup}; no socket sat in TIME_WAIT` + (rsts > 0 ? `, and the kernel sent ${int(rsts)} RSTs instead.` : '.');
  }
  const where =
    side === 'both' ? `on both sides (client ${int(tw.peakClient)}, server ${int(tw.peakServer)})` : `on the ${side}, which closed first`;
  return `${setup}; ${int(tw.peak)} sockets sat in TIME_WAIT ${where} at the peak.`;
}

/** "20,000 requests, 20,000 ok, over 64 connections: 312.5 requests per connection, 9,800 requests/s." */
export function httpSentence(result: RunResult): string | null {
  const r = result.summary.requests;
  if (result.scenario.protocol !== 'http' || r === undefined) return null;
  const connections = result.summary.connections.established;
  return (
    `${int(r.total)} requests, ${int(r.ok)} ok, over ${int(connections)} connection${connections === 1 ? '' : 's'}: ` +
    `${r.perConnection} request${r.perConnection === 1 ? '' : 's'} per connection, ${int(r.ratePerSec)} requests/s.`
  );
}

/** "The client closed first; 300 sockets sat in TIME_WAIT on the client at the peak." */
export function closeSentence(result: RunResult): string {
  if (result.scenario.protocol === 'http') return httpCloseSentence(result);
  const { summary, scenario } = result;
  const tw = summary.timeWait;
  const closer = scenario.close.first === 'both' ? 'both sides closed at once' : `the ${scenario.close.first} closed first`;
  const how = firstCloserMode(scenario.close) === 'rst' ? ' with RST (SO_LINGER 0)' : '';
  const side = timeWaitSide(tw);
  if (side === 'none') {
    const rsts = summary.kernel['TcpOutRsts'] ?? 0;
    return (
      `${capital(closer)}${how}; no socket sat in TIME_WAIT` +
      (rsts > 0 ? `, and the kernel sent ${int(rsts)} RSTs instead.` : '.')
    );
  }
  const where =
    side === 'both'
      ? `on both sides (client ${int(tw.peakClient)}, server ${int(tw.peakServer)})`
      : `on the ${side}`;
  return `${capital(closer)}${how}; ${int(tw.peak)} sockets sat in TIME_WAIT ${where} at the peak.`;
}

/** Client ports reused while the server held their 4-tuple in TIME_WAIT (see verdict/time-wait.ts). */
export function serverReopenSentence(result: RunResult): string | null {
  const words = reopenedWords(result).trim();
  return words === '' ? null : capital(words);
}

export function exhaustionSentence(result: RunResult): string | null {
  const { summary } = result;
  const after = exhaustedAfterMs(result);
  if (after === null) return null;
  const range = summary.ports.range;
  const notAvail = summary.errors['EADDRNOTAVAIL'] ?? 0;
  // Bind-before-connect runs out at bind(): EADDRINUSE, as every port is held.
  const bindInUse = result.errors['EADDRINUSE']?.byPhase.bind ?? 0;
  const failures = [
    notAvail > 0 ? `${int(notAvail)} connects failed with EADDRNOTAVAIL` : '',
    bindInUse > 0 ? `${int(bindInUse)} binds failed with EADDRINUSE` : '',
  ].filter(Boolean);
  return (
    `The ephemeral port range${range ? ` (${int(range.size)} ports, ${range.low}–${range.high})` : ''} ran out after ` +
    `${seconds(after)} of load: ${failures.join(' and ')}.`
  );
}

export function restartSentence(result: RunResult): string | null {
  const r = result.summary.restart;
  if (!r) return null;
  const inUse = r.failures['EADDRINUSE'] ?? 0;
  if (r.ok) {
    return inUse > 0
      ? `The restarted server could listen again only after ${int(inUse)} EADDRINUSE failures (${seconds(r.unavailableMs)}).`
      : `The restarted server listened again at once (${int(r.unavailableMs)} ms): SO_REUSEADDR let it bind over the port's TIME_WAIT.`;
  }
  return (
    `The restarted server could not listen for the whole ${seconds(r.unavailableMs)}: ${int(r.attempts)} binds failed ` +
    `(${Object.entries(r.failures).map(([code, n]) => `${code} ${int(n)}`).join(', ')})` +
    (inUse > 0 ? ', because TIME_WAIT sockets hold its port and the listener had no SO_REUSEADDR; they last 60 s.' : '.')
  );
}

export function lingerSentence(result: RunResult): string | null {
  const linger = result.server.stats.linger;
  const client = result.summary.lingerBlockedMs;
  if (!linger && !client) return null;
  const seconds = result.scenario.close.lingerSeconds;
  const blocked = Math.max(linger?.blockedMsMax ?? 0, client?.max ?? 0);
  const lost = result.summary.bytes.lost;
  return (
    `close() with SO_LINGER ${seconds} s blocked up to ${int(blocked)} ms (on a worker thread, not the event loop); ` +
    (lost > 0
      ? `${int(lost)} response bytes never reached the client.`
      : 'afterwards the kernel still delivered every byte: Linux does not reset the connection when the linger time runs out.')
  );
}

export function recycledSentence(result: RunResult): string | null {
  const recycled = result.summary.kernel['TcpExtTWRecycled'] ?? 0;
  if (recycled === 0) return null;
  return `The kernel reused ${int(recycled)} ports still in TIME_WAIT (TcpExtTWRecycled; tcp_tw_reuse or timestamps).`;
}

export function overflowSentence(result: RunResult): string | null {
  const overflow = result.summary.kernel['TcpExtTCPTimeWaitOverflow'] ?? 0;
  if (overflow === 0) return null;
  return `${int(overflow)} TIME_WAIT sockets were destroyed at once because tcp_max_tw_buckets was reached.`;
}

export function otherErrorsSentence(result: RunResult): string | null {
  const otherErrors = Object.entries(result.summary.errors).filter(([code]) => code !== 'EADDRNOTAVAIL');
  if (otherErrors.length === 0) return null;
  return `Other client errors: ${otherErrors.map(([code, n]) => `${code} ${int(n)}`).join(', ')}.`;
}

export const INTERRUPTED_SENTENCE = 'The run was interrupted: these figures cover only the part that ran.';

export function story(result: RunResult): string[] {
  const lines = [
    closeSentence(result),
    httpSentence(result),
    serverReopenSentence(result),
    restartSentence(result),
    lingerSentence(result),
    exhaustionSentence(result),
    recycledSentence(result),
    overflowSentence(result),
    otherErrorsSentence(result),
    result.interrupted ? INTERRUPTED_SENTENCE : null,
  ];
  return lines.filter((line): line is string => line !== null);
}

export const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
