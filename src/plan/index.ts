/** The capacity model: sustainable new-connection rate, exhaustion, TIME_WAIT; held against runs. */
export { computePlan, WIDEST_RANGE, type Closer, type PlanInputs, type PlanOutput } from './model.js';
export { planFromResult, type PlanFromResult, type PredictedVsMeasured } from './from-result.js';
export { readMachineFacts, twSockObjectSize, DEFAULT_TW_SOCK_BYTES } from './machine.js';
export { resolvePlanInputs, parseShare, PlanInputError, type PlanFlags } from './inputs.js';
export { renderPlan, renderPlanFromResult } from './render.js';
