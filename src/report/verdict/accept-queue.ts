// A full accept queue: the kernel dropped handshakes (ListenOverflows, part of ListenDrops).
import type { RunResult } from '../../result/model.js';
import { listenerDrops, serverSysctlNumber } from '../../result/figures.js';
import { int } from '../../util/format.js';
import type { Change } from './types.js';

export function listenBacklogRule(result: RunResult): Change | null {
  const { overflows } = listenerDrops(result);
  if (overflows === 0) return null;
  const somaxconn = serverSysctlNumber(result, 'net.core.somaxconn');
  return {
    rule: 'listen-backlog',
    change: 'Raise the listen backlog (net.core.somaxconn and the listen() backlog)',
    why:
      `The kernel dropped ${int(overflows)} handshakes because the accept queue was full` +
      `${somaxconn !== null ? ` (somaxconn ${int(somaxconn)})` : ''}; clients saw that as slow or failed connects.`,
  };
}
