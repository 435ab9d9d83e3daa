export { formatDuration, parseDuration } from './duration.js';
export { ScenarioError } from './errors.js';
export { scenarioJsonSchema, scenarioJsonSchemaText } from './json-schema.js';
export { loadScenarioFile, parseScenarioText } from './load.js';
export { applyOverrides } from './overrides.js';
export {
  CLOSE_MODES,
  SERVER_CLOSE_MODES,
  CLOSERS,
  DEFAULT_SYSCTLS,
  ISOLATIONS,
  HTTP_CLIENTS,
  HTTP_POLICIES,
  PROTOCOLS,
  scenarioSchema,
  type Scenario,
  type ScenarioInput,
} from './schema.js';
export { parseScenario } from './validate.js';
export { expandMatrix, MAX_VARIANTS, type Variant } from './matrix.js';
export type { MatrixValue } from './matrix-values.js';
