// The verdict: what a run showed, in plain words, and the one change that would help most.
// Every statement is derived from measured figures (census, counters, errors, port tracker);
// the scenario is quoted only as "what was asked", and checked against what happened.
// The sentences shared with the terminal summary come from story.ts.
import type { RunResult } from '../metrics/result.js';
import { int, ms, seconds } from '../util/format.js';
import {
  TIME_WAIT_SECONDS,
  WIDEST_PORT_RANGE,
  connectionRate,
  peakClientPortsHeld,
  sysctlNumber,
  timeWaitPeakAtMs,
} from './figures.js';
import {
  INTERRUPTED_SENTENCE,
  capital,
  closeSentence,
  closerMode,
  expectedHttpTimeWaitSide,
  lingerSentence,
  restartSentence,
  timeWaitSide,
  type TimeWaitSide,
} from './story.js';

export type FindingRule =
  | 'closer'
  | 'requests'
  | 'time-wait'
  | 'ports'
  | 'errors'
  | 'restart'
  | 'sockets'
  | 'kernel'
  | 'isolation'
  | 'interrupted';

export interface Finding {
  rule: FindingRule;
  /** Short label shown beside the text ("TIME_WAIT", "Ports"). */
  label: string;
  text: string;
  /** True when the finding is a problem or a surprise (the page marks it with a word, not only colour). */
  alert: boolean;
}

export type ChangeRule =
  | 'reuseaddr-listener'
  | 'widen-port-range'
  | 'server-closes-first'
  | 'keep-alive'
  | 'listen-backlog'
  | 'none';

export interface Change {
  rule: ChangeRule;
  /** The change, imperative: "Reuse connections (keep-alive)". */
  change: string;
  /** Why, with the figures that chose it. */
  why: string;
}

export interface Verdict {
  /** One sentence: who closed and where TIME_WAIT landed (same as the terminal's first line). */
  headline: string;
  findings: Finding[];
  change: Change;
}

export function verdict(result: RunResult): Verdict {
  const findings = [
    closerFinding(result),
    requestsFinding(result),
    timeWaitFinding(result),
    portsFinding(result),
    errorsFinding(result),
    restartFinding(result),
    socketsFinding(result),
    kernelFinding(result),
    isolationFinding(result),
    result.interrupted ? { rule: 'interrupted' as const, label: 'Interrupted', text: INTERRUPTED_SENTENCE, alert: true } : null,
  ].filter((f): f is Finding => f !== null);
  return { headline: closeSentence(result), findings, change: oneChange(result) };
}

/**
 * Where the scenario's close policy should put TIME_WAIT, by the TCP rules in DESIGN.md. HTTP
 * runs ignore `close`: their client mode and server policy decide who sends the first FIN.
 */
export function expectedTimeWaitSide(result: RunResult): TimeWaitSide {
  if (isHttp(result)) return expectedHttpTimeWaitSide(result.scenario);
  const close = result.scenario.close;
  const bothFin = close.client === 'fin' && close.server === 'fin';
  // TIME_WAIT needs a FIN from each side: an RST from either one (the closer aborting, or the
  // other side answering the FIN with an RST) ends both sockets without it.
  if (!bothFin) return 'none';
  return close.first;
}

const isHttp = (result: RunResult): boolean => result.scenario.protocol === 'http';

/**
 * Is the measured side what the close policy predicts? An HTTP "both" is a race between two
 * FINs (the server honouring `Connection: close`, undici closing after such a response), so
 * any side at all is what it predicts; only no TIME_WAIT would be a surprise.
 */
function asExpected(result: RunResult, side: TimeWaitSide, expected: TimeWaitSide): boolean {
  if (isHttp(result) && expected === 'both') return side !== 'none';
  return side === expected;
}

function expectationWords(result: RunResult, expected: TimeWaitSide): string {
  if (expected === 'none') return 'so no TIME_WAIT is expected, RSTs instead';
  if (expected === 'both') {
    return isHttp(result) ? 'so the FINs race and TIME_WAIT may land on either side, or both' : 'so TIME_WAIT is expected on both sides';
  }
  return `so TIME_WAIT is expected on the ${expected}`;
}

/** Who sends the first FIN in an HTTP run, in words, from the client mode and the server policy. */
function httpCloserWords(result: RunResult): string {
  const { client, policy, closeAfter } = result.scenario.http;
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
    case 'raw': {
      const n = result.scenario.http.requestsPerConnection;
      return `the client (raw) closes after ${n === 1 ? 'each request (Connection: close)' : `${int(n)} requests on a connection`}, and ${server}`;
    }
  }
}

