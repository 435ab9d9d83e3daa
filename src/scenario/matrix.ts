// Matrix expansion: one scenario with `matrix:` becomes one concrete scenario per combination
// of the listed values. Each variant is validated on its own, exactly as a `--set` would be, so
// a bad value is reported with its field path before anything runs.
import { ScenarioError } from './errors.js';
import { MAX_VARIANTS } from './limits.js';
import type { ParsedOverride } from './overrides.js';
import type { Scenario } from './schema.js';
import { matrixKeyProblems, parseVariant } from './validate.js';
import { matrixCombinations, tooManyVariants, variantCount, variantLabel, variantRaw, variantSlug, type MatrixValue } from './matrix-values.js';

export interface Variant {
  /** Field path → value for this variant, in the matrix's key order. */
  values: Record<string, MatrixValue>;
  /** "close.first=client close.client=rst": for tables and legends. */
  label: string;
  /** "client-rst": for file names; distinct among a matrix's variants (a "-2" where two would meet). */
  slug: string;
  scenario: Scenario;
}

export { MAX_VARIANTS };

export function expandMatrix(scenario: Scenario, source: string): Variant[] {
  const keys = Object.keys(scenario.matrix);
  if (keys.length === 0) return [];
  const problems = matrixKeyProblems(keys, source);
  if (problems.length > 0) throw new ScenarioError(problems);

  const count = variantCount(scenario.matrix);
  if (count > MAX_VARIANTS) throw new ScenarioError([tooManyVariants(source, count)]);
  // A parsed target is an object; a variant is parsed again from what the user wrote.
  const base = { ...scenario, matrix: {}, target: scenario.target?.text ?? null };
  const combos = matrixCombinations(scenario.matrix);
  const slugs = distinctSlugs(combos.map(variantSlug));
  const variants: Variant[] = [];
  // Every bad variant at once, not the first (the loader has judged them already; this is for
  // a scenario changed since, as a shard is).
  const bad: string[] = [];
  combos.forEach((values, i) => {
    const label = variantLabel(values);
    try {
      variants.push({ values, label, slug: slugs[i]!, scenario: parseVariant(variantRaw(base, values), `${source} (matrix variant ${label})`) });
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      bad.push(...err.problems);
    }
  });
  if (bad.length > 0) throw new ScenarioError([...new Set(bad)]);
  return variants;
}

/**
 * Slugs made distinct: values that differ only where a file name cannot ("40000 40499" and
 * "40000  40499" both give 40000_40499) would write their results to one file name, the later
 * over the earlier when both finish in the same second. A repeat gets "-2", "-3"… (skipping
 * any slug already taken).
 */
function distinctSlugs(slugs: readonly string[]): string[] {
  const taken = new Set<string>();
  return slugs.map((slug) => {
    let unique = slug;
    for (let n = 2; taken.has(unique); n++) unique = `${slug}-${n}`;
    taken.add(unique);
    return unique;
  });
}

/**
 * `--set close.first=server` on a scenario whose matrix varies close.first would be silently
 * overwritten by every variant. Refuse it, naming the matrix key and the two ways to say what
 * was meant: narrow the matrix (--set "matrix.close.first=[server]") or drop it
 * (--set "matrix={}"). A `--set` that itself changes the matrix is applied first and wins, and a
 * key it narrows still varies: `--set "matrix.close.first=[server]" --set close.first=client`
 * ran close.first=server without a word (an audit), so it is refused too, pointing at the
 * narrowed key.
 */
export function matrixOverrideProblems(raw: Record<string, unknown>, overrides: readonly ParsedOverride[], sources?: ReadonlyMap<string, string>): string[] {
  // A --set of the whole matrix replaces it: judge the other --set against the new one.
  const replaced = overrides.findLast((o) => o.path[0] === 'matrix' && o.path.length === 1);
  const base = replaced ? replaced.value : raw['matrix'];
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return [];
  // The matrix the run would expand: the file's (or the replacement), with each narrowed key's new values.
  const matrix: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  const narrowed = new Set<string>();
  for (const o of overrides) {
    if (o.path[0] !== 'matrix' || o.path.length !== 2) continue;
    matrix[String(o.path[1])] = o.value;
    narrowed.add(String(o.path[1]));
  }
  const problems: string[] = [];
  for (const o of overrides) {
    if (o.path[0] === 'matrix') continue;
    const set = o.path.join('.');
    for (const [key, values] of Object.entries(matrix)) {
      // Either path inside the other: --set close=… against matrix close.first, or the reverse.
      if (key === set || key.startsWith(`${set}.`) || set.startsWith(`${key}.`)) {
        const shown = Array.isArray(values) ? ` (${values.map(String).join(', ')})` : '';
        // A flag that became this override is named as typed (--isolation host).
        const flag = sources?.get(o.text);
        const given = flag === undefined ? `--set ${o.text}` : `${flag} ${String(o.value)}`;
        // Narrowed already: the value belongs in the narrowing, which is what the run varies.
        const scalar = o.value === null || typeof o.value !== 'object';
        const narrow = narrowed.has(key)
          ? `give the value in the matrix instead, --set "matrix.${key}=[${key === set && scalar ? String(o.value) : '…'}]",`
          : `narrow the matrix with --set "matrix.${key}=[…]"`;
        problems.push(`${given}: the matrix varies ${key}${shown}, which would override it in every variant; ${narrow} or drop it with --set "matrix={}"`);
      }
    }
  }
  return problems;
}

