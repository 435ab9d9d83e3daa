// An open loop that fell behind its schedule. Its starts come on a schedule (rate, stages) and
// each late one is measured from when it was due, so the latencies show the lag; but a start
// that never came is in no latency, and the connections line only says how many were made: a
// ramp to 500/s behind maxInFlight 5 read "150 attempted, 48/s", with nothing saying 1,100 were
// due. This says so, and whether maxInFlight held them back.
import type { RunResult } from '../../result/model.js';
import { openLoopSchedule } from '../../result/figures.js';
import { clientHosts, workUnit } from '../../scenario/work.js';
import { int, seconds } from '../../util/format.js';
import type { Finding } from './types.js';
import { percent } from './words.js';

/**
 * Starts short of the schedule by more than this share fire the finding. A start due at the
 * deadline's edge, or a thread's share of the count rounded, is no shortfall; a load held back
 * falls far short (150 of 1,100 in the audit above).
 */
const BEHIND_SHARE = 0.1;

export function scheduleFinding(result: RunResult): Finding | null {
  const schedule = openLoopSchedule(result);
  if (schedule === null || schedule.made >= schedule.due * (1 - BEHIND_SHARE)) return null;
  const s = result.scenario;
  const unit = workUnit(s) === 'requests' ? 'requests' : 'connections';
  const ramp = ((s as { stages?: unknown[] }).stages ?? []).length > 0 ? 'rate and stages' : 'rate';
  // A tcp connection holds its client port from connect to close: the ports open at once are
  // the connections in flight. Under http a keep-alive pool holds ports between requests, so
  // they say nothing of the requests in flight.
  const bound = s.maxInFlight * clientHosts(s);
  const capped = unit === 'connections' && result.summary.ports.peakInUse >= bound;
  const why = capped
    ? `maxInFlight (${int(bound)}) was full: ${int(result.summary.ports.peakInUse)} were open at once, and a start waits for a free place`
    : 'the driver did not keep up with it';
  return {
    rule: 'schedule',
    label: 'Schedule',
    text:
      `The open loop fell behind its schedule: ${int(schedule.made)} of the ${int(schedule.due)} ${unit} its ${ramp} made due within the ` +
      `${seconds(s.duration)} duration were attempted (${percent(schedule.made / schedule.due)}); ${why}. ` +
      'Late starts count their latency from when they were due; the rest never started.',
    alert: true,
  };
}