function closerFinding(result: RunResult): Finding {
  if (isHttp(result)) {
    const { client, policy } = result.scenario.http;
    return {
      rule: 'closer',
      label: 'Who closed first',
      text: `The scenario has HTTP client "${client}" and server policy "${policy}": ${httpCloserWords(result)}, ${expectationWords(result, expectedTimeWaitSide(result))}.`,
      alert: false,
    };
  }
  const close = result.scenario.close;
  const mode = (m: typeof close.client): string =>
    m === 'rst' ? 'RST (SO_LINGER 0)' : m === 'linger' ? `SO_LINGER ${close.lingerSeconds} s` : 'FIN';
  const asked =
    close.first === 'both'
      ? `both sides close at once (client ${mode(close.client)}, server ${mode(close.server)})`
      : `the ${close.first} close first with ${mode(closerMode(result))}` +
        (close[close.first === 'client' ? 'server' : 'client'] === 'rst'
          ? ` and the ${close.first === 'client' ? 'server' : 'client'} answer with RST`
          : '');
  const expectation = expectationWords(result, expectedTimeWaitSide(result));
  return { rule: 'closer', label: 'Who closed first', text: `The scenario has ${asked}, ${expectation}.`, alert: false };
}

/** HTTP only: how many requests each connection carried, which is what keep-alive is about. */
function requestsFinding(result: RunResult): Finding | null {
  const r = result.summary.requests;
  if (!isHttp(result) || r === undefined) return null;
  const connections = result.summary.connections.established;
  const reuse =
    connections === 0
      ? 'no connection was established'
      : r.perConnection <= 1
        ? `${int(connections)} connection${connections === 1 ? '' : 's'}: every request opened its own connection`
        : `${int(connections)} connection${connections === 1 ? '' : 's'}: ${r.perConnection} requests per connection`;
  return {
    rule: 'requests',
    label: 'Requests',
    text: `${int(r.total)} sent, ${int(r.ok)} ok, ${int(r.failed)} failed, ${int(r.ratePerSec)} ok/s, over ${reuse}.`,
    alert: r.failed > 0,
  };
}

function timeWaitFinding(result: RunResult): Finding {
  const tw = result.summary.timeWait;
  const side = timeWaitSide(tw);
  const expected = expectedTimeWaitSide(result);
  const surprise = !asExpected(result, side, expected);
  const against = surprise ? ` That is not where the close policy puts it (expected: ${sideWords(expected)}).` : '';
  if (side === 'none') {
    const orphans =
      tw.sockstatPeak > 0
        ? ` (/proc/net/sockstat counted up to ${int(tw.sockstatPeak)}, which includes orphaned FIN_WAIT2 sockets)`
        : '';
    return { rule: 'time-wait', label: 'TIME_WAIT', text: `No socket entered TIME_WAIT${orphans}.${against}`, alert: surprise };
  }
  const at = timeWaitPeakAtMs(result);
  const where =
    side === 'both'
      ? `on both sides: client ${int(tw.peakClient)}, server ${int(tw.peakServer)}`
      : `on the ${side} (${side === 'client' ? `server ${int(tw.peakServer)}` : `client ${int(tw.peakClient)}`})`;
  const end =
    tw.end > 0
      ? ` ${int(tw.end)} were still there when sampling stopped: each lasts ${TIME_WAIT_SECONDS} s on Linux.`
      : ' None was left at the end.';
  return {
    rule: 'time-wait',
    label: 'TIME_WAIT',
    text: `Peak ${int(tw.peak)} ${where}${at !== null ? `, reached at ${seconds(at)}` : ''}.${end}${against}`,
    alert: surprise,
  };
}

function portsFinding(result: RunResult): Finding {
  const p = result.summary.ports;
  const range = p.range;
  const rangeWords = range ? `the range ${range.low}–${range.high} has ${int(range.size)} ports` : 'the port range was not read back';
  const notAvail = result.summary.errors['EADDRNOTAVAIL'] ?? 0;
  if (p.exhaustedAtMs !== null || notAvail > 0) {
    const when = p.exhaustedAtMs !== null ? ` after ${seconds(p.exhaustedAtMs)}` : '';
    return {
      rule: 'ports',
      label: 'Ports',
      text: `Ran out${when}: ${rangeWords}, ${int(p.distinct)} distinct ports were used, and ${int(notAvail)} connects failed with EADDRNOTAVAIL.`,
      alert: true,
    };
  }
  const held = clientPortsHeldPeak(result);
  const share = range && range.size > 0 ? ` (${percent(held / range.size)} of the range)` : '';
  const reuse =
    p.reuses > 0
      ? ` ${int(p.reuses)} connections got a port used before; the shortest gap was ${ms(p.minReuseIntervalMs)} ms, the median ${ms(p.medianReuseIntervalMs)} ms.`
      : ' No port was used twice.';
  return {
    rule: 'ports',
    label: 'Ports',
    text: `Never ran out: at most ${int(held)} client ports were held at once${share}; ${rangeWords}.${reuse}`,
    alert: false,
  };
}

