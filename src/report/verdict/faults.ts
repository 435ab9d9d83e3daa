// Faults on the wire (scenario `faults:`): what the nft rules really did, from their counters,
// and what the stack made of it. A lost final ACK leaves the passive closer in LAST_ACK until
// it retransmits its FIN; the TIME_WAIT side (RFC 793 §3.5) is still there to ACK it again,
// which is the first reason TIME_WAIT exists. Without a TIME_WAIT socket the same FIN meets a
// closed port and is answered by an RST.
import type { RunResult } from '../../result/model.js';
import type { FaultCount } from '../../observe/faults.js';
import { capital, int } from '../../util/format.js';
import type { Change, Finding } from './types.js';
import { kernelCounters, labOf } from '../../result/lab.js';

const PACKETS: Record<FaultCount['packets'], [string, string]> = {
  'final-ack': ['final ACK', 'final ACKs'],
  fin: ['FIN', 'FINs'],
  syn: ['SYN', 'SYNs'],
  'syn-ack': ['SYN-ACK', 'SYN-ACKs'],
  rst: ['RST', 'RSTs'],
  any: ['segment', 'segments'],
};
const DIRECTION: Record<FaultCount['direction'], string> = { 'to-server': ' to the server', 'to-client': ' to the client', both: '' };

function what(f: FaultCount, where: string): string {
  const [one, many] = PACKETS[f.packets];
  const verb = f.action === 'reset' ? `answered by nft${where} with an RST instead of delivered` : `dropped by nft${where}`;
  return `${int(f.matched)} ${f.matched === 1 ? one : many}${DIRECTION[f.direction]} ${verb}`;
}

export function faultsFinding(result: RunResult): Finding | null {
  const faults = result.faults ?? [];
  if (faults.length === 0) return null;
  // Every host's counters: in a routed lab the passive closer that retransmits its FIN may be
  // the server host, whose counters summary.kernel (the client hosts') leaves out.
  const k = kernelCounters(result);
  const where = labOf(result) !== null ? ' in the router' : '';
  const retrans = k['TcpRetransSegs'] ?? 0;
  const outRsts = k['TcpOutRsts'] ?? 0;
  const lostFinalAcks = faults.filter((f) => f.packets === 'final-ack').reduce((n, f) => n + f.matched, 0);
  const notes = [faults.map((f) => what(f, where)).join('; ')];
  if (lostFinalAcks > 0 && retrans > 0) {
    const answer =
      outRsts > 0
        ? `; ${int(outRsts)} of those were answered with an RST (TcpOutRsts) by a side that had no socket left for the connection`
        : '; the TIME_WAIT side was still there to ACK each again, so every connection closed cleanly — the reason TIME_WAIT exists';
    notes.push(`the passive closer, left in LAST_ACK, retransmitted its FIN (${int(retrans)} retransmitted segments, TcpRetransSegs)${answer}`);
  }
  return { rule: 'faults', label: 'Faults', text: `${notes.map(capital).join('. ')}.`, alert: faults.some((f) => f.matched === 0) };
}

/** Packets whose loss or reset fails a connect: the handshake's (a dropped SYN is sent again, a reset one refused). */
const HANDSHAKE: ReadonlySet<FaultCount['packets']> = new Set(['syn', 'syn-ack', 'any']);

/**
 * The errors a handshake fault can give the client: a lost SYN or SYN-ACK is retried until the
 * connect times out (ETIMEDOUT); an RST for the client's SYN is a refusal (ECONNREFUSED: the
 * reset goes to the SYN's sender), and one for the server's SYN-ACK leaves the client waiting
 * for it (ETIMEDOUT); a fault on any segment may also reset an open connection (ECONNRESET).
 */
function faultErrors(f: FaultCount): readonly string[] {
  if (f.action === 'drop') return ['ETIMEDOUT'];
  if (f.packets === 'syn') return ['ECONNREFUSED'];
  if (f.packets === 'syn-ack') return ['ETIMEDOUT'];
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'];
}

/**
 * Connections that failed where the scenario's own faults acted on the handshake are what the
 * faults inject, not a problem to find (an audit: 200 SYNs reset by the fault, 200
 * ECONNREFUSED, and the change said "no rule here explains it"). Only when the handshake
 * segments the faults took cover every failure: any left over stays unexplained.
 */
export function faultsRule(result: RunResult): Change | null {
  const failed = result.summary.connections.failed;
  const acted = (result.faults ?? []).filter((f) => HANDSHAKE.has(f.packets) && f.matched > 0);
  const matched = acted.reduce((n, f) => n + f.matched, 0);
  if (failed === 0 || acted.length === 0 || matched < failed) return null;
  const errors = Object.entries(result.summary.errors).filter(([, n]) => n > 0).sort(([, a], [, b]) => b - a);
  // An error these faults cannot give (EMFILE, EADDRNOTAVAIL) is not theirs, however many
  // segments they took (a review: a 5% SYN drop, retried, could be blamed for anything).
  const theirs = new Set(acted.flatMap(faultErrors));
  if (errors.some(([code]) => !theirs.has(code))) return null;
  const where = labOf(result) !== null ? ' in the router' : '';
  return {
    rule: 'injected-faults',
    change: 'Nothing to change in the stack: the failures are the faults this scenario injects',
    why:
      `${int(failed)} connections failed (${errors.map(([code, n]) => `${code} ${int(n)}`).join(', ')}) where the scenario's faults acted on the handshake: ` +
      `${acted.map((f) => what(f, where)).join('; ')}. Remove those from faults: to measure the stack alone.`,
  };
}
