// Regenerates schema/scenario.schema.json: `node dist/src/scenario/write-json-schema.js [out]`.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema, scenarioJsonSchemaText } from './json-schema.js';
import { packageFile } from '../paths.js';

export { scenarioJsonSchema };

export const SCHEMA_FILE = packageFile('schema/scenario.schema.json');

export async function writeJsonSchema(out: string = SCHEMA_FILE): Promise<string> {
  await writeFile(out, scenarioJsonSchemaText());
  return out;
}

// Importing this module (e.g. from a test) must not rewrite the file; only running it does.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await writeJsonSchema(process.argv[2]);
  console.log(`wrote ${out}`);
}
