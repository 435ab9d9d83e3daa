// Where the run ran: a namespace of its own, or the host network (whose sockets it then counts).
import type { RunResult } from '../../result/model.js';
import type { Finding } from './types.js';

export function isolationFinding(result: RunResult): Finding | null {
  const env = result.environment;
  if (env.isolation === 'netns' && !env.notice) return null;
  return {
    rule: 'isolation',
    label: 'Isolation',
    text:
      env.isolation === 'netns'
        ? (env.notice ?? '')
        : `Ran on the HOST network (${env.how}): host sockets are counted with the run's and the scenario's sysctls were not applied.`,
    alert: true,
  };
}
