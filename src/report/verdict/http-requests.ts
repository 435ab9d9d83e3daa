// HTTP only: how many requests each connection carried, which is what keep-alive is about.
import type { RunResult } from '../../result/model.js';
import { int } from '../../util/format.js';
import type { Finding } from './types.js';
import { isHttp } from './words.js';

export function requestsFinding(result: RunResult): Finding | null {
  const r = result.summary.requests;
  if (!isHttp(result) || r === undefined) return null;
  const connections = result.summary.connections.established;
  const reuse =
    connections === 0
      ? 'no connection was established'
      : r.perConnection <= 1
        ? `${int(connections)} connection${connections === 1 ? '' : 's'}: every request opened its own connection`
        : `${int(connections)} connection${connections === 1 ? '' : 's'}: ${r.perConnection} requests per connection`;
  return {
    rule: 'requests',
    label: 'Requests',
    text: `${int(r.total)} attempted, ${int(r.ok)} ok, ${int(r.failed)} failed, ${int(r.ratePerSec)} ok/s, over ${reuse}.`,
    alert: r.failed > 0,
  };
}
