// How long TIME_WAIT really lasted, when a run watched it drain (a tail past 60 s): Linux keeps
// a TIME_WAIT socket for TCP_TIMEWAIT_LEN, 60 s, compiled in — tcp_fin_timeout is another timer
// (orphaned FIN_WAIT2), whatever older advice says. Measured from the census curve (decay.ts),
// so the figure is this kernel's, not a blog post's.
import type { RunResult } from '../../result/model.js';
import { TIME_WAIT_SECONDS, sysctlNumber } from '../../result/figures.js';
import { int, seconds } from '../../util/format.js';
import { bothSides, decayOf, isTimerOf, madeAtOnce } from './decay.js';
import type { Finding } from './types.js';

/**
 * Beyond the timer's reach (isTimerOf: 60 s, late by at most a wheel granule, within the census
 * resolution and 2 s), something ended TIME_WAIT early (an RST with tcp_rfc1337=0, a port taken
 * over) or the census was too coarse to tell.
 */
const SLACK_MS = 2000;

export function timeWaitDurationFinding(result: RunResult): Finding | null {
  const d = decayOf(result.series.census.t, bothSides(result.series.census, 'TIME_WAIT'));
  // Only a curve that drained says how long TIME_WAIT lasts; one cut by the end of sampling does
  // not, nor one whose sockets came and went during a longer load.
  if (d === null || d.emptyAtMs === null || !madeAtOnce(result)) return null;
  const finTimeout = sysctlNumber(result, 'net.ipv4.tcp_fin_timeout');
  const expectedMs = TIME_WAIT_SECONDS * 1000;
  const usual = isTimerOf(d.lifetimeMs, expectedMs, d.resolutionMs, result.environment.timerHz ?? null, SLACK_MS);
  const fin =
    finTimeout !== null && finTimeout !== TIME_WAIT_SECONDS
      ? `, independent of tcp_fin_timeout (${finTimeout} s here: it governs orphaned FIN_WAIT2, not TIME_WAIT)`
      : ', the fixed TCP_TIMEWAIT_LEN (tcp_fin_timeout does not change it)';
  const measured =
    `half of the ${int(d.peak)} were gone ${seconds(d.lifetimeMs)} after half had been made, and the last ${seconds(d.emptyAtMs - d.fullAtMs)} ` +
    `after the curve stopped rising (census every ~${seconds(d.resolutionMs)})`;
  return {
    rule: 'time-wait-duration',
    label: 'TIME_WAIT lifetime',
    text: usual
      ? `TIME_WAIT drained after ~${TIME_WAIT_SECONDS} s${fin}: ${measured}.`
      : `TIME_WAIT drained after ~${seconds(d.lifetimeMs)}, not the ${TIME_WAIT_SECONDS} s Linux keeps it: ${measured}. Something ended TIME_WAIT early (an RST with tcp_rfc1337=0, ports taken over: see the kernel counters).`,
    alert: !usual,
  };
}
