// Named ports taken in turn (client.localPorts): connection i binds the (address, port) pair or,
// with SO_REUSEADDR, the 4-tuple i mod C (driver/endpoints.ts), so each comes back after C ÷ rate
// seconds, its turn. Where the client leaves no TIME_WAIT to wait out (SO_REUSEADDR with
// timestamps: connect() takes it over, tcp_twsk_unique; or the server closes first, or an RST
// ends the connection) a port is busy exactly while its connection is open: a connection still
// open when its turn comes again makes that connect() fail (EADDRNOTAVAIL, the 4-tuple in use,
// __inet_check_established), or that bind() without SO_REUSEADDR (EADDRINUSE). A connection
// that lives k turns blocks the next k: with e the mean number of whole turns a connection
// outlives, each success is followed by e failures on average, so e ÷ (1 + e) of the connects
// fail (a review's simulation: 1 % of lives at 10 turns make 8.2 % fail, not 1 %).
// Measured (10 named ports, SO_REUSEADDR, 2,000/s, a 5 ms turn), four runs: 52, 19, 25 and 12 of
// 2,000 connects failed, predicted 77, 38, 45 and 30. The prediction is high by about 2×: a life
// counts from the scheduled start (latency without coordinated omission), and the engine's start
// lag (event-loop delay p99 12-20 ms in those runs) is part of it though no port was held yet.
// A mean-life plan had said "fits" for all four.
import type { RunResult } from '../result/model.js';
import type { PlanOutput } from './types.js';
import { decodeHistogram } from '../metrics/histogram-encoding.js';
import { meanWholeUnits } from '../metrics/histograms.js';
import { portShortageFailures } from '../result/figures.js';
import { int, ms } from '../util/format.js';

export interface NamedTurn {
  /** Seconds between two uses of one pair or 4-tuple: the ones the client makes ÷ its new connections per second. */
  turnSec: number;
  /** Mean number of whole turns a connection of this run outlived (its life histogram). */
  turnsOutlived: number;
  /** Share of connects predicted to find theirs still open: e ÷ (1 + e). */
  failingShare: number;
  predictedBusy: number;
  /** What the run counted: connect() EADDRNOTAVAIL with SO_REUSEADDR, bind() EADDRINUSE without. */
  measuredBusy: number;
  note: string;
}

/**
 * null unless the client named its ports, each is busy only while its connection is open
 * (plan.lifeBound: model.ts portMode), the rate is known, and the run recorded each connection's life.
 */
export function namedTurn(result: RunResult, plan: PlanOutput, attempts: number): NamedTurn | null {
  const encoded = result.histograms.life;
  if (!plan.lifeBound || plan.newConnPerSec === null || plan.newConnPerSec <= 0 || encoded === undefined) return null;
  const turnSec = plan.portsInPlay / plan.newConnPerSec;
  let turnsOutlived: number;
  let maxUs: number;
  try {
    const h = decodeHistogram(encoded);
    try {
      turnsOutlived = meanWholeUnits(h, turnSec * 1e6);
      maxUs = h.maxValue;
    } finally {
      h.destroy();
    }
  } catch {
    return null;
  }
  const failingShare = turnsOutlived / (1 + turnsOutlived);
  const predictedBusy = Math.round(attempts * failingShare);
  const shortage = portShortageFailures(result);
  const reuse = /EADDRNOTAVAIL/.test(plan.portFailure);
  const measuredBusy = reuse ? shortage.connectNotAvail : shortage.bindInUse;
  const unit = reuse ? '4-tuples' : '(address, port) pairs';
  // What no failure at all takes: a turn longer than the slowest connection's life.
  const forNone = Math.ceil((plan.newConnPerSec * maxUs) / 1e6);
  const pct = (x: number): string => (x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1);
  const note =
    `named ports are taken in turn: each of the ${int(plan.portsInPlay)} ${unit} comes back every ${ms(turnSec * 1000)} ms at ${int(plan.newConnPerSec)}/s, ` +
    `and this run's connections outlived ${turnsOutlived.toFixed(3)} turns on average (summary.latencyMs.life), so at most about ${pct(failingShare)} % of connects, ${int(predictedBusy)}, ` +
    `find theirs still open (${plan.portFailure.replace(/^\w+\(\) fails with /, '')}): a life counts from the connection's scheduled start, so a driver behind schedule lengthens it; ` +
    `none would with ${int(forNone)} ${unit}, a turn longer than the slowest life (${ms(maxUs / 1000)} ms)`;
  return { turnSec, turnsOutlived, failingShare, predictedBusy, measuredBusy, note };
}
