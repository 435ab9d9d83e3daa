// What the outer process hands to the run process it starts inside the namespace.
import type { Scenario } from '../scenario/index.js';
import type { Isolation } from '../environment/namespace.js';
import type { RunVariant } from '../metrics/result.js';

export interface RunJob {
  scenario: Scenario;
  variant: RunVariant | null;
  isolation: Isolation;
  /** How isolation was obtained (or why not), for the result. */
  how: string;
  /** Where the run process writes its result JSON. */
  resultPath: string;
}
