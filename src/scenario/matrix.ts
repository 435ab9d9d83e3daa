// Matrix expansion: one scenario with `matrix:` becomes one concrete scenario per combination
// of the listed values. Each variant is validated on its own, exactly as a `--set` would be, so
// a bad value is reported with its field path before anything runs.
import { ScenarioError } from './errors.js';
import { applyParsedOverrides, parseOverride } from './overrides.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { schemaAt } from './schema-walk.js';
import { parseScenario } from './validate.js';

export type MatrixValue = string | number | boolean | null;

export interface Variant {
  /** Field path → value for this variant, in the matrix's key order. */
  values: Record<string, MatrixValue>;
  /** "close.first=client close.client=rst": for tables and legends. */
  label: string;
  /** "client-rst": for file names. */
  slug: string;
  scenario: Scenario;
}

/** Past this many runs a matrix is more likely a typo than a plan; each run takes a namespace and its full bounds. */
export const MAX_VARIANTS = 64;

export function expandMatrix(scenario: Scenario, source: string): Variant[] {
  const keys = Object.keys(scenario.matrix);
  if (keys.length === 0) return [];
  const problems = keys
    .filter((key) => key.startsWith('matrix') || key.startsWith('thresholds') || key === 'name')
    .map((key) => `${source}: matrix.${key}: cannot vary ${key.split('.')[0]} in a matrix`);
  for (const key of keys) {
    if (!problems.some((p) => p.includes(`matrix.${key}:`)) && schemaAt(scenarioSchema, parseOverride(`${key}=0`).path) === undefined) {
      problems.push(`${source}: matrix.${key}: no such scenario field`);
    }
  }
  if (problems.length > 0) throw new ScenarioError(problems);

  const combos = keys.reduce<Array<Record<string, MatrixValue>>>(
    (acc, key) => acc.flatMap((combo) => scenario.matrix[key]!.map((value) => ({ ...combo, [key]: value }))),
    [{}],
  );
  if (combos.length > MAX_VARIANTS) {
    throw new ScenarioError([`${source}: matrix: ${combos.length} variants; at most ${MAX_VARIANTS} are run at once (split the matrix)`]);
  }
  const base = { ...scenario, matrix: {} };
  return combos.map((values) => {
    const label = Object.entries(values).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    const overrides = Object.entries(values).map(([key, value]) => ({ ...parseOverride(`${key}=0`), text: `${key}=${String(value)}`, value }));
    const raw = applyParsedOverrides(base, overrides);
    return {
      values,
      label,
      slug: Object.values(values).map((v) => String(v).replace(/[^A-Za-z0-9._-]+/g, '_')).join('-'),
      scenario: parseScenario(raw, `${source} (matrix variant ${label})`),
    };
  });
}
