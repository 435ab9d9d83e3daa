// Who closed first: what the scenario asked for, and where that puts TIME_WAIT (asked of the
// one module that decides it).
import { CUT_AT_STOP } from '../../driver/shape/bounds.js';
import type { RunResult } from '../../result/model.js';
import { closeInForce, firstCloserMode, httpServerWords, ownServer, timeWaitLanding } from '../../scenario/close-semantics.js';
import { timeWaitBeforeLoad, timeWaitSide } from '../../result/figures.js';
import { kernelCounters } from '../../result/lab.js';
import { capital, int, seconds } from '../../util/format.js';
import type { Finding } from './types.js';
import { expectationWords, isHttp } from './words.js';
import { closeWaitSentence } from './close-wait.js';

/** Who sends the first FIN in an HTTP run, in words, from the client mode and the server policy. */
function httpCloserWords(result: RunResult): string {
  const { client, policy, closeAfter } = result.scenario.http;
  if (ownServer(result.scenario)) return timeWaitLanding(result.scenario).why;
  if (policy === 'rst') return 'the server resets every connection after its response (SO_LINGER 0)';
  if (policy === 'close-after') {
    return `the server answers with Connection: close after ${int(closeAfter)} request${closeAfter === 1 ? '' : 's'} on a connection and closes first`;
  }
  if (policy === 'keepalive' && (client === 'reset' || client === 'connection-close')) {
    return 'the client asks for Connection: close, the server honours it and undici closes after the response too';
  }
  const server = policy === 'wait-client' ? 'the server never closes first' : 'the server keeps connections open';
  switch (client) {
    case 'reset':
      return `the client closes after every response (undici reset: true) and ${server}`;
    case 'connection-close':
      return `the client sends Connection: close and closes after the response, and ${server}`;
    case 'agent-per-request':
      return `the client closes a new undici Client after each request, and ${server}`;
    case 'keepalive':
      return `the client keeps its pooled connections and closes them when the pool is closed at the end, and ${server}`;
    case 'raw':
      // Who sends the first FIN depends on the server too (close-semantics.ts decides it).
      return timeWaitLanding(result.scenario).why;
  }
}

export function closerFinding(result: RunResult): Finding {
  if (isHttp(result)) {
    return {
      rule: 'closer',
      label: 'Who closed first',
      text: `The scenario has HTTP client "${result.scenario.http.client}" and ${httpServerWords(result.scenario)}: ${httpCloserWords(result)}, ${expectationWords(timeWaitLanding(result.scenario))}.`,
      alert: false,
    };
  }
  const own = ownServer(result.scenario);
  const close = closeInForce(result.scenario);
  const mode = (m: typeof close.server): string =>
    m === 'rst' ? 'RST (SO_LINGER 0)' : m === 'linger' ? `SO_LINGER ${close.lingerSeconds} s` : m === 'never' ? 'no close() at all' : 'FIN';
  const asked =
    close.first === 'both'
      ? `both sides close at once (client ${mode(close.client)}, server ${mode(close.server)})`
      : `the ${close.first} close first with ${mode(firstCloserMode(close))}` +
        (close[close.first === 'client' ? 'server' : 'client'] === 'rst'
          ? ` and the ${close.first === 'client' ? 'server' : 'client'} answer with RST`
          : close.server === 'never'
            ? ' and the server never close its side (it reads the FIN and leaks the socket)'
            : '');
  const expectation = expectationWords(timeWaitLanding(result.scenario));
  const against = own ? ' against your own server (its close taken to be a FIN)' : '';
  return { rule: 'closer', label: 'Who closed first', text: `The scenario has ${asked}${against}, ${expectation}.`, alert: false };
}

/**
 * Where TIME_WAIT sat when both sides held some: "on both sides (client 500, server 700)",
 * or, when one side held at least 90 %, "on both sides, most on the server (client 2, server
 * 4,596)": a reader of "both sides" alone took it for an even split.
 */
