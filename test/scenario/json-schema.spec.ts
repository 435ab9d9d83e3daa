import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../src/scenario/index.js';

// Compiled to dist/test/scenario/, three levels below the repository root.
const COMMITTED = new URL('../../../schema/scenario.schema.json', import.meta.url);

interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, Node>;
  additionalProperties?: boolean | Node;
  propertyNames?: Node;
  anyOf?: Node[];
  required?: string[];
}

test('the committed schema/scenario.schema.json is up to date', async () => {
  const committed = await readFile(COMMITTED, 'utf8');
  assert.equal(committed, scenarioJsonSchemaText(), 'run `npm run schema` and commit schema/scenario.schema.json');
});

test('the JSON Schema describes the input form editors see', () => {
  const schema = scenarioJsonSchema() as Node & { $schema?: string; title?: string };
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.title, 'twstorm scenario');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['name']);

  const props = schema.properties!;
  const close = props.close!;
  assert.equal(close.additionalProperties, false);
  assert.deepEqual(close.properties!.first!.enum, ['client', 'server', 'both']);
  assert.equal(close.properties!.first!.default, 'client');

  // Durations are typed as written (string or number), with the written default.
  assert.equal(props.duration!.default, '30s');
  assert.deepEqual(props.duration!.anyOf!.map((n) => n.type), ['string', 'number']);
  assert.deepEqual(props.rate!.anyOf!.map((n) => n.type), ['number', 'null']);

  assert.equal(props.environment!.properties!.sysctls!.propertyNames!.type, 'string');
});

test('every field in the JSON Schema has a description', () => {
  const missing: string[] = [];
  const visit = (node: Node, path: string): void => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (!child.description) missing.push(`${path}${key}`);
      visit(child, `${path}${key}.`);
    }
  };
  visit(scenarioJsonSchema() as Node, '');
  assert.deepEqual(missing, []);
});
