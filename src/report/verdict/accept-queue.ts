// A full accept queue: the kernel dropped SYNs (ListenOverflows / ListenDrops).
import type { RunResult } from '../../result/model.js';
import { sysctlNumber } from '../../result/figures.js';
import { int } from '../../util/format.js';
import type { Change } from './types.js';

export function listenBacklogRule(result: RunResult): Change | null {
  const k = result.summary.kernel;
  const dropped = (k['TcpExtListenOverflows'] ?? 0) + (k['TcpExtListenDrops'] ?? 0);
  if (dropped === 0) return null;
  const somaxconn = sysctlNumber(result, 'net.core.somaxconn');
  return {
    rule: 'listen-backlog',
    change: 'Raise the listen backlog (net.core.somaxconn and the listen() backlog)',
    why:
      `The kernel dropped ${int(dropped)} SYNs because the accept queue was full` +
      `${somaxconn !== null ? ` (somaxconn ${int(somaxconn)})` : ''}; clients saw that as slow or failed connects.`,
  };
}