function bothSidesWords(tw: RunResult['summary']['timeWait']): string {
  const most = dominantSide(tw);
  return `on both sides${most === null ? '' : `, most on the ${most}`} (client ${int(tw.peakClient)}, server ${int(tw.peakServer)})`;
}

/** The side holding at least 90 % of a two-sided TIME_WAIT peak: its FIN won (nearly) every race; null for a real mix. */
function dominantSide(tw: RunResult['summary']['timeWait']): 'client' | 'server' | null {
  const total = tw.peakClient + tw.peakServer;
  if (total === 0) return null;
  if (tw.peakClient >= 0.9 * total) return 'client';
  if (tw.peakServer >= 0.9 * total) return 'server';
  return null;
}

/** "HTTP client reset, server policy wait-client; 500 sockets sat in TIME_WAIT on the client at the peak." */
function httpCloseSentence(result: RunResult): string {
  const { summary, scenario } = result;
  const tw = summary.timeWait;
  const setup = `HTTP client "${scenario.http.client}", ${httpServerWords(scenario)}`;
  const side = timeWaitSide(tw);
  if (side === 'none') {
    return `${setup}; no socket sat in TIME_WAIT${rstWords(result)}`;
  }
  // "…on the client at the peak: the client closed first" (it read "on the client, which
  // closed first at the peak", as if the close, not the count, were at the peak).
  if (side === 'both') return `${setup}; ${int(tw.peak)} sockets sat in TIME_WAIT ${bothSidesWords(tw)} at the peak.`;
  return `${setup}; ${int(tw.peak)} sockets sat in TIME_WAIT on the ${side} at the peak: the ${side} closed first.`;
}

/**
 * "The client closed first; 300 sockets sat in TIME_WAIT on the client at the peak." Who closed
 * is read from where TIME_WAIT landed (the active closer keeps it, RFC 793 §3.5), so the
 * sentence says what was measured: when that is not where the scenario's close puts it (the
 * FINs of a simultaneous close rarely cross on loopback; an external server closes first on its
 * own), it says both.
 */
export function closeSentence(result: RunResult): string {
  const sentence = closeOnlySentence(result);
  // On the host network the census counts the host's sockets too: say how many of the peak's
  // could not be this run's, so its count is not read as the run's own.
  const before = timeWaitBeforeLoad(result);
  if (before === 0 || result.summary.connections.established === 0) return sentence;
  return `${sentence} On the host network the census counts every host socket: ${int(before)} ${before === 1 ? 'was' : 'were'} in TIME_WAIT before the load began.`;
}

