// Which long options the command line itself names. yargs fills every default into argv, so a
// check that must know what the user typed (an option that would be ignored) reads it here.
export function givenOptions(argv: readonly string[] = process.argv.slice(2)): Set<string> {
  // yargs takes --closeMode for --close-mode and --no-loopback for --loopback=false: named as the kebab-case option.
  const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/^no-/, '');
  return new Set(argv.flatMap((a) => {
    const name = /^--([a-zA-Z][a-zA-Z-]*)(=|$)/.exec(a)?.[1];
    return name === undefined ? [] : [kebab(name)];
  }));
}
