// The verdict: what a run showed, in plain words, and the one change that would help most.
// Every statement is derived from measured figures (census, counters, errors, port tracker);
// the scenario is quoted only as "what was asked", and checked against what happened.
//
// It is a table of rules, one phenomenon per file under verdict/ (each with its own test under
// test/report/verdict/): FINDINGS in the order the page shows them, CHANGES in priority order —
// the first that fires is the one change. To add a phenomenon, write its file and add it here.
import type { RunResult } from '../result/model.js';
import { closerFinding } from './verdict/close.js';
import { closeOnEofRule, closeWaitFinding } from './verdict/close-wait.js';
import { errorsFinding } from './verdict/errors.js';
import { requestsFinding } from './verdict/http-requests.js';
import { httpChurnRule } from './verdict/http-churn.js';
import { failedFinding, interruptedFinding } from './verdict/interrupted.js';
import { isolationFinding } from './verdict/isolation.js';
import { kernelFinding } from './verdict/kernel.js';
import { faultsFinding, faultsRule } from './verdict/faults.js';
import { assassinationFinding } from './verdict/tw-assassination.js';
import { listenBacklogRule } from './verdict/accept-queue.js';
import { nothingRule } from './verdict/nothing.js';
import { clientPortRule, portsFinding } from './verdict/port-exhaustion.js';
import { connectCliffFinding, connectScanRule } from './verdict/connect-cliff.js';
import { restartFinding, reuseAddrRule } from './verdict/restart.js';
import { rstRule } from './verdict/rst-close.js';
import { scheduleFinding } from './verdict/schedule.js';
import { socketsFinding } from './verdict/sockets.js';
import { timeWaitFinding } from './verdict/time-wait.js';
import { timeWaitDurationFinding } from './verdict/time-wait-duration.js';
import { finWait2Finding } from './verdict/fin-wait2.js';
import { twReuseFinding } from './verdict/tw-reuse.js';
import { overflowRule, serverTimeWaitRule } from './verdict/tw-buckets.js';
import type { Change, ChangeOf, Finding, FindingOf } from './verdict/types.js';
import { closeSentence } from './verdict/close.js';
import { routerFinding, routerRule } from './verdict/router.js';

export type { Change, ChangeRule, Finding, FindingRule } from './verdict/types.js';

export interface Verdict {
  /** One sentence: who closed and where TIME_WAIT landed (same as the terminal's first line). */
  headline: string;
  findings: Finding[];
  change: Change;
}

/** The findings, in the order they are shown. */
export const FINDINGS: readonly FindingOf[] = [
  // A failed run's cause first: every figure below is read against it.
  failedFinding,
  closerFinding,
  requestsFinding,
  // An open loop that fell short of its schedule: the figures below are of the load it made.
  scheduleFinding,
  timeWaitFinding,
  closeWaitFinding,
  timeWaitDurationFinding,
  finWait2Finding,
  portsFinding,
  twReuseFinding,
  connectCliffFinding,
  errorsFinding,
  restartFinding,
  socketsFinding,
  kernelFinding,
  routerFinding,
  faultsFinding,
  assassinationFinding,
  isolationFinding,
  interruptedFinding,
];

/**
 * The change rules, first match wins: a listener that could not bind, sockets leaked in
 * CLOSE_WAIT (an application that never closes after EOF), a routed lab's router that refused
 * flows (SNAT pool, conntrack table), client ports that ran out (or would,
 * at this rate), connect() slowed by the kernel's port scan, a full accept queue, TIME_WAIT
 * buckets overflowing, RST closes,
 * server-side TIME_WAIT that would outgrow tcp_max_tw_buckets, an HTTP run that opened more
 * connections than a keep-alive pool would need — else nothing.
 */
export const CHANGES: readonly ChangeOf[] = [
  reuseAddrRule,
  closeOnEofRule,
  routerRule,
  clientPortRule,
  connectScanRule,
  listenBacklogRule,
  overflowRule,
  rstRule,
  serverTimeWaitRule,
  httpChurnRule,
  faultsRule,
];

export function oneChange(result: RunResult): Change {
  for (const rule of CHANGES) {
    const change = rule(result);
    if (change !== null) return change;
  }
  return nothingRule(result);
}

export function verdict(result: RunResult): Verdict {
  const findings = FINDINGS.map((rule) => rule(result)).filter((f): f is Finding => f !== null);
  return { headline: closeSentence(result), findings, change: oneChange(result) };
}