function closeOnlySentence(result: RunResult): string {
  // No handshake completed, so nothing was closed: the RSTs of a refused connect (the kernel
  // answers a SYN to a closed port with one, RFC 793 §3.4) must not read as a close.
  if (result.summary.connections.established === 0) {
    const errors = Object.entries(result.summary.errors)
      .filter(([, n]) => n > 0)
      .sort(([, a], [, b]) => b - a)
      .map(([code, n]) => `${code} ${int(n)}`);
    return `No connection was established${errors.length > 0 ? ` (${errors.join(', ')})` : ''}, so nothing was closed and no TIME_WAIT was made.`;
  }
  if (result.scenario.protocol === 'http') return httpCloseSentence(result);
  const { summary, scenario } = result;
  const tw = summary.timeWait;
  const side = timeWaitSide(tw);
  const predicted = timeWaitLanding(scenario);
  const how = firstCloserMode(closeInForce(scenario)) === 'rst' ? ' with RST (SO_LINGER 0)' : '';
  if (side === 'client' || side === 'server' || side === 'both') {
    const measured = side === 'both' ? dominantSide(tw) : side;
    // An RST close predicts none; TIME_WAIT on the side asked to close first is then no other FIN "going first".
    // The side the policy names, exactly: both sides asked to close at once is no surprise
    // (landedAsPredicted), but which FIN went first on most connections is worth a sentence.
    if (measured !== null && !predicted.race && measured !== predicted.side && !(predicted.side === 'none' && measured === scenario.close.first)) {
      // Your own server is asked nothing: close.first only says what the client does (wait for
      // the server's FIN, or close at once expecting the server's at the same time).
      const yours = ownServer(scenario);
      const gaveUp = result.errors['ETIMEDOUT']?.byPhase.close ?? 0;
      if (yours && scenario.close.first === 'server' && measured === 'client' && gaveUp > 0) {
        // An audit: an echo server that never closes read "asked the server to close first, but
        // the client's FIN went first", and the 10 s each connection waited went unexplained.
        const idle = (scenario.client as { idleTimeout?: number }).idleTimeout;
        return (
          `The client waited for your own server to close first, but it did not: on ${int(gaveUp)} connection${gaveUp === 1 ? '' : 's'} the client gave up ` +
          `after client.idleTimeout${idle !== undefined ? ` (${seconds(idle)})` : ''} (ETIMEDOUT) and closed first itself: ${int(tw.peakClient)} sockets sat in TIME_WAIT on the client at the peak.`
        );
      }
      const asked =
        scenario.close.first === 'both'
          ? yours
            ? 'The client closed at once, expecting your own server to close at the same time'
            : 'Both sides were asked to close at once'
          : yours && scenario.close.first === 'server'
            ? 'The client waited for your own server to close first'
            : `The scenario asked the ${scenario.close.first} to close first`;
      // With both sides holding some, the measured side's own peak, not the total's (a
      // simultaneous close read "4,649 sockets sat in TIME_WAIT on the server" where the server held 4,288).
      if (side === 'both') {
        const [held, other] = measured === 'server' ? [tw.peakServer, tw.peakClient] : [tw.peakClient, tw.peakServer];
        const otherSide = measured === 'server' ? 'client' : 'server';
        return `${asked}${how}, but the ${measured}'s FIN went first on most connections: ${int(held)} sockets sat in TIME_WAIT on the ${measured} at the peak, and ${int(other)} on the ${otherSide}.`;
      }
      return `${asked}${how}, but the ${measured}'s FIN went first: ${int(tw.peak)} sockets sat in TIME_WAIT on the ${measured} at the peak.`;
    }
  }
  const closer = scenario.close.first === 'both' ? 'both sides closed at once' : `the ${scenario.close.first} closed first`;
  const leak = closeWaitSentence(result);
  if (side === 'none' && leak !== null) return `${capital(closer)}${how}; ${leak}`;
  if (side === 'none') {
    return `${capital(closer)}${how}; no socket sat in TIME_WAIT${rstWords(result)}`;
  }
  const where = side === 'both' ? bothSidesWords(tw) : `on the ${side}`;
  return `${capital(closer)}${how}; ${int(tw.peak)} sockets sat in TIME_WAIT ${where} at the peak.`;
}

/**
 * ", and the kernel sent 64 RSTs instead." — and when the run itself cut connections at its
 * stop (CUT_AT_STOP: a Ctrl-C's or gracefulStop's), that those were its own: a close with unread
 * data is an RST (tcp_close), which an audit's interrupted run read as the close policy's doing.
 */
function rstWords(result: RunResult): string {
  const rsts = kernelCounters(result)['TcpOutRsts'] ?? 0;
  if (rsts === 0) return '.';
  const cut = result.summary.errors[CUT_AT_STOP] ?? 0;
  const unit = result.scenario.protocol === 'http' ? 'request' : 'connection';
  const why = cut > 0 ? ` (the run cut ${int(cut)} ${unit}${cut === 1 ? '' : 's'} still open at its stop: a close with unread data is an RST)` : '';
  return `, and the kernel sent ${int(rsts)} RSTs instead${why}.`;
}
