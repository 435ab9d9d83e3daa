// A run cut short — interrupted, or failed — whose figures cover only the part that ran.
import type { RunResult } from '../../result/model.js';
import type { Finding } from './types.js';

export const INTERRUPTED_SENTENCE = 'The run was interrupted: these figures cover only the part that ran.';

export function interruptedFinding(result: RunResult): Finding | null {
  return result.interrupted ? { rule: 'interrupted', label: 'Interrupted', text: INTERRUPTED_SENTENCE, alert: true } : null;
}

/**
 * A failed run says so in its verdict, first: why it failed is the cause the other findings must
 * be read against (a report whose server command exited mid-run put that only in the header's
 * small print, and its verdict said no rule explained the failed connections).
 */
export function failedFinding(result: RunResult): Finding | null {
  if (typeof result.failed !== 'string' || result.failed === '') return null;
  return { rule: 'failed', label: 'Failed', text: `The run failed: ${result.failed}. The figures are what was measured until then.`, alert: true };
}
