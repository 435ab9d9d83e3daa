// `twstorm states`: parse, call, print. The work is in src/states/.
// Two ways in, one behaviour: yargs (main.ts, for help and anything unusual) and the lean entry
// (states-entry.ts, util.parseArgs, no yargs). Both end in runStates(). Only what every
// invocation needs is imported here; the census, the netns re-exec and the duration parser load
// when the command runs, so the rest of the CLI does not pay for them either.
import { parseArgs } from 'node:util';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { STATE_NAMES, type TcpStateName } from '../observe/tcp-table.js';
import { GROUP_BYS, type GroupBy } from '../states/types.js';
import { EXIT } from './exit-codes.js';
import { say } from '../util/say.js';
import { jsonText } from '../util/json-text.js';
import { didYouMean } from '../util/suggest.js';
import { sayUsage } from './usage.js';

export interface StatesArgs {
  by?: GroupBy;
  state: string;
  top: number;
  watch?: string;
  count?: number;
  json: boolean;
  netns?: string;
}

/** The options' defaults, for both parsers. */
export const STATES_DEFAULTS = { state: 'TIME_WAIT', top: 10, json: false } as const;

/** "time-wait", "TIME_WAIT", "time_wait" → TIME_WAIT; "all" stays. */
export function parseStateName(text: string): TcpStateName | 'all' | undefined {
  const upper = text.trim().toUpperCase().replaceAll('-', '_');
  if (upper === 'ALL') return 'all';
  if (upper === 'ESTAB') return 'ESTABLISHED';
  return (STATE_NAMES as readonly string[]).includes(upper) ? (upper as TcpStateName) : undefined;
}

const WHOLE = /^\d+$/;

/**
 * The lean entry's parser: the arguments after `states`, read with node:util's parseArgs. It
 * takes only the plain forms (each option at most once, `--top`/`--count` a whole number, `--by`
 * one of GROUP_BYS, no positionals, no `--no-…`, no `--json=…`) and answers null for anything
 * else — help, a typo, a bad value, a repeated option — so that yargs (main.ts) reads it and
 * every usage error and default comes out exactly as `twstorm states --help` documents it.
 */
export function parseStatesArgvLean(argv: readonly string[]): StatesArgs | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      tokens: true,
      options: {
        by: { type: 'string' },
        state: { type: 'string' },
        top: { type: 'string' },
        watch: { type: 'string' },
        count: { type: 'string' },
        json: { type: 'boolean' },
        netns: { type: 'string' },
      },
    });
  } catch {
    return null;
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || seen.has(token.name)) return null;
    seen.add(token.name);
  }
  const { by, state, top, watch, count, json, netns } = parsed.values;
  if (by !== undefined && !(GROUP_BYS as readonly string[]).includes(by)) return null;
  if ((top !== undefined && !WHOLE.test(top)) || (count !== undefined && !WHOLE.test(count))) return null;
  return {
    state: state ?? STATES_DEFAULTS.state,
    top: top === undefined ? STATES_DEFAULTS.top : Number(top),
    json: json ?? STATES_DEFAULTS.json,
    ...(by !== undefined ? { by: by as GroupBy } : {}),
    ...(watch !== undefined ? { watch } : {}),
    ...(count !== undefined ? { count: Number(count) } : {}),
    ...(netns !== undefined ? { netns } : {}),
  };
}

/** A usage error as every command says one (usage.ts); it sets the exit code and returns, for the lean entry. */
function usage(message: string): void {
  sayUsage(message, 'states');
  process.exitCode = EXIT.USAGE;
}

