import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/**
 * The published JSON Schema describes what a user writes (io: 'input'): durations as string or
 * number, defaults shown, so editors autocomplete and check scenario files as typed.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return { $schema, title: 'twstorm scenario', ...rest };
}

/** The exact bytes of schema/scenario.schema.json, shared by the writer and the drift test. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
