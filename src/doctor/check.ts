// The unit of doctor's answer: one line with a verdict, what was found, and how to fix it.

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  /** Stable identifier for scripts: "open-files", "namespace", "scenario:port-exhaustion". */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, in one sentence or two. */
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };

export function worstStatus(checks: readonly Check[]): CheckStatus {
  let worst: CheckStatus = 'ok';
  for (const c of checks) if (RANK[c.status] > RANK[worst]) worst = c.status;
  return worst;
}

export function check(id: string, title: string, status: CheckStatus, detail: string, fix?: string): Check {
  return fix === undefined ? { id, title, status, detail } : { id, title, status, detail, fix };
}
