// A kebab-case option or field name camel-cased (`per-socket-range` → `perSocketRange`): the
// spelling yargs accepts for every option beside the one declared, and the scenario's own for
// its fields.
export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
