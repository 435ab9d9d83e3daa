// The routed lab's lines in the terminal summary: each host side by side, then the router.
import type { RunResult } from '../result/model.js';
import { labOf } from '../result/lab.js';
import { int } from '../util/format.js';
import { stripControl } from '../util/escape.js';

export function renderLabLines(result: RunResult): string[] {
  const lab = labOf(result);
  if (!lab) return [];
  const out = ['', 'routed lab    host         address             connections  failed  TIME_WAIT peak  errors'];
  for (const h of lab.hosts) {
    const s = h.summary;
    const tw = s ? s.timeWait.peakClient : (h.timeWaitPeak ?? 0);
    // The server host's is the kernel's TcpPassiveOpens: handshakes it completed, which can exceed
    // what the server accepted by one that completed after its client gave up (an audit: 81 of 80).
    const conn = s ? int(s.connections.established) : `${int(h.kernel?.['TcpPassiveOpens'] ?? 0)} passive`;
    const errors = s ? Object.entries(s.errors).map(([c, n]) => `${stripControl(c)} ${int(n)}`).join(' ') || '–' : '–';
    out.push(`              ${stripControl(h.name).padEnd(12)} ${stripControl(h.address).padEnd(19)} ${conn.padStart(11)}  ${(s ? int(s.connections.failed) : '').padStart(6)}  ${int(tw).padStart(14)}  ${errors}`);
  }
  const ct = lab.router.conntrack;
  const nat = lab.router.nat;
  // The emulated full table (conntrack.limit) drops SYNs by its own rule, not in the kernel's counters.
  const limit = ct.limit ? [`table full at ${int(ct.limit.max)}: ${int(ct.limit.droppedSyns)} SYNs dropped`] : [];
  const counters = [...limit, ...Object.entries(ct.counters).filter(([, n]) => n !== 0).map(([k, n]) => `${k} ${int(n)}`)].join('  ') || 'no failures';
  out.push(
    `              router       ${nat ? `SNAT to ${nat.pool.length} address(es) × ports ${nat.ports[0]}-${nat.ports[1]}${nat.randomFully ? ' random-fully' : ''} = ${int(nat.tuples)} tuples per destination; ` : ''}` +
      `conntrack peak ${int(ct.peakEntries)} entries, ${int(ct.peakTimeWait)} in TIME_WAIT; ${counters}`,
  );
  return out;
}
