// An interrupted run: its figures cover only the part that ran.
import type { RunResult } from '../../result/model.js';
import type { Finding } from './types.js';

export const INTERRUPTED_SENTENCE = 'The run was interrupted: these figures cover only the part that ran.';

export function interruptedFinding(result: RunResult): Finding | null {
  return result.interrupted ? { rule: 'interrupted', label: 'Interrupted', text: INTERRUPTED_SENTENCE, alert: true } : null;
}
