/** The capacity model: sustainable new-connection rate, exhaustion, TIME_WAIT; held against runs. */
export { computePlan, WIDEST_RANGE } from './model.js';
export type { Closer, PlanInputs, PlanOutput } from './types.js';
export { planFromResult, type PlanFromResult, type PredictedVsMeasured } from './from-result.js';
export { readMachineFacts, twSockObjectSize, DEFAULT_TW_SOCK_BYTES } from './machine.js';
export { resolvePlanInputs, parseShare, PlanInputError, type PlanFlags } from './inputs.js';
export { renderPlan, renderPlanFromResult } from './render.js';
