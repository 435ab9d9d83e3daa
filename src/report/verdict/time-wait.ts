// TIME_WAIT as measured: the peak, on which side, when, what was left, and whether that is
// where the close policy puts it. Also the gap a server-side storm shows between connections
// and TIME_WAITs: client ports reused while the server still held their 4-tuple.
import type { RunResult } from '../../result/model.js';
import { sinceLoadStartMs, TIME_WAIT_SECONDS, timeWaitPeakAfterMs, timeWaitPeakAtMs, timeWaitSide } from '../../result/figures.js';
import { landedAsPredicted, timeWaitLanding } from '../../scenario/close-semantics.js';
import { int, seconds } from '../../util/format.js';
import type { Finding } from './types.js';
import { sideWords } from './words.js';

/**
 * " 543 fewer than the connections: …" when connections reopened a server TIME_WAIT. A new SYN
 * to a 4-tuple the server holds in TIME_WAIT is accepted when its sequence number (or
 * timestamp) is newer (Linux tcp_timewait_state_process, RFC 1122 §4.2.2.13), so the server
 * keeps one TIME_WAIT per client port, not one per connection.
 */
export function reopenedWords(result: RunResult): string {
  const reopened = result.summary.timeWait.reopened ?? 0;
  if (reopened === 0 || result.summary.timeWait.peakServer === 0) return '';
  return (
    ` ${int(reopened)} connection${reopened === 1 ? '' : 's'} reused a client port while the server still held its 4-tuple in TIME_WAIT;` +
    ` each new SYN reopened that TIME_WAIT (RFC 1122 §4.2.2.13), so the server held one per client port, not one per connection` +
    ` (the kernel's TcpExtTW counts them all).`
  );
}

export function timeWaitFinding(result: RunResult): Finding {
  const tw = result.summary.timeWait;
  const side = timeWaitSide(tw);
  const expected = timeWaitLanding(result.scenario);
  const surprise = !landedAsPredicted(expected, side);
  const against = surprise ? ` That is not where the close policy puts it (expected: ${sideWords(expected.side)}).` : '';
  if (side === 'none') {
    const orphans =
      tw.sockstatPeak > 0
        ? ` (/proc/net/sockstat counted up to ${int(tw.sockstatPeak)}, which includes orphaned FIN_WAIT2 sockets)`
        : '';
    return { rule: 'time-wait', label: 'TIME_WAIT', text: `No socket entered TIME_WAIT${orphans}.${against}`, alert: surprise };
  }
  const at = timeWaitPeakAfterMs(result);
  const peakAt = timeWaitPeakAtMs(result);
  // A peak within a census of the load's end is the last close's TIME_WAIT: say so rather than
  // a time that reads like the storm went on. One later still is the closes that went on after
  // the load stopped starting connections (TIME_WAIT only appears on a close): its own time,
  // and how long after the end (an audit: "when the load ended (0.25 s into it)" for a peak at
  // 2.56 s).
  const afterEnd = peakAt === null ? 0 : peakAt - result.load.endMs;
  const when =
    at === null
      ? ''
      : afterEnd > result.scenario.census
        ? `, reached ${seconds(at)} into the load, ${seconds(afterEnd)} after it ended (the last closes still going on)`
        : afterEnd >= 0
          ? `, reached when the load ended (${seconds(sinceLoadStartMs(result, result.load.endMs))} into it)`
          : `, reached ${seconds(at)} into the load`;
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
    text: `Peak ${int(tw.peak)} ${where}${when}.${reopenedWords(result)}${end}${against}`,
    alert: surprise,
  };
}