function errorsFinding(result: RunResult): Finding {
  const client = Object.entries(result.errors).map(
    ([code, e]) => `${code} ${int(e.total)} (${Object.entries(e.byPhase).map(([phase, n]) => `${phase} ${int(n)}`).join(', ')})`,
  );
  const server = Object.entries(result.summary.serverErrors).map(([code, n]) => `${code} ${int(n)}`);
  if (client.length === 0 && server.length === 0) {
    return { rule: 'errors', label: 'Errors', text: 'None on either side.', alert: false };
  }
  const parts = [
    client.length > 0 ? `client: ${client.join(', ')}` : 'client: none',
    server.length > 0 ? `server: ${server.join(', ')}` : 'server: none',
  ];
  return { rule: 'errors', label: 'Errors', text: `${capital(parts.join('; '))}.`, alert: client.length > 0 };
}

function restartFinding(result: RunResult): Finding | null {
  const text = restartSentence(result);
  if (text === null) return null;
  return { rule: 'restart', label: 'Restart', text, alert: result.summary.restart?.ok === false };
}

/** What the socket options did: accepts per SO_REUSEPORT listener, linger stalls, data an RST threw away. */
function socketsFinding(result: RunResult): Finding | null {
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

function kernelFinding(result: RunResult): Finding | null {
  const k = result.summary.kernel;
  const notes: string[] = [];
  const rsts = k['TcpOutRsts'] ?? 0;
  if (rsts > 0) notes.push(`${int(rsts)} RSTs sent (TcpOutRsts)`);
  const recycled = k['TcpExtTWRecycled'] ?? 0;
  if (recycled > 0) notes.push(`${int(recycled)} ports taken over from TIME_WAIT (TWRecycled)`);
  const overflow = k['TcpExtTCPTimeWaitOverflow'] ?? 0;
  if (overflow > 0) notes.push(`${int(overflow)} TIME_WAIT sockets destroyed at once, tcp_max_tw_buckets reached (TCPTimeWaitOverflow)`);
  const listen = (k['TcpExtListenOverflows'] ?? 0) + (k['TcpExtListenDrops'] ?? 0);
  if (listen > 0) notes.push(`${int(listen)} SYNs dropped by a full accept queue (ListenOverflows/ListenDrops)`);
  const synRetrans = k['TcpExtTCPSynRetrans'] ?? 0;
  if (synRetrans > 0) notes.push(`${int(synRetrans)} SYNs retransmitted`);
  if (notes.length === 0) return null;
  return { rule: 'kernel', label: 'Kernel', text: `${capital(notes.join('; '))}.`, alert: overflow > 0 || listen > 0 };
}

function isolationFinding(result: RunResult): Finding | null {
  const env = result.environment;
  if (env.isolation === 'netns' && !env.notice) return null;
  return {
    rule: 'isolation',
    label: 'Isolation',
    text:
      env.isolation === 'netns'
        ? (env.notice ?? '')
        : `Ran on the HOST network (${env.how}): host sockets are counted with the run's and the scenario's sysctls were not applied.`,
    alert: true,
  };
}

// ── the one change ────────────────────────────────────────────────────────────────────────

/**
 * The single change that addresses the biggest measured problem, first match wins:
 * a listener that could not bind, client ports that ran out (or would, at this rate),
 * a full accept queue, TIME_WAIT buckets overflowing, RST closes, server-side TIME_WAIT
 * that would outgrow tcp_max_tw_buckets, an HTTP run that opened more connections than a
 * keep-alive pool would need — else nothing.
 */
export function oneChange(result: RunResult): Change {
  return (
    reuseAddrRule(result) ??
    clientPortRule(result) ??
    listenBacklogRule(result) ??
    overflowRule(result) ??
    rstRule(result) ??
    serverTimeWaitRule(result) ??
    httpChurnRule(result) ??
    nothingRule(result)
  );
}

function reuseAddrRule(result: RunResult): Change | null {
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

/**
 * How long a client port stays unusable after a connection: the full TIME_WAIT, or the
 * measured reuse gap when the kernel handed TIME_WAIT ports back (tcp_tw_reuse).
 */
function portHoldSeconds(result: RunResult): number {
  const recycled = result.summary.kernel['TcpExtTWRecycled'] ?? 0;
  const median = result.summary.ports.medianReuseIntervalMs;
  if (recycled > 0 && median !== null) return Math.max(0.001, median / 1000);
  return TIME_WAIT_SECONDS;
}

function clientPortRule(result: RunResult): Change | null {
  const s = result.summary;
  const side = timeWaitSide(s.timeWait);
  const exhausted = s.ports.exhaustedAtMs !== null || (s.errors['EADDRNOTAVAIL'] ?? 0) > 0;
  const range = s.ports.range;
  if (!range || (!exhausted && side !== 'client' && side !== 'both')) return null;
  // Demand: before the range ran out, the load got range.size ports in exhaustedAtMs; otherwise
  // its measured rate. Ports needed = demand × how long each stays held, but never more than
  // the connections the scenario asked for (a short burst needs only that many).
  const rate =
    s.ports.exhaustedAtMs !== null && s.ports.exhaustedAtMs > 0
      ? s.ports.distinct / (s.ports.exhaustedAtMs / 1000)
      : connectionRate(result);
  const hold = portHoldSeconds(result);
  const burst = connectionBudget(result);
  const needed = Math.ceil(Math.min(rate * hold, Math.max(burst, s.ports.distinct)));
  if (!exhausted && needed <= range.size) return null;
  const when = exhausted
    ? `The ${int(range.size)}-port range ran out${s.ports.exhaustedAtMs !== null ? ` after ${seconds(s.ports.exhaustedAtMs)}` : ''}`
    : `At ${int(rate)} new connections/s the ${int(range.size)}-port range would run out after ${seconds((range.size / rate) * 1000)}`;
  const holdWords = hold === TIME_WAIT_SECONDS ? `${TIME_WAIT_SECONDS} s in TIME_WAIT` : `about ${ms(hold * 1000)} ms before reuse`;
  const basis = `${when}: each port is held ${holdWords}, so this load needs about ${int(needed)} ports per destination.`;
  // An HTTP client that opens a connection per request needs no wider range: reusing
  // connections removes the demand itself, and costs nothing but a setting.
  const http = httpReuseChange(result, basis);
  if (http) return http;
  if (needed <= WIDEST_PORT_RANGE) {
    return {
      rule: 'widen-port-range',
      change: 'Widen net.ipv4.ip_local_port_range (or add source addresses)',
      why: `${basis} A range of at least ${int(needed)} ports (the widest is 1024–65535, ${int(WIDEST_PORT_RANGE)}) covers it; each extra source address adds a whole range.`,
    };
  }
  const buckets = sysctlNumber(result, 'net.ipv4.tcp_max_tw_buckets');
  // Under http the server closes first only by answering `Connection: close`, which is the
  // connection-per-request pattern that keep-alive (above) already addresses.
  if (!isHttp(result) && side === 'client' && result.scenario.close.first !== 'server' && buckets !== null && rate * TIME_WAIT_SECONDS <= buckets) {
    return {
      rule: 'server-closes-first',
      change: 'Let the server close first',
      why:
        `${basis} No port range is that wide. When the server closes first, TIME_WAIT sits on the server, ` +
        `which needs no ephemeral port for it, and ${int(rate * TIME_WAIT_SECONDS)} TIME_WAIT sockets fit under its tcp_max_tw_buckets (${int(buckets)}).`,
    };
  }
  return {
    rule: 'keep-alive',
    change: 'Reuse connections (keep-alive, a pool)',
    why: `${basis} That is more than any port range (${int(WIDEST_PORT_RANGE)} at most) or the TIME_WAIT table can hold; only fewer new connections fix it.`,
  };
}

function listenBacklogRule(result: RunResult): Change | null {
  const k = result.summary.kernel;
  const dropped = (k['TcpExtListenOverflows'] ?? 0) + (k['TcpExtListenDrops'] ?? 0);
  if (dropped === 0) return null;
  const somaxconn = sysctlNumber(result, 'net.core.somaxconn');
  return {
    rule: 'listen-backlog',
    change: 'Raise the listen backlog (net.core.somaxconn and the listen() backlog)',
    why:
      `The kernel dropped ${int(dropped)} SYNs because the accept queue was full` +
      `${somaxconn !== null ? ` (somaxconn ${int(somaxconn)})` : ''}; clients saw that as slow or failed connects.`,
  };
}

function overflowRule(result: RunResult): Change | null {
  const overflow = result.summary.kernel['TcpExtTCPTimeWaitOverflow'] ?? 0;
  if (overflow === 0) return null;
  const buckets = sysctlNumber(result, 'net.ipv4.tcp_max_tw_buckets');
  return {
    rule: 'keep-alive',
    change: httpChurn(result)?.change ?? 'Reuse connections (keep-alive, a pool)',
    why:
      `TIME_WAIT filled tcp_max_tw_buckets${buckets !== null ? ` (${int(buckets)})` : ''} and the kernel destroyed ${int(overflow)} ` +
      `TIME_WAIT sockets at once, losing the protection TIME_WAIT gives against stray old segments; fewer new connections keep it below the limit.`,
  };
}

function rstRule(result: RunResult): Change | null {
  const rsts = result.summary.kernel['TcpOutRsts'] ?? 0;
  const close = result.scenario.close;
  const resetting = isHttp(result) ? result.scenario.http.policy === 'rst' : close.client === 'rst' || close.server === 'rst';
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

function serverTimeWaitRule(result: RunResult): Change | null {
  const tw = result.summary.timeWait;
  if (tw.peakServer === 0) return null;
  const buckets = sysctlNumber(result, 'net.ipv4.tcp_max_tw_buckets');
  const rate = connectionRate(result);
  // As for client ports: a burst shorter than the scenario's connection count leaves no more than that.
  const burst = connectionBudget(result);
  if (buckets === null || rate <= 0 || Math.min(rate * TIME_WAIT_SECONDS, burst) <= buckets) return null;
  const churn = httpChurn(result);
  return {
    rule: 'keep-alive',
    change: churn?.change ?? 'Reuse connections (keep-alive, a pool)',
    why:
      `The server keeps one TIME_WAIT per connection for ${TIME_WAIT_SECONDS} s; at ${int(rate)} new connections/s it would hold ` +
      `${int(rate * TIME_WAIT_SECONDS)}, past tcp_max_tw_buckets (${int(buckets)}), after ${seconds((buckets / rate) * 1000)}.` +
      (churn ? ` ${capital(churn.cause)}.` : ''),
  };
}

/**
 * HTTP: nothing ran out, but the requests opened more connections than a keep-alive pool would
 * hold, each one a handshake and (unless reset) a TIME_WAIT. That is the pattern the HTTP
 * scenarios exist to show, and at a higher load it is what runs out first.
 */
function httpChurnRule(result: RunResult): Change | null {
  const churn = httpChurn(result);
  const r = result.summary.requests;
  if (churn === null || r === undefined) return null;
  const pool = result.scenario.http.connections ?? result.scenario.concurrency;
  const opened = result.summary.connections.established;
  if (opened <= pool) return null;
  const tw = result.summary.timeWait;
  const left = tw.peak > 0 ? `, and up to ${int(tw.peak)} of them sat in TIME_WAIT (${sideWords(timeWaitSide(tw))}) for ${TIME_WAIT_SECONDS} s` : '';
  return {
    rule: 'keep-alive',
    change: churn.change,
    why:
      `${int(r.total)} requests opened ${int(opened)} connections (${r.perConnection <= 1 ? 'one per request' : `${r.perConnection} requests each`})${left}: ` +
      `${churn.cause}. Nothing ran out at this load, but a pool that keeps its connections serves the same requests over at most ${int(pool)} ` +
      `(http.connections, else concurrency), without a handshake or a TIME_WAIT per request.`,
  };
}

function nothingRule(result: RunResult): Change {
  const s = result.summary;
  const range = s.ports.range;
  const held = clientPortsHeldPeak(result);
  const share = range && range.size > 0 ? held / range.size : 0;
  const headroom = range
    ? ` At most ${int(held)} of ${int(range.size)} client ports were held (${percent(share)})${share >= 0.5 ? ', so the headroom is thin: more load would exhaust the range' : ''}.`
    : '';
  return {
    rule: 'none',
    change: 'Nothing needs changing at this load',
    why: `No port ran out, no error and no kernel drop was measured, and at ${int(connectionRate(result))} new connections/s${httpRateWords(result)} the TIME_WAIT left behind fits.${headroom}`,
  };
}

/** " (9,800 requests/s, 312.5 per connection)" for an HTTP run, "" otherwise. */
function httpRateWords(result: RunResult): string {
  const r = result.summary.requests;
  if (!isHttp(result) || r === undefined) return '';
  return ` (${int(r.ratePerSec)} requests/s, ${r.perConnection} per connection)`;
}

/**
 * The most connections the run could have opened, which caps what a short burst leaves behind:
 * the scenario's count under tcp. Under http `connections` is not used: the requests, divided
 * by the requests each connection carried (measured), are the bound.
 */
function connectionBudget(result: RunResult): number {
  if (!isHttp(result)) return result.scenario.connections > 0 ? result.scenario.connections : Infinity;
  const perConnection = Math.max(1, result.summary.requests?.perConnection ?? 1);
  return Math.ceil(result.scenario.http.requests / perConnection);
}

interface HttpChurn {
  /** The setting to change, imperative. */
  change: string;
  /** What makes the run open new connections, lower case. */
  cause: string;
}

/**
 * Why an HTTP run opens more connections than its pool needs, from its client mode and server
 * policy, and what to change; null when both already keep connections (plain keep-alive). The
 * client's setting comes first: it is the one the caller of an HTTP API controls.
 */
function httpChurn(result: RunResult): HttpChurn | null {
  if (!isHttp(result)) return null;
  const { client, policy, closeAfter, maxRequestsPerConnection } = result.scenario.http;
  switch (client) {
    case 'agent-per-request':
      return {
        change: 'Reuse connections: share one keep-alive pool (an undici Agent or Pool) instead of a new client per request',
        cause: 'a new undici Client for every request has no connection to reuse',
      };
    case 'reset':
      return {
        change: 'Reuse connections: a keep-alive pool, without reset: true',
        cause: 'undici reset: true sends Connection: close and closes the connection after every response',
      };
    case 'connection-close':
      return {
        change: 'Reuse connections: a keep-alive pool, without Connection: close',
        cause: 'Connection: close on every request ends every connection after one response',
      };
    case 'raw':
      return {
        change: 'Reuse connections: more requests per connection (http.requestsPerConnection)',
        cause: `the raw client closes every connection after ${int(result.scenario.http.requestsPerConnection)} request(s)`,
      };
    case 'keepalive':
      break;
  }
  if (policy === 'close-after') {
    return {
      change: 'Let the server keep connections open (keep-alive) instead of closing them after each response',
      cause: `the server answers Connection: close after ${int(closeAfter)} request${closeAfter === 1 ? '' : 's'} and closes`,
    };
  }
  if (policy === 'rst') {
    return {
      change: 'Let the server keep connections open (keep-alive) instead of resetting them',
      cause: 'the server resets every connection after its response',
    };
  }
  if (policy === 'keepalive' && maxRequestsPerConnection > 0) {
    return {
      change: `Raise the server's requests per connection (maxRequestsPerConnection ${int(maxRequestsPerConnection)}) or lift the limit`,
      cause: `the server closes every connection after ${int(maxRequestsPerConnection)} requests`,
    };
  }
  return null;
}

/** The HTTP form of "reuse connections", with the measured requests per connection; null when nothing churns. */
function httpReuseChange(result: RunResult, basis: string): Change | null {
  const churn = httpChurn(result);
  if (churn === null) return null;
  const perConnection = result.summary.requests?.perConnection ?? null;
  const carried =
    perConnection === null
      ? ''
      : perConnection <= 1
        ? ' Every request opened its own connection (1 request per connection):'
        : ` Each connection carried only ${perConnection} requests:`;
  const pool = result.scenario.http.connections ?? result.scenario.concurrency;
  return {
    rule: 'keep-alive',
    change: churn.change,
    why:
      `${basis}${carried} ${carried ? churn.cause : capital(churn.cause)}. ` +
      `A pool that keeps its connections needs at most ${int(pool)} of them (http.connections, else concurrency), ` +
      `so neither a new port nor a TIME_WAIT per request.`,
  };
}

/** The census sees sockets once a second; the driver's own count catches short-lived ones between. */
function clientPortsHeldPeak(result: RunResult): number {
  return Math.max(peakClientPortsHeld(result), result.summary.ports.peakInUse);
}

function sideWords(side: TimeWaitSide): string {
  return side === 'none' ? 'none' : side === 'both' ? 'both sides' : `the ${side}`;
}

const percent = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
