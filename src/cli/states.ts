// `twstorm states`: parse, call, print. The work is in src/states/.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { parseDuration } from '../scenario/duration.js';
import { NETNS_ENTERED_ENV, NetnsError, reexecInNetns, resolveNetns } from '../environment/enter-netns.js';
import { GROUP_BYS, STATE_NAMES, renderCensus, takeCensus, watchStates, type GroupBy } from '../states/index.js';
import type { TcpStateName } from '../observe/tcp-table.js';
import { EXIT } from './exit-codes.js';
import { say } from '../report/say.js';

interface StatesArgs {
  by?: GroupBy;
  state: string;
  top: number;
  watch?: string;
  count?: number;
  json: boolean;
  netns?: string;
}

/** "time-wait", "TIME_WAIT", "time_wait" → TIME_WAIT; "all" stays. */
export function parseStateName(text: string): TcpStateName | 'all' | undefined {
  const upper = text.trim().toUpperCase().replaceAll('-', '_');
  if (upper === 'ALL') return 'all';
  if (upper === 'ESTAB') return 'ESTABLISHED';
  return (STATE_NAMES as readonly string[]).includes(upper) ? (upper as TcpStateName) : undefined;
}

function usage(message: string): void {
  say(`${message}`);
  process.exitCode = EXIT.USAGE;
}

export const statesCommand = {
  command: 'states',
  describe: 'Count TCP sockets per state (IPv4+IPv6) from the kernel; group TIME_WAIT by peer, port or process; --watch live',
  builder: (y: Argv) =>
    y
      .option('by', { choices: GROUP_BYS, describe: 'Group the sockets in --state by this key, top N' })
      .option('state', {
        type: 'string',
        default: 'TIME_WAIT',
        describe: `State that --by looks at: ${STATE_NAMES.filter((s) => s !== 'NEW_SYN_RECV').join(', ')} or all`,
      })
      .option('top', { type: 'number', default: 10, describe: 'How many groups and destinations to show' })
      .option('watch', {
        type: 'string',
        describe: 'Refresh every interval (default 1s): in place on a terminal, one line per refresh when piped',
      })
      .option('count', { type: 'number', describe: 'With --watch: stop after this many refreshes' })
      .option('json', { type: 'boolean', default: false, describe: 'JSON (with --watch: one document per line)' })
      .option('netns', {
        type: 'string',
        describe: 'Look inside another network namespace: a name from "ip netns list" or a PID (root)',
      })
      .example('$0 states', 'this host, per side')
      .example('$0 states --by remote', 'who holds the TIME_WAIT')
      .example('$0 states --by process --state ESTABLISHED', '')
      .example('$0 states --watch 500ms', 'live, with rates')
      .example('sudo $0 states --netns 4242 --json', ''),
  handler: async (argv: ArgumentsCamelCase<StatesArgs>): Promise<void> => {
    try {
      const entered = process.env[NETNS_ENTERED_ENV];
      if (argv.netns !== undefined && entered === undefined) {
        const target = resolveNetns(argv.netns);
        if (!target.alreadyInside) {
          process.exitCode = await reexecInNetns(target, process.argv.slice(2));
          return;
        }
      }
      const state = parseStateName(argv.state);
      if (state === undefined) return usage(`--state ${argv.state}: expected one of ${STATE_NAMES.join(', ')} or all`);
      const top = Math.floor(argv.top);
      if (!Number.isFinite(top) || top < 1) return usage(`--top ${argv.top}: expected a whole number of at least 1`);
      const title = argv.netns !== undefined ? `TCP sockets in network namespace ${argv.netns}` : 'TCP sockets in this network namespace';
      const options = { state, top, ...(argv.by ? { by: argv.by } : {}) };

      if (argv.watch === undefined) {
        const snap = await takeCensus(options);
        process.stdout.write(argv.json ? `${JSON.stringify(snap, null, 1)}\n` : `${renderCensus(snap, undefined, title)}\n`);
        return;
      }
      let intervalMs: number;
      try {
        intervalMs = argv.watch === '' ? 1000 : parseDuration(argv.watch);
      } catch {
        return usage(`--watch ${argv.watch}: expected an interval like 500ms or 2s`);
      }
      if (!(intervalMs >= 50)) return usage(`--watch ${argv.watch}: the interval must be at least 50ms (each refresh reads the whole socket table)`);
      const count = argv.count ?? Infinity;
      if (!(count >= 1)) return usage(`--count ${argv.count}: expected a whole number of at least 1`);
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await watchStates({
          ...options,
          intervalMs,
          count,
          mode: argv.json ? 'json' : process.stdout.isTTY ? 'tty' : 'lines',
          signal: abort.signal,
          write: (text) => process.stdout.write(text),
          title,
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    } catch (err) {
      if (err instanceof NetnsError) {
        say(`${err.message}`);
        process.exitCode = err.usage ? EXIT.USAGE : EXIT.RUN_FAILED;
        return;
      }
      throw err;
    }
  },
};
