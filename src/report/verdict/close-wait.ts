// CLOSE_WAIT that grows: an application that read EOF (the peer's FIN) and never called close().
// The kernel acknowledges the FIN at once and moves the socket to CLOSE_WAIT; only the
// application's close() (or its exit) sends the FIN that ends it — Linux has no timer on
// CLOSE_WAIT (RFC 793 §3.5: the state waits for the local user's CLOSE). So each such socket
// keeps its file descriptor, and a server that leaks them hits RLIMIT_NOFILE: accept() fails with
// EMFILE. The peer meanwhile sits orphaned in FIN_WAIT2 for net.ipv4.tcp_fin_timeout.
//
// Judged in any run from the census: CLOSE_WAIT still held on a side after the load ended
// (through the tail, when a closing application has had seconds to close) is a leak, not a close
// in progress. The bundled server does it on purpose with close.server "never".
import type { RunResult } from '../../result/model.js';
import { peakOf } from '../../result/figures.js';
import { int } from '../../util/format.js';
import type { Change, Finding } from './types.js';

export interface CloseWaitLeak {
  side: 'client' | 'server';
  /** CLOSE_WAIT sockets still there in every census sample after the load ended. */
  held: number;
  /** The most at once. */
  peak: number;
  /** The peer's sockets in FIN_WAIT2 at most (waiting for the FIN that never comes). */
  peerFinWait2: number;
}

/**
 * The CLOSE_WAIT each side kept after the load: the least of the census samples taken at or
 * after both the load's end and the count's peak (a socket closed late is not a leak). The peak
 * bounds it too: CLOSE_WAIT has no timer, so a count still rising after the load "ended" means
 * FINs were still arriving, and the samples before the peak undercount what was kept. A run
 * whose census ended with the load has only its last sample to go by.
 */
export function closeWaitLeaks(result: RunResult): CloseWaitLeak[] {
  const { t } = result.series.census;
  const leaks: CloseWaitLeak[] = [];
  for (const side of ['server', 'client'] as const) {
    const column = result.series.census[side]['CLOSE_WAIT'] ?? [];
    if (t.length === 0 || column.length === 0) continue;
    // A loop, not Math.min(...): a long census overflows the stack as arguments (see extent()).
    const peak = peakOf(column);
    const from = Math.max(result.load.endMs, t[column.indexOf(peak)] ?? 0);
    let held = Infinity;
    for (let i = 0; i < t.length; i++) if (t[i]! >= from) held = Math.min(held, column[i] ?? 0);
    if (held === Infinity) held = column[t.length - 1] ?? 0;
    if (held <= 0) continue;
    const peer = result.series.census[side === 'server' ? 'client' : 'server'];
    leaks.push({ side, held, peak, peerFinWait2: peakOf(peer['FIN_WAIT2'] ?? []) });
  }
  return leaks.sort((a, b) => b.held - a.held);
}

/** Connections the server's kernel completed that its application never accepted (EMFILE under Node, where libuv hides it). */
function unaccepted(result: RunResult): number {
  const passive = result.summary.kernel['TcpPassiveOpens'];
  if (passive === undefined || (result.scenario.target ?? null) !== null) return 0;
  return Math.max(0, passive - result.server.stats.accepted);
}

/** "2,000 connections hit EMFILE …", or '' when the server never ran out of descriptors. */
function emfileWords(result: RunResult): string {
  const limit = result.scenario.server.maxOpenFiles;
  const limitWords = limit !== null && limit !== undefined ? ` (server.maxOpenFiles ${int(limit)})` : '';
  const emfile = result.server.stats.errors['EMFILE'] ?? 0;
  if (emfile > 0) {
    return ` It ran out of file descriptors${limitWords}: accept() failed with EMFILE ${int(emfile)} time${emfile === 1 ? '' : 's'}, and each of those connections was reset.`;
  }
  const missing = unaccepted(result);
  if (limit !== null && limit !== undefined && missing > 0) {
    return ` It ran out of file descriptors${limitWords}: the kernel completed ${int(missing)} more handshakes (TcpPassiveOpens) than the server accepted — Node's libuv accepts and closes those at EMFILE without telling the application.`;
  }
  return '';
}

/** The headline for a run whose close policy leaks: who closed, and where the sockets sat. */
export function closeWaitSentence(result: RunResult): string | null {
  const leak = closeWaitLeaks(result)[0];
  if (!leak) return null;
  return `no socket sat in TIME_WAIT: ${int(leak.held)} sat in CLOSE_WAIT on the ${leak.side}, which never closed them.`;
}

export function closeWaitFinding(result: RunResult): Finding | null {
  const leaks = closeWaitLeaks(result);
  if (leaks.length === 0) return null;
  const texts = leaks.map((leak) => {
    const peer = leak.side === 'server' ? 'client' : 'server';
    const finWait2 =
      leak.peerFinWait2 > 0
        ? ` The ${peer}'s closed sockets waited in FIN_WAIT2 (up to ${int(leak.peerFinWait2)}), orphaned, for net.ipv4.tcp_fin_timeout — a FIN that never comes — each holding its port.`
        : '';
    return (
      `The ${leak.side} leaks sockets: ${int(leak.held)} stayed in CLOSE_WAIT after the load ended (peak ${int(leak.peak)}). ` +
      `The ${leak.side}'s application read EOF (the ${peer}'s FIN) and never called close(); the kernel has no timer for CLOSE_WAIT, so each keeps its file descriptor until the process closes it or exits.` +
      (leak.side === 'server' ? emfileWords(result) : '') +
      finWait2
    );
  });
  return { rule: 'close-wait', label: 'CLOSE_WAIT', text: texts.join(' '), alert: true };
}

export function closeOnEofRule(result: RunResult): Change | null {
  const leak = closeWaitLeaks(result)[0];
  if (!leak) return null;
  const emfile = leak.side === 'server' ? (result.server.stats.errors['EMFILE'] ?? 0) : 0;
  return {
    rule: 'close-on-eof',
    change: `Close the socket on the ${leak.side} when a read returns EOF (0 bytes, Node's 'end')`,
    why: `${int(leak.held)} sockets stayed in CLOSE_WAIT on the ${leak.side}, each holding a file descriptor` + (emfile > 0 ? `, until accept() failed with EMFILE ${int(emfile)} times` : '') + '.',
  };
}