/** The command itself, whichever parser read the command line. Sets process.exitCode. */
export async function runStates(args: StatesArgs): Promise<void> {
  if (args.netns !== undefined) {
    const { NETNS_ENTERED_ENV, NetnsError, reexecInNetns, resolveNetns } = await import('../environment/enter-netns.js');
    try {
      if (process.env[NETNS_ENTERED_ENV] === undefined) {
        const target = resolveNetns(args.netns);
        if (!target.alreadyInside) {
          process.exitCode = await reexecInNetns(target, process.argv.slice(2));
          return;
        }
      }
    } catch (err) {
      if (err instanceof NetnsError) {
        // A --netns that names nothing is the command line's mistake; one that cannot be entered is the machine's.
        if (err.usage) return usage(err.message);
        say(`${err.message}`);
        process.exitCode = EXIT.RUN_FAILED;
        return;
      }
      throw err;
    }
  }
  const state = parseStateName(args.state);
  // NEW_SYN_RECV is the kernel's internal name for a request socket: accepted, not offered.
  const offered = STATE_NAMES.filter((s) => s !== 'NEW_SYN_RECV');
  if (state === undefined) return usage(`--state ${args.state}: expected one of ${offered.join(', ')} or all${didYouMean(args.state.toUpperCase(), offered)}`);
  // Without --watch there is one look: a --count would be silently ignored.
  if (args.count !== undefined && args.watch === undefined) return usage(`--count ${args.count}: counts --watch refreshes; add --watch, or drop --count for one look`);
  const top = Math.floor(args.top);
  if (!Number.isFinite(top) || top < 1) return usage(`--top ${args.top}: expected a whole number of at least 1`);
  const title = args.netns !== undefined ? `TCP sockets in network namespace ${args.netns}` : 'TCP sockets in this network namespace';
  const options = { state, top, ...(args.by ? { by: args.by } : {}) };

  if (args.watch === undefined) {
    const { takeCensus } = await import('../states/census.js');
    const snap = await takeCensus(options);
    if (args.json) process.stdout.write(jsonText(snap));
    else {
      // The text renderer formats numbers with Intl (ICU data, tens of ms to load): text only.
      const { renderCensus } = await import('../states/render.js');
      process.stdout.write(`${renderCensus(snap, undefined, title)}\n`);
    }
    return;
  }
  const { parseDuration } = await import('../scenario/duration.js');
  let intervalMs: number;
  try {
    intervalMs = args.watch === '' ? 1000 : parseDuration(args.watch);
  } catch {
    return usage(`--watch ${args.watch}: expected an interval like 500ms or 2s`);
  }
  if (!(intervalMs >= 50)) return usage(`--watch ${args.watch}: the interval must be at least 50ms (each refresh reads the whole socket table)`);
  const count = args.count ?? Infinity;
  if (!(count >= 1)) return usage(`--count ${args.count}: expected a whole number of at least 1`);
  const { watchStates } = await import('../states/watch.js');
  const abort = new AbortController();
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    abort.abort();
  };
  // One stop often comes twice. A Ctrl-C reaches every process of the terminal's group, so under
  // --netns this one gets it from the terminal and again from the parent that re-executed it
  // (foreground.ts passes it on), and `timeout` or systemd signal the group too. The handler stays
  // until the end, and the end is process.exit() (below): a natural exit first closes Node's
  // signal handles, which puts back the default action, and a second signal arriving then killed
  // the process (the parent reported 130), or fell to interrupt.js ("interrupted", 130) once the
  // handler was removed. Either way a watch stopped as documented ended as if it had failed.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // --netns PID or NAME: when that process ends or that name is deleted, this watch would be
  // all that keeps the namespace (and its TIME_WAIT) alive, looking at a run that is over. It
  // ends too, and says why.
  const keeper = (await import('../environment/enter-netns.js')).namespaceKeeper();
  let keeperGone = false;
  const keeperCheck =
    keeper === undefined
      ? undefined
      : setInterval(() => {
          if (keeper.gone()) {
            keeperGone = true;
            abort.abort();
          }
        }, Math.min(intervalMs, 1000));
  try {
    await watchStates({
      ...options,
      intervalMs,
      count,
      mode: args.json ? 'json' : process.stdout.isTTY ? 'tty' : 'lines',
      signal: abort.signal,
      write: (text) => process.stdout.write(text),
      screen: () => ({ columns: process.stdout.columns, rows: process.stdout.rows }),
      title,
    });
  } finally {
    clearInterval(keeperCheck);
  }
  if (keeperGone) say(keeper!.goneText);
  // stdout and stderr are synchronous on Linux for files, pipes and terminals: nothing written is lost.
  if (stopped) process.exit(EXIT.OK);
}

/** What each string option takes, for the line that says one was given no value (main.ts). */
const VALUE_HINTS: Record<string, string> = {
  state: 'a TCP state like TIME_WAIT (or all)',
  netns: 'a namespace name or a PID',
};

export const statesCommand = {
  command: 'states',
  describe: 'Count TCP sockets per state (IPv4+IPv6) from the kernel; group TIME_WAIT by peer, port or process; --watch live',
  valueHints: VALUE_HINTS,
  // requiresArg on every option with a value, as parseStatesArgvLean refuses a missing one: a
  // bare `--top` or `--state` was the default, silently. Not --watch, whose value is optional (1s).
  builder: (y: Argv) =>
    y
      .option('by', { choices: GROUP_BYS, requiresArg: true, describe: 'Group the sockets in --state by this key, top N' })
      .option('state', {
        type: 'string',
        requiresArg: true,
        default: STATES_DEFAULTS.state,
        describe: `State that --by looks at: ${STATE_NAMES.filter((s) => s !== 'NEW_SYN_RECV').join(', ')} or all`,
      })
      .option('top', { type: 'number', requiresArg: true, default: STATES_DEFAULTS.top, describe: 'How many groups and destinations to show' })
      .option('watch', {
        type: 'string',
        describe: 'Refresh every interval (default 1s): in place on a terminal, one line per refresh when piped',
      })
      .option('count', { type: 'number', requiresArg: true, describe: 'With --watch: stop after this many refreshes' })
      .option('json', { type: 'boolean', default: STATES_DEFAULTS.json, describe: 'JSON (with --watch: one document per line)' })
      .option('netns', {
        type: 'string',
        requiresArg: true,
        // No command inside: wrapped at 80 columns it read "ip netns" / "list".
        describe: 'Look inside another network namespace: its name (a file in /run/netns) or the PID of a process in it (root)',
      })
      .example('$0 states', 'this host, per side')
      .example('$0 states --by remote', 'who holds the TIME_WAIT')
      .example('$0 states --by process --state ESTABLISHED', '')
      .example('$0 states --watch 500ms', 'live, with rates')
      .example('sudo $0 states --netns 4242 --json', ''),
  handler: (argv: ArgumentsCamelCase<StatesArgs>): Promise<void> => runStates(argv),
};
