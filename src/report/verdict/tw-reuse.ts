// tcp_tw_reuse at work, or not: connect() may take a client port whose TIME_WAIT toward the same
// destination is older than tcp_tw_reuse_delay (1 s unless set; Linux 6.13+), if TCP timestamps
// are on; the kernel counts each in TcpExtTWRecycled. 1 allows it everywhere, 2 (the kernel
// default) only for loopback traffic (tcp_twsk_unique asks for a loopback source or destination
// address, or a socket bound to lo), 0 never — except that a connect from an explicitly bound
// port may take over a TIME_WAIT whatever the setting: __inet_hash_connect checks that 4-tuple
// with no twp, and tcp_twsk_unique's !twp branch asks only for a timestamp seen.
import type { RunResult } from '../../result/model.js';
import { portShortageFailures, sysctlNumber } from '../../result/figures.js';
import { int, ms } from '../../util/format.js';
import type { Finding } from './types.js';

/** The run's traffic left loopback: a routed lab's hosts, or an external target elsewhere. */
export function offLoopback(result: RunResult): boolean {
  const s = result.scenario as { environment?: { topology?: string }; target?: { loopback?: boolean } | null };
  return s.environment?.topology === 'routed' || (s.target !== null && s.target !== undefined && s.target.loopback === false);
}

export function twReuseFinding(result: RunResult): Finding | null {
  const mode = sysctlNumber(result, 'net.ipv4.tcp_tw_reuse');
  const recycled = result.summary.kernel['TcpExtTWRecycled'] ?? 0;
  const delay = sysctlNumber(result, 'net.ipv4.tcp_tw_reuse_delay');
  const delayWords = delay !== null ? `tcp_tw_reuse_delay=${int(delay)} ms` : 'about a second';
  const off = offLoopback(result);
  const median = result.summary.ports.medianReuseIntervalMs;
  if (recycled > 0) {
    const why =
      mode === 0
        ? 'with tcp_tw_reuse=0: a connect from an explicitly bound port takes over a TIME_WAIT to the same destination when TCP timestamps are on'
        : `tcp_tw_reuse=${mode ?? '?'} lets connect() take a port whose TIME_WAIT is older than ${delayWords}`;
    const loopbackOnly = mode === 2 && !off ? ' Mode 2 does this on loopback only: between two hosts these connects would have waited the full 60 s (tw-reuse-modes shows both).' : '';
    return {
      rule: 'tw-reuse',
      label: 'Port reuse',
      text:
        `${int(recycled)} connects took a port still in TIME_WAIT toward the same destination (TcpExtTWRecycled), ${why}` +
        `${median !== null ? `; a port came back after ${ms(median)} ms (median)` : ''}.${loopbackOnly}`,
      alert: false,
    };
  }
  // No reuse: worth saying only when the run ran short of ports and reuse was asked for.
  const refused = portShortageFailures(result).connectNotAvail;
  if (refused === 0 || mode === null || mode === 0 || result.summary.timeWait.peakClient === 0) return null;
  if (mode === 2 && off) {
    return {
      rule: 'tw-reuse',
      label: 'Port reuse',
      text:
        `tcp_tw_reuse=2 did not reuse off loopback: TcpExtTWRecycled stayed 0 while ${int(result.summary.timeWait.peakClient)} client TIME_WAIT sockets held ` +
        `their ports and ${int(refused)} connects failed with EADDRNOTAVAIL. Mode 2 (the kernel default) applies to loopback traffic only; 1 reuses between hosts too.`,
      alert: true,
    };
  }
  const timestamps = sysctlNumber(result, 'net.ipv4.tcp_timestamps');
  return {
    rule: 'tw-reuse',
    label: 'Port reuse',
    text:
      `tcp_tw_reuse=${mode} reused no port (TcpExtTWRecycled 0) though ${int(refused)} connects failed with EADDRNOTAVAIL: ` +
      (timestamps === 0
        ? 'it needs TCP timestamps, and net.ipv4.tcp_timestamps is 0.'
        : `every TIME_WAIT was younger than ${delayWords} when connect() needed a port — the range turned over faster than the reuse delay.`),
    alert: true,
  };
}
