// A matrix as values: its combinations, how each is named (label, file-name slug, result
// stem), and the raw scenario each one makes. Pure: the loader judges every variant with these
// (validate.ts) and the expansion (matrix.ts) builds on them, so neither imports the other.
import { MAX_VARIANTS } from './limits.js';
import { applyParsedOverrides, parseOverride } from './overrides.js';

export type MatrixValue = string | number | boolean | null;


/** How many variants a matrix makes: the product of its lists' lengths. */
export function variantCount(matrix: Record<string, readonly unknown[]>): number {
  return Object.values(matrix).reduce((n, values) => n * values.length, 1);
}

export function tooManyVariants(source: string, count: number): string {
  return `${source}: matrix: ${count} variants; at most ${MAX_VARIANTS} are run at once (split the matrix)`;
}

/** Every combination of the matrix's values, in key order (the last key varies fastest). */
export function matrixCombinations(matrix: Record<string, readonly MatrixValue[]>): Array<Record<string, MatrixValue>> {
  return Object.keys(matrix).reduce<Array<Record<string, MatrixValue>>>(
    (acc, key) => acc.flatMap((combo) => matrix[key]!.map((value) => ({ ...combo, [key]: value }))),
    [{}],
  );
}

/** "close.first=client close.client=rst": for tables, legends and problem lines. */
export function variantLabel(values: Record<string, MatrixValue>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${String(v)}`).join(' ');
}

/** The raw scenario a variant runs: `base` (without a matrix) with the variant's values set, as `--set` would set them. */
export function variantRaw(base: unknown, values: Record<string, MatrixValue>): unknown {
  const overrides = Object.entries(values).map(([key, value]) => ({ ...parseOverride(`${key}=0`), text: `${key}=${String(value)}`, value }));
  return applyParsedOverrides(base, overrides);
}

/** A variant's values as a file-name part: "client-fin" for { close.first: client, close.client: fin }. */
export function variantSlug(values: Record<string, unknown>): string {
  return Object.values(values).map((v) => String(v).replace(/[^A-Za-z0-9._-]+/g, '_')).join('-');
}

/** A run's file name without the timestamp and extension: the scenario, and the variant's slug. */
export function resultStem(scenario: { name: string }, variant: { slug: string } | null): string {
  return variant ? `${scenario.name}-${variant.slug}` : scenario.name;
}
