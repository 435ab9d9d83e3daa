// Errors on either side, by code, with the phase each struck in on the client.
import type { RunResult } from '../../result/model.js';
import { capital, int } from '../../util/format.js';
import type { Finding } from './types.js';

export function errorsFinding(result: RunResult): Finding {
  const client = Object.entries(result.errors).map(
    ([code, e]) => `${code} ${int(e.total)} (${Object.entries(e.byPhase).map(([phase, n]) => `${phase} ${int(n)}`).join(', ')})`,
  );
  const server = Object.entries(result.summary.serverErrors).map(([code, n]) => `${code} ${int(n)}`);
  if (client.length === 0 && server.length === 0) {
    return { rule: 'errors', label: 'Errors', text: 'None on either side.', alert: false };
  }
  const parts = [
    client.length > 0 ? `client: ${client.join(', ')}` : 'client: none',
    server.length > 0 ? `server: ${server.join(', ')}` : 'server: none',
  ];
  return { rule: 'errors', label: 'Errors', text: `${capital(parts.join('; '))}.`, alert: client.length > 0 };
}
