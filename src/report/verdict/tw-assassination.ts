// TIME-WAIT assassination (RFC 1337): an in-window RST that reaches a TIME_WAIT socket destroys
// it at once when net.ipv4.tcp_rfc1337 is 0 (Linux's default; tcp_timewait_state_process), so
// the 60 s of protection end early. TcpExtTWKilled does not count this: __inet_twsk_schedule
// counts it for a timewait socket scheduled to live 4 s or less, never on an RST, so the kill
// is read from the balance: every TIME_WAIT the kernel made (TcpExtTW) is
// still in the census at the end of a run shorter than TIME_WAIT itself, unless it was taken
// over (TWRecycled), reopened by a new SYN, or killed.
import type { RunResult } from '../../result/model.js';
import { TIME_WAIT_SECONDS, sysctlNumber } from '../../result/figures.js';
import { FIN_TIMEOUT_DEFAULT_SECONDS } from '../../tcp-facts.js';
import { int } from '../../util/format.js';
import { timeWaitLanding } from '../../scenario/close-semantics.js';
import { timeWaitEndCounted } from '../../result/lab.js';
import type { Finding } from './types.js';

/** TIME_WAIT sockets that vanished before their time; null when the run cannot tell. */
export function killedTimeWait(result: RunResult): number | null {
  const k = result.summary.kernel;
  const made = k['TcpExtTW'];
  const census = result.series.census.t;
  const lastMs = census[census.length - 1];
  // After 60 s TIME_WAIT ends on its own; the balance is only meaningful before that.
  if (made === undefined || made === 0 || lastMs === undefined || lastMs >= TIME_WAIT_SECONDS * 1000) return null;
  // No TIME_WAIT expected and none seen: what TcpExtTW counted were orphaned FIN_WAIT2 sockets
  // (close-wait-leak), which die on the peer's data or RST without any assassination.
  const side = timeWaitLanding(result.scenario).side;
  if (result.summary.timeWait.peak === 0 && side === 'none') return null;
  // Where the server holds TIME_WAIT, a new SYN on its 4-tuple reopens it: without that count
  // (a run over more server ports than the port table keeps, port-table.ts) every reopen would
  // read as a kill.
  const reopened = result.summary.timeWait.reopened;
  if (reopened === undefined && (side === 'server' || side === 'both')) return null;
  // TcpExtTW also counts orphaned FIN_WAIT2 sockets (tcp_time_wait(sk, TCP_FIN_WAIT2, …) makes
  // the same timewait socket): those still in the census at the end are not kills either.
  const finWait2 = (side: 'client' | 'server'): number => result.series.census[side]['FIN_WAIT2']?.at(-1) ?? 0;
  const finWait2Drops = (side: 'client' | 'server'): number => {
    const series = result.series.census[side]['FIN_WAIT2'] ?? [];
    let drops = 0;
    for (let i = 1; i < series.length; i++) drops += Math.max(0, (series[i - 1] ?? 0) - (series[i] ?? 0));
    return drops;
  };
  // …and those that lived out net.ipv4.tcp_fin_timeout left without a trace a kill would not
  // leave too (a fin-timeout-myth run at tcp_fin_timeout 5 with a 10 s tail read 200 expired
  // orphans as 200 assassinations). Every FIN_WAIT2 that left the census may have been one, so
  // in a run that outlasted the timeout the census's drops in FIN_WAIT2 are not counted as
  // kills: fewer kills said, never a kill that was an expiry (one brief FIN_WAIT2 of an
  // ordinary close takes one off, not all of them).
  const finTimeoutMs = (sysctlNumber(result, 'net.ipv4.tcp_fin_timeout') ?? FIN_TIMEOUT_DEFAULT_SECONDS) * 1000;
  const expired = lastMs < finTimeoutMs ? 0 : finWait2Drops('client') + finWait2Drops('server');
  // TcpExtTW counts where summary.kernel was read: in a routed lab, the client hosts only.
  const gone = made - (k['TcpExtTWRecycled'] ?? 0) - (reopened ?? 0) - timeWaitEndCounted(result) - finWait2('client') - finWait2('server') - expired;
  return gone > 0 ? gone : null;
}

export function assassinationFinding(result: RunResult): Finding | null {
  const rfc1337 = sysctlNumber(result, 'net.ipv4.tcp_rfc1337');
  const killed = killedTimeWait(result);
  if (killed !== null) {
    return {
      rule: 'assassination',
      label: 'TIME_WAIT killed',
      text:
        `${int(killed)} of ${int(result.summary.kernel['TcpExtTW'] ?? 0)} TIME_WAIT sockets were gone before their ${TIME_WAIT_SECONDS} s: an RST killed them ` +
        `(TIME-WAIT assassination, RFC 1337${rfc1337 === 0 ? '; tcp_rfc1337=0' : ''}). A late segment of the old connection can now reach a new one on the same ports; ` +
        `net.ipv4.tcp_rfc1337=1 makes TIME_WAIT ignore RSTs.`,
      alert: true,
    };
  }
  const resets = (result.faults ?? []).filter((f) => f.action === 'reset' && f.packets === 'final-ack').reduce((n, f) => n + f.matched, 0);
  if (rfc1337 === 1 && resets > 0) {
    return {
      rule: 'assassination',
      label: 'TIME_WAIT kept',
      text: `${int(resets)} RSTs reached new TIME_WAIT sockets and none was killed: tcp_rfc1337=1 makes TIME_WAIT ignore RSTs (RFC 1337).`,
      alert: false,
    };
  }
  return null;
}
