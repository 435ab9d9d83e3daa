// Both error messages ("known: first, client…") and --set paths need to know what the schema
// expects at a given path. Walking the one schema keeps them from drifting from it.
import { z } from 'zod';

export type PathSegment = string | number;

/** Strips wrappers that do not change the shape of the input (defaults, nullability, transforms). */
function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
}

/** The schema expecting the value at `path`, or undefined where the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(root);
  for (const segment of path) {
    if (current instanceof z.ZodObject) {
      const shape = current.shape as Record<string, z.ZodType>;
      const next = typeof segment === 'string' && Object.hasOwn(shape, segment) ? shape[segment] : undefined;
      current = next && unwrap(next);
    } else if (current instanceof z.ZodRecord) {
      current = unwrap(current.valueType as z.ZodType);
    } else if (current instanceof z.ZodArray && typeof segment === 'number') {
      current = unwrap(current.element as z.ZodType);
    } else {
      return undefined;
    }
    if (!current) return undefined;
  }
  return current;
}

/** Field names of the object at `path`, for "unknown field (known: …)" hints. */
export function knownKeysAt(root: z.ZodType, path: readonly PathSegment[]): string[] {
  const target = schemaAt(root, path);
  return target instanceof z.ZodObject ? Object.keys(target.shape) : [];
}

export function isRecordAt(root: z.ZodType, path: readonly PathSegment[]): boolean {
  return schemaAt(root, path) instanceof z.ZodRecord;
}
