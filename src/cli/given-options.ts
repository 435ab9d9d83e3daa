// Which long options the command line itself names. yargs fills every default into argv, so a
// check that must know what the user typed (an option that would be ignored) reads it here.
export function givenOptions(argv: readonly string[] = process.argv.slice(2)): Set<string> {
  return new Set(argv.flatMap((a) => (/^--([a-z][a-z-]*)(=|$)/.exec(a)?.[1] ?? []) as string[]));
}
