// Named ports taken in turn (client.localPorts with SO_REUSEADDR and timestamps): connection i
// binds 4-tuple i mod C (driver/endpoints.ts), so each comes back after C ÷ rate seconds, its
// turn. bind() passes over the port's TIME_WAIT and connect() takes it over (tcp_twsk_unique),
// but a connection still open when its 4-tuple's turn comes again is no TIME_WAIT: connect()
// finds the 4-tuple in use (__inet_check_established) and fails with EADDRNOTAVAIL. So the
// connects that fail are the connections that outlive a turn, a share the run's own life
// histogram gives. Measured (10 named ports, 2,000/s, a 5 ms turn): life p99 10.4 ms, 52 of
// 2,000 connects failed; the model's mean-life plan said "fits".
import type { RunResult } from '../result/model.js';
import type { PlanOutput } from './types.js';
import { decodeHistogram } from '../metrics/histogram-encoding.js';
import { shareAbove } from '../metrics/histograms.js';
import { portShortageFailures } from '../result/figures.js';
import { int, ms } from '../util/format.js';

export interface NamedTurn {
  /** Seconds between two uses of one 4-tuple: the 4-tuples the client makes ÷ the new connections per second. */
  turnSec: number;
  /** Share of the run's connections that lived longer than a turn (its life histogram). */
  outlived: number;
  /** Connects predicted to find their 4-tuple still open: attempts × outlived. */
  predictedBusy: number;
  /** What the run counted: connect() EADDRNOTAVAIL. */
  measuredBusy: number;
  note: string;
}

/** null unless the client named its ports, SO_REUSEADDR took their TIME_WAIT over, and the run recorded each connection's life. */
export function namedTurn(result: RunResult, plan: PlanOutput, attempts: number): NamedTurn | null {
  const encoded = result.histograms.life;
  if (plan.portPicker !== 'named' || !plan.reuseInForce || plan.newConnPerSec === null || plan.newConnPerSec <= 0 || encoded === undefined) return null;
  const turnSec = plan.portsInPlay / plan.newConnPerSec;
  let outlived: number;
  try {
    const h = decodeHistogram(encoded);
    try {
      outlived = shareAbove(h, turnSec * 1e6);
    } finally {
      h.destroy();
    }
  } catch {
    return null;
  }
  const predictedBusy = Math.round(attempts * outlived);
  const measuredBusy = portShortageFailures(result).connectNotAvail;
  const note =
    `named ports are taken in turn: each of the ${int(plan.portsInPlay)} 4-tuples comes back every ${ms(turnSec * 1000)} ms at ${int(plan.newConnPerSec)}/s, ` +
    `and ${(outlived * 100).toFixed(outlived < 0.001 ? 3 : 1)} % of this run's connections lived longer (summary.latencyMs.life), so about ${int(predictedBusy)} connects find theirs still open (EADDRNOTAVAIL)`;
  return { turnSec, outlived, predictedBusy, measuredBusy, note };
}
