// Plain sentences on what a run did, derived from the measured figures only: where TIME_WAIT
// actually landed, whether the port range ran out, what the kernel counted. Nothing here
// repeats what the scenario intended unless the measurements bear it out.
import type { RunResult } from '../metrics/result.js';
import { int, seconds } from './format.js';

export function story(result: RunResult): string[] {
  const { summary, scenario } = result;
  const tw = summary.timeWait;
  const k = summary.kernel;
  const lines: string[] = [];
  const closer = scenario.close.first === 'both' ? 'both sides closed at once' : `the ${scenario.close.first} closed first`;
  const closerMode = scenario.close.first === 'server' ? scenario.close.server : scenario.close.client;
  const how = closerMode === 'rst' ? ' with RST (SO_LINGER 0)' : '';

  if (tw.peak === 0) {
    const rsts = k['TcpOutRsts'] ?? 0;
    lines.push(
      `${capital(closer)}${how}; no socket sat in TIME_WAIT` +
        (rsts > 0 ? `, and the kernel sent ${int(rsts)} RSTs instead.` : '.'),
    );
  } else {
    const side =
      tw.peakClient > 0 && tw.peakServer > 0
        ? `on both sides (client ${int(tw.peakClient)}, server ${int(tw.peakServer)})`
        : tw.peakClient > 0
          ? 'on the client'
          : 'on the server';
    lines.push(`${capital(closer)}${how}; ${int(tw.peak)} sockets sat in TIME_WAIT ${side} at the peak.`);
  }

  if (tw.peakServer > 0 && tw.peakClient === 0 && summary.ports.reuses > 0) {
    lines.push(
      `${int(summary.ports.reuses)} client ports were handed out again while the server still held them in TIME_WAIT; ` +
        `each new SYN reopened that TIME_WAIT (RFC 1122 §4.2.2.13), so the server held one per client port, not one per connection.`,
    );
  }

  const range = summary.ports.range;
  const notAvail = summary.errors['EADDRNOTAVAIL'] ?? 0;
  if (summary.ports.exhaustedAtMs !== null) {
    lines.push(
      `The ephemeral port range${range ? ` (${int(range.size)} ports, ${range.low}–${range.high})` : ''} ran out after ` +
        `${seconds(summary.ports.exhaustedAtMs)}: ${int(notAvail)} connects failed with EADDRNOTAVAIL.`,
    );
  }
  const recycled = k['TcpExtTWRecycled'] ?? 0;
  if (recycled > 0) {
    lines.push(`The kernel reused ${int(recycled)} ports still in TIME_WAIT (TcpExtTWRecycled; tcp_tw_reuse or timestamps).`);
  }
  const overflow = k['TcpExtTCPTimeWaitOverflow'] ?? 0;
  if (overflow > 0) {
    lines.push(`${int(overflow)} TIME_WAIT sockets were destroyed at once because tcp_max_tw_buckets was reached.`);
  }
  const otherErrors = Object.entries(summary.errors).filter(([code]) => code !== 'EADDRNOTAVAIL');
  if (otherErrors.length > 0) {
    lines.push(`Other client errors: ${otherErrors.map(([code, n]) => `${code} ${int(n)}`).join(', ')}.`);
  }
  if (result.interrupted) lines.push('The run was interrupted: these figures cover only the part that ran.');
  return lines;
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
