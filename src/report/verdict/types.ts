// The verdict's vocabulary: a finding (what a run showed about one phenomenon) and the one
// change (what would help most). Each rule file under this folder adds to one table or both.
import type { RunResult } from '../../result/model.js';

export type FindingRule =
  | 'closer'
  | 'requests'
  | 'schedule'
  | 'time-wait'
  | 'close-wait'
  | 'ports'
  | 'connect-cliff'
  | 'errors'
  | 'restart'
  | 'sockets'
  | 'kernel'
  | 'faults'
  | 'router'
  | 'assassination'
  | 'tw-reuse'
  | 'time-wait-duration'
  | 'fin-wait2'
  | 'isolation'
  | 'interrupted'
  | 'failed';

export interface Finding {
  rule: FindingRule;
  /** Short label shown beside the text ("TIME_WAIT", "Ports"). */
  label: string;
  text: string;
  /** True when the finding is a problem or a surprise (the page marks it with a word, not only colour). */
  alert: boolean;
}

export type ChangeRule =
  | 'reuseaddr-listener'
  | 'close-on-eof'
  | 'widen-port-range'
  | 'bind-address-no-port'
  | 'connect-scan'
  | 'server-closes-first'
  | 'keep-alive'
  | 'listen-backlog'
  | 'router-conntrack'
  | 'router-nat'
  | 'injected-faults'
  | 'unexplained-failures'
  | 'none';

export interface Change {
  rule: ChangeRule;
  /** The change, imperative: "Reuse connections (keep-alive)". */
  change: string;
  /** Why, with the figures that chose it. */
  why: string;
}

/** A finding rule: what the run showed about its phenomenon, or null when it has nothing to say. */
export type FindingOf = (result: RunResult) => Finding | null;
/** A change rule: the change its phenomenon calls for, or null when it did not happen. */
export type ChangeOf = (result: RunResult) => Change | null;
