// The model's inputs at the Linux defaults, one destination, no rate, the timer taken as exact
// (no timerHz): what the plan specs start from and override.
import type { PlanInputs } from '../../src/plan/index.js';

export const DEFAULT_PLAN_INPUTS: PlanInputs = {
  portLow: 32768,
  portHigh: 60999,
  reservedPorts: 0,
  timeWaitSec: 60,
  sources: 1,
  destinations: 1,
  twReuse: 0,
  loopback: false,
  twReuseDelaySec: 1,
  keepAliveShare: 0,
  rate: null,
  maxTwBuckets: 262144,
  closer: 'client',
  bindBeforeConnect: false,
  twSockBytes: 256,
};
