// A parsed YAML/JSON value that is a mapping (an object, not an array or null): what a
// scenario's raw fields, its --set overrides and its thresholds are read as before the schema.

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
