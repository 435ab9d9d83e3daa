// The kernel counters that moved: RSTs, TIME_WAIT reuse and overflow, accept-queue drops, SYN retransmits.
import type { RunResult } from '../../result/model.js';
import { listenerDrops } from '../../result/figures.js';
import { kernelCounters } from '../../result/lab.js';
import { capital, int } from '../../util/format.js';
import type { Finding } from './types.js';

export function kernelFinding(result: RunResult): Finding | null {
  // Every host's counters: a routed lab's server host counts its side (summary.kernel has the client hosts').
  const k = kernelCounters(result);
  const notes: string[] = [];
  const rsts = k['TcpOutRsts'] ?? 0;
  if (rsts > 0) notes.push(`${int(rsts)} RSTs sent (TcpOutRsts)`);
  const recycled = k['TcpExtTWRecycled'] ?? 0;
  if (recycled > 0) notes.push(`${int(recycled)} ports taken over from TIME_WAIT (TWRecycled)`);
  const overflow = k['TcpExtTCPTimeWaitOverflow'] ?? 0;
  if (overflow > 0) notes.push(`${int(overflow)} connections closed with no TIME_WAIT, tcp_max_tw_buckets reached (TCPTimeWaitOverflow)`);
  const { dropped: listen, overflows } = listenerDrops(result);
  if (listen > 0) {
    const cause = overflows === listen ? ', all by a full accept queue (ListenOverflows)' : overflows > 0 ? `, ${int(overflows)} by a full accept queue (ListenOverflows)` : '';
    notes.push(`${int(listen)} handshakes dropped at the listener (ListenDrops)${cause}`);
  }
  const synRetrans = k['TcpExtTCPSynRetrans'] ?? 0;
  if (synRetrans > 0) notes.push(`${int(synRetrans)} SYNs retransmitted`);
  if (notes.length === 0) return null;
  return { rule: 'kernel', label: 'Kernel', text: `${capital(notes.join('; '))}.`, alert: overflow > 0 || listen > 0 };
}
