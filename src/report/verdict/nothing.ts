// The fallback change: nothing ran out and nothing dropped, with the headroom that is left.
import type { RunResult } from '../../result/model.js';
import { clientPortsHeldPeak, connectionRate } from '../../result/figures.js';
import { int } from '../../util/format.js';
import type { Change } from './types.js';
import { isHttp, percent } from './words.js';

/** " (9,800 requests/s, 312.5 per connection)" for an HTTP run, "" otherwise. */
function httpRateWords(result: RunResult): string {
  const r = result.summary.requests;
  if (!isHttp(result) || r === undefined) return '';
  return ` (${int(r.ratePerSec)} requests/s, ${r.perConnection} per connection)`;
}

export function nothingRule(result: RunResult): Change {
  const s = result.summary;
  const range = s.ports.range;
  const held = clientPortsHeldPeak(result);
  const share = range && range.size > 0 ? held / range.size : 0;
  const headroom = range
    ? ` At most ${int(held)} of ${int(range.size)} client ports were held (${percent(share)})${share >= 0.5 ? ', so the headroom is thin: more load would exhaust the range' : ''}.`
    : '';
  return {
    rule: 'none',
    change: 'Nothing needs changing at this load',
    why: `No port ran out, no error and no kernel drop was measured, and at ${int(connectionRate(result))} new connections/s${httpRateWords(result)} the TIME_WAIT left behind fits.${headroom}`,
  };
}
