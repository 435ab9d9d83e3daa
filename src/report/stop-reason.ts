// Why the load stopped, in words, for every renderer. The result stores a code ("count",
// "duration", "interrupted", "error"); "stopped by interrupted" is what printing the code reads like.
import type { RunResult } from '../result/model.js';
import { int, ms, seconds } from '../util/format.js';
import { clientHosts, loadCount, workUnit } from '../scenario/work.js';
import { CUT_AT_STOP } from '../driver/shape/bounds.js';

export function stopReason(result: RunResult): string {
  // A failed run says why it failed (the server died, every connection failed, the driver
  // broke), not "an error ended it early": the reason is the finding. When the load itself
  // reached its count or duration first (a server that died in the tail), that is said too:
  // the result's stoppedBy says so, and the summary must not read otherwise.
  if (typeof result.failed === 'string' && result.failed !== '') {
    const ended = result.stoppedBy === 'count' || result.stoppedBy === 'duration' ? `${loadStop(result)}, but ` : '';
    return `${ended}the run failed: ${result.failed}`;
  }
  return loadStop(result);
}

/** Why the load stopped: the result's stoppedBy code in words. */
function loadStop(result: RunResult): string {
  const s = result.scenario;
  switch (result.stoppedBy) {
    case 'count': {
      // "Attempted"/"sent", not "made": some of them may have failed, and the figures say how many.
      // The count the load stopped at: a restart's resumed connections come on top, and in a
      // routed lab each client host makes the scenario's count of its own.
      const what = workUnit(s) === 'requests' ? 'requests were attempted' : 'connections were attempted';
      const n = loadCount(s);
      if (!Number.isFinite(n)) return `all ${what}`;
      const hosts = clientHosts(s);
      return `all ${int(n * hosts)} ${what}${hosts > 1 ? ` (${int(n)} from each of ${hosts} client hosts)` : ''}${cutWords(result)}`;
    }
    case 'duration':
      return (typeof s.duration === 'number' ? `the ${durationWords(s.duration)} duration ran out` : 'the duration ran out') + cutWords(result);
    case 'interrupted':
      return `it was interrupted (${interruptWords(result)}); the figures cover only the part that ran`;
    case 'error':
      return 'an error ended it early';
    default:
      // A result file from elsewhere may hold anything here: say what it holds, not a guess.
      return `an unknown reason (“${String(result.stoppedBy)}”)`;
  }
}

/**
 * A scenario's duration: seconds, or milliseconds under one (a 1 ms duration read "the 0.00 s
 * duration ran out", as if the load had been given none).
 */
const durationWords = (d: number): string => (d < 1000 ? `${ms(d)} ms` : seconds(d));

/** What interrupted a run, as its result recorded it (older results did not: any of the three). */
function interruptWords(result: RunResult): string {
  switch (result.interruptedBy) {
    case 'SIGINT':
      return 'SIGINT: Ctrl-C';
    case 'SIGTERM':
      return 'SIGTERM: a kill, or a CI job\'s timeout';
    case 'SIGHUP':
      return 'SIGHUP: its terminal closed';
    case 'parent-exit':
      return 'the twstorm process that started it exited';
    default:
      return 'SIGINT, SIGTERM or SIGHUP';
  }
}

/**
 * What gracefulStop had to cut after the duration (driver/shape/bounds.ts), said beside the
 * stop so its RSTs and missing TIME_WAIT read as the run's ending, not the scenario's close.
 */
function cutWords(result: RunResult): string {
  const cut = result.summary.errors[CUT_AT_STOP] ?? 0;
  if (cut === 0) return '';
  const s = result.scenario;
  const end = typeof s.duration === 'number' && typeof s.gracefulStop === 'number' ? ` ${seconds(s.duration + s.gracefulStop)} in (duration + gracefulStop)` : ' at duration + gracefulStop';
  return `; ${int(cut)} ${workUnit(s) === 'requests' ? 'request' : 'connection'}${cut === 1 ? '' : 's'} still in flight${end} ${cut === 1 ? 'was' : 'were'} cut`;
}
