import { z } from 'zod';
import { scenarioSchema, sysctlKey } from './schema.js';
import { NAMESPACED_SYSCTLS } from './sysctls.js';

/**
 * The published JSON Schema describes what a user writes (io: 'input'): durations as string or
 * number, defaults shown, so editors autocomplete and check scenario files as typed.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(scenarioSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // The allow-list is a refinement in zod (for its "did you mean"); editors get it as an enum.
    override: (ctx) => {
      if (ctx.zodSchema === sysctlKey) ctx.jsonSchema.enum = Object.keys(NAMESPACED_SYSCTLS);
    },
  });
  const { $schema, ...rest } = generated;
  return { $schema, title: 'twstorm scenario', ...rest };
}

/** The exact bytes of schema/scenario.schema.json, shared by the writer and the drift test. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
