// Plain sentences on what a run did, derived from the measured figures only: where TIME_WAIT
// actually landed, whether the port range ran out, what the kernel counted. Nothing here
// repeats what the scenario intended unless the measurements bear it out. The terminal summary
// prints them all. The sentences the verdict shares (who closed, restart, linger, interrupted)
// live with their verdict rule in verdict/ and are imported from there.
import type { RunResult } from '../result/model.js';
import { clientPortPool, exhaustedAfterMs, portShortageFailures } from '../result/figures.js';
import { kernelCounters } from '../result/lab.js';
import { firstToRunOut, portShortageWords } from './verdict/words.js';
import { reopenedWords } from './verdict/time-wait.js';
import { closeSentence } from './verdict/close.js';
import { restartSentence } from './verdict/restart.js';
import { lingerSentence } from './verdict/sockets.js';
import { INTERRUPTED_SENTENCE } from './verdict/interrupted.js';
import { connectCliffSentence } from './verdict/connect-cliff.js';
import { timeWaitDurationFinding } from './verdict/time-wait-duration.js';
import { finWait2Finding } from './verdict/fin-wait2.js';
import { twReuseFinding } from './verdict/tw-reuse.js';
import { faultsFinding } from './verdict/faults.js';
import { assassinationFinding } from './verdict/tw-assassination.js';
import { routerFinding } from './verdict/router.js';
import { scheduleFinding } from './verdict/schedule.js';
import type { Finding } from './verdict/types.js';
import { capital, int, seconds } from '../util/format.js';


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


/** Client ports reused while the server held their 4-tuple in TIME_WAIT (see verdict/time-wait.ts). */
export function serverReopenSentence(result: RunResult): string | null {
  const words = reopenedWords(result).trim();
  return words === '' ? null : capital(words);
}

export function exhaustionSentence(result: RunResult): string | null {
  const after = exhaustedAfterMs(result);
  if (after === null) return null;
  const { range, named } = clientPortPool(result);
  const what = named && range
    ? `The ${int(range.size)} ports the client names (client.localPorts ${range.low}–${range.high})`
    : `The ephemeral port range${range ? ` (${int(range.size)} ports, ${range.low}–${range.high})` : ''}`;
  return (
    `${what} ran out after ` +
    `${seconds(after)} of load${firstToRunOut(result)}: ${portShortageWords(result)}.`
  );
}



export function overflowSentence(result: RunResult): string | null {
  // Every host's: a routed lab's server host overflows its own table when the server closes first.
  const overflow = kernelCounters(result)['TcpExtTCPTimeWaitOverflow'] ?? 0;
  if (overflow === 0) return null;
  return `${int(overflow)} connections skipped TIME_WAIT: at tcp_max_tw_buckets the kernel makes no TIME_WAIT socket and closes at once.`;
}

export function otherErrorsSentence(result: RunResult): string | null {
  // No connection at all: the close sentence has named every error already (a newcomer audit:
  // "No connection was established (ECONNREFUSED 50)", then "Other client errors: ECONNREFUSED 50").
  if (result.summary.connections.established === 0) return null;
  // The shortage's own failures are told by the exhaustion sentence: not again as "other".
  const { connectNotAvail, bindInUse } = portShortageFailures(result);
  const shortage: Record<string, number> = { EADDRNOTAVAIL: connectNotAvail, EADDRINUSE: bindInUse };
  const otherErrors = Object.entries(result.summary.errors)
    .map(([code, n]): [string, number] => [code, n - (shortage[code] ?? 0)])
    .filter(([, n]) => n > 0);
  if (otherErrors.length === 0) return null;
  return `Other client errors: ${otherErrors.map(([code, n]) => `${code} ${int(n)}`).join(', ')}.`;
}


/**
 * A verdict finding's own words (no second wording); one the report marks CHECK starts with
 * it here too (an audit: "0 final ACKs … dropped" read as plain news in the terminal).
 */
export function findingText(finding: Finding | null): string | null {
  if (finding === null) return null;
  return finding.alert ? `CHECK: ${finding.text}` : finding.text;
}

export function story(result: RunResult): string[] {
  const lines = [
    closeSentence(result),
    httpSentence(result),
    // An open loop short of its schedule: made fewer than were due (the verdict's own words).
    findingText(scheduleFinding(result)),
    serverReopenSentence(result),
    restartSentence(result),
    lingerSentence(result),
    exhaustionSentence(result),
    connectCliffSentence(result),
    // Ports taken over from TIME_WAIT, or reuse asked for that did not happen: the verdict
    // rule's own words, so the terminal and the report say it once and the same way.
    findingText(twReuseFinding(result)),
    findingText(timeWaitDurationFinding(result)),
    findingText(finWait2Finding(result)),
    // What the scenario's fault rules did on the wire, and TIME_WAITs an RST killed (RFC 1337).
    findingText(faultsFinding(result)),
    findingText(assassinationFinding(result)),
    // A routed lab's router that refused flows (its SNAT pool, its conntrack table).
    findingText(routerFinding(result)),
    overflowSentence(result),
    otherErrorsSentence(result),
    result.interrupted ? INTERRUPTED_SENTENCE : null,
  ];
  return lines.filter((line): line is string => line !== null);
}


export { closeSentence, restartSentence, lingerSentence, INTERRUPTED_SENTENCE };
