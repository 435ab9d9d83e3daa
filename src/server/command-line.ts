// A server.command as a line the user wrote: which program it starts, whether that program can
// be found, and how to print it in a message. doctor asks these without starting anything, so
// they live apart from the machinery that runs the server (user-command.ts).
import { accessSync, constants, statSync } from 'node:fs';

/**
 * The program a server.command starts: an argv list's first element, or a command line's first
 * word when it is a plain word (no variable assignment, quoting or shell syntax before it).
 * Null when only the shell could tell.
 */
export function commandProgram(command: string | readonly string[]): string | null {
  const first = typeof command === 'string' ? command.trim().split(/\s+/)[0] ?? '' : command[0] ?? '';
  // A shell builtin or keyword ("cd srv && ./server", "ulimit -n … && nginx") is no file on $PATH.
  if (typeof command === 'string' && SHELL_WORDS.has(first)) return null;
  return /^[\w./+-]+$/.test(first) ? first : null;
}

/**
 * The programs every server.command is started under (user-command.ts): setpriv --pdeathsig ties
 * it to the run, unshare --pid gives it a PID namespace of its own, so nothing it starts outlives
 * the run. Both are util-linux's.
 */
export const COMMAND_WRAPPERS = ['setpriv', 'unshare'] as const;

/**
 * POSIX sh builtins and keywords a command line may start with (dash's, which /bin/sh is here).
 * Every one, not only the usual: `read -r PORT < port.txt; …` or `type nginx && nginx …` was
 * refused before the start as "read is not on $PATH, install it", a program no package has.
 */
const SHELL_WORDS = new Set([
  '.', ':', 'cd', 'command', 'eval', 'exec', 'export', 'readonly', 'set', 'source', 'trap', 'ulimit', 'umask', 'unset', 'wait',
  'if', 'for', 'while', 'until', 'case', '{', '(', '!', 'true', 'false', 'test', '[', 'echo', 'printf',
  'alias', 'unalias', 'bg', 'fg', 'jobs', 'break', 'continue', 'exit', 'return', 'shift', 'getopts', 'hash', 'type', 'local', 'read', 'times', 'kill', 'pwd',
]);

/** Whether `program` can be started as the shell would find it: a path that is executable, or a name on $PATH. */
export function programFound(program: string, path = process.env['PATH'] ?? ''): boolean {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return executable(program);
  return path.split(':').some((dir) => dir !== '' && executable(`${dir}/${program}`));
}

/** The fix for programs installed in `dirs` (":"-joined) that $PATH leaves out. */
export const addToPath = (dirs: string): string => `add ${dirs} to PATH (export PATH="$PATH:${dirs}")`;

/**
 * Where a plain program name that is not on `path` is installed anyway: the first sbin directory
 * holding it, or null. Debian gives users a $PATH without them (/usr/local/bin:/usr/bin:/bin),
 * and iproute2, nftables, conntrack and nginx install there: "install it" would be no fix.
 */
export function programOffPath(program: string, path = process.env['PATH'] ?? '', dirs: readonly string[] = ['/usr/local/sbin', '/usr/sbin', '/sbin']): string | null {
  if (program.includes('/') || programFound(program, path)) return null;
  return dirs.find((dir) => programFound(program, dir)) ?? null;
}

export function describeCommand(command: string | readonly string[]): string {
  return typeof command === 'string' ? command : command.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}
