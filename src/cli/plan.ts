// `twstorm plan`: parse, call, print. Capacity from the model, or held against a measured run.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { readResult, ResultFileError } from '../result/index.js';
import { partialSplit } from '../result/provenance.js';
import { computeNatLimit, renderNatLimit, type NatLimit, type NatLimitInputs } from '../plan/nat-limit.js';
import { CONNTRACK_TIME_WAIT_SECONDS } from '../tcp-facts.js';
import { computePlan, planFromResult, PlanInputError, renderPlan, renderPlanFromResult, resolvePlanInputs, type Closer } from '../plan/index.js';
import { EXIT } from './exit-codes.js';
import { givenOptions } from './given-options.js';
import { say } from '../util/say.js';
import { jsonText } from '../util/json-text.js';
import { usageExit } from './usage.js';

interface PlanArgs {
  'nat-pool'?: string;
  'conntrack-time-wait': number;
  'port-range'?: string;
  'reserved-ports'?: string;
  'time-wait'?: number;
  sources?: number;
  destinations?: number;
  'tw-reuse'?: number;
  timestamps?: number;
  'per-socket-range'?: boolean;
  loopback?: boolean;
  'keep-alive'?: string;
  rate?: number;
  'max-tw-buckets'?: number;
  closer?: Closer;
  'bind-before-connect'?: boolean;
  'tw-sock-bytes'?: number;
  hz?: number;
  from?: string;
  json: boolean;
}

/** A result file --from cannot use: its line says what to pass; the help would add nothing. */
function badResult(message: string): never {
  say(`${message}`);
  process.exit(EXIT.USAGE);
}

/** The model's inputs: --from takes every one of them from the result. */
const MODEL_INPUTS = ['port-range', 'reserved-ports', 'time-wait', 'sources', 'destinations', 'tw-reuse', 'timestamps', 'per-socket-range', 'loopback', 'keep-alive', 'rate', 'max-tw-buckets', 'closer', 'bind-before-connect', 'tw-sock-bytes', 'hz', 'nat-pool', 'conntrack-time-wait'];

/** The options that take a number, as the command line names them. */
const NUMBER_OPTIONS = ['rate', 'time-wait', 'sources', 'destinations', 'tw-reuse', 'timestamps', 'max-tw-buckets', 'tw-sock-bytes', 'hz', 'conntrack-time-wait'];

/** An option that would be ignored is refused, so a plan never silently answers another question. */
function checkPlanArgs(argv: Record<string, unknown>): true | string {
  const given = givenOptions();
  // yargs reads a bare `--rate` as no rate (a capacity-only answer) and `--rate=` as 0: both
  // answer another question than the one asked.
  const raw = process.argv.slice(2);
  for (const name of NUMBER_OPTIONS) {
    if (!given.has(name)) continue;
    const value = argv[name];
    if (typeof value !== 'number' || Number.isNaN(value) || raw.includes(`--${name}=`)) return `--${name}: expected a number after it, got none`;
  }
  if (given.has('from') && argv['from'] === '') return '--from: expected a result JSON file after it, got none';
  if (given.has('keep-alive') && argv['rate'] === undefined) return '--keep-alive is a share of the offered rate: give --rate too';
  if (argv['from'] !== undefined) {
    const ignored = MODEL_INPUTS.filter((name) => given.has(name)).map((n) => `--${n}`);
    if (ignored.length > 0) return `--from takes every input from the result, so ${ignored.join(', ')} would be ignored: drop ${ignored.length > 1 ? 'them' : 'it'}, or leave out --from to model ${ignored.length > 1 ? 'them' : 'it'}`;
  }
  if (given.has('conntrack-time-wait') && argv['nat-pool'] === undefined) return '--conntrack-time-wait is the NAT model\'s: give --nat-pool too';
  if (given.has('conntrack-time-wait') && argv['closer'] === 'rst') return '--conntrack-time-wait is not used with --closer rst: an RST leaves the router\'s entry in CLOSE (nf_conntrack_tcp_timeout_close, 10 s), not TIME_WAIT; drop it';
  return true;
}

/** What each string option takes, for the line that says one was given no value (main.ts). */
const VALUE_HINTS: Record<string, string> = {
  'port-range': 'ports like "32768 60999"',
  'reserved-ports': 'ports like 8080,40000-40199 (or "" for none)',
  'keep-alive': 'a share like 80%',
  from: 'a result JSON file',
  'nat-pool': 'ADDRESSESxPORTS like 1x100',
};

export const planCommand = {
  command: 'plan',
  describe: 'Capacity model: sustainable new connections/s, time to port exhaustion, TIME_WAIT and its memory',
  valueHints: VALUE_HINTS,
  // requiresArg on every option with a value: without it a bare `--rate` (last, or before another
  // option) was no rate at all, and the plan answered another question than the one asked.
  builder: (y: Argv) =>
    y
      .option('port-range', { type: 'string', requiresArg: true, describe: 'Ephemeral ports "LOW HIGH", LOW at or above net.ipv4.ip_unprivileged_port_start (default: this machine\'s ip_local_port_range)' })
      .option('reserved-ports', { type: 'string', requiresArg: true, describe: 'net.ipv4.ip_local_reserved_ports, e.g. "8080,40000-40199"; "" for none (default: this machine\'s)' })
      .option('time-wait', { type: 'number', requiresArg: true, describe: 'TIME_WAIT length in seconds (Linux: fixed 60)' })
      .option('sources', { type: 'number', requiresArg: true, describe: 'Client source addresses the connections are spread over (default 1)' })
      .option('destinations', { type: 'number', requiresArg: true, describe: 'Distinct destination IP:port pairs (default 1)' })
      .option('tw-reuse', { type: 'number', requiresArg: true, choices: [0, 1, 2], describe: 'net.ipv4.tcp_tw_reuse (default: this machine\'s)' })
      .option('timestamps', { type: 'number', requiresArg: true, choices: [0, 1, 2], describe: 'net.ipv4.tcp_timestamps: 0 turns every TIME_WAIT reuse off (default: this machine\'s)' })
      .option('per-socket-range', { type: 'boolean', describe: 'The port range is set per socket (IP_LOCAL_PORT_RANGE): walked port by port, no parity half' })
      .option('loopback', { type: 'boolean', describe: 'Destinations are loopback (tcp_tw_reuse=2 then applies)' })
      .option('keep-alive', { type: 'string', requiresArg: true, describe: 'Share of requests that reuse a connection: "80%" or 0.8 (default 0)' })
      .option('rate', { type: 'number', requiresArg: true, describe: 'Offered requests/s (new connections/s with no keep-alive)' })
      .option('max-tw-buckets', { type: 'number', requiresArg: true, describe: 'net.ipv4.tcp_max_tw_buckets (default: this machine\'s)' })
      .option('closer', {
        choices: ['client', 'server', 'rst'] as const,
        requiresArg: true,
        describe: 'Who closes first: client (TIME_WAIT on the client), server, or rst (client aborts, no TIME_WAIT)',
      })
      .option('bind-before-connect', { type: 'boolean', describe: 'The client bind()s a source address before connect() without IP_BIND_ADDRESS_NO_PORT: ports shared by all destinations, held 60 s whatever tcp_tw_reuse says' })
      .option('tw-sock-bytes', { type: 'number', requiresArg: true, describe: 'Kernel memory per TIME_WAIT socket (default: tw_sock_TCP from /proc/slabinfo, else 256)' })
      .option('hz', { type: 'number', requiresArg: true, describe: "The kernel's CONFIG_HZ: its timer wheel ends a TIME_WAIT up to a granule late (2.048 s at 250, 4.096 s at 1000, 5.12 s at 100) (default: this machine's, else the worst)" })
      .option('from', { type: 'string', requiresArg: true, describe: 'Take the inputs from a result JSON and print predicted vs measured' })
      .option('nat-pool', { type: 'string', requiresArg: true, describe: 'SNAT pool in front of the destinations: ADDRESSESxPORTS, e.g. 1x100 or 4x64512' })
      .option('conntrack-time-wait', { type: 'number', requiresArg: true, default: CONNTRACK_TIME_WAIT_SECONDS, describe: 'With --nat-pool: nf_conntrack_tcp_timeout_time_wait in seconds (--closer rst: the CLOSE timeout, 10 s, applies instead)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON instead of text' })
      .check(checkPlanArgs)
      .example('$0 plan --rate 2000', 'do 2,000 connections/s fit?')
      .example('$0 plan --rate 2000 --sources 4 --keep-alive 50%', '')
      .example('$0 plan --rate 2000 --nat-pool 1x1000', '')
      .example('$0 plan --from reports/<result>.json', ''),
  handler: async (argv: ArgumentsCamelCase<PlanArgs>): Promise<void> => {
    if (argv.from !== undefined) {
      let result;
      try {
        result = await readResult(argv.from);
      } catch (err) {
        if (err instanceof ResultFileError) badResult(err.message);
        throw err;
      }
      // The model reads the scenario's ports and load, a partial merge's scenario is the whole
      // split's and its figures the present shards' (a review: 2 of 3 shards of 900 ports were
      // predicted to run out at 450 ms, measured 300 ms).
      const partial = partialSplit(result);
      if (partial !== null) {
        badResult(`${argv.from} merges ${partial.present} of the ${partial.count} shards of a split (merge --partial): its figures are theirs, its scenario the whole's, so a plan would hold one against the other; run plan --from on the complete merge, or on one shard's result`);
      }
      const comparison = planFromResult(result);
      process.stdout.write(argv.json ? jsonText(comparison) : `${renderPlanFromResult(comparison, argv.from)}\n`);
      return;
    }
    let resolved;
    try {
      resolved = await resolvePlanInputs(argv);
    } catch (err) {
      if (err instanceof PlanInputError) usageExit(err.message, 'plan');
      throw err;
    }
    const plan = computePlan(resolved.inputs);
    let nat: { inputs: NatLimitInputs; limit: NatLimit } | null = null;
    const natPool = argv['nat-pool'];
    if (natPool !== undefined) {
      const m = /^(\d+)x(\d+)$/.exec(natPool);
      const ctTw = argv['conntrack-time-wait'];
      if (!m || Number(m[1]) < 1 || Number(m[2]) < 1 || Number(m[2]) > 65535) usageExit(`--nat-pool: expected ADDRESSESxPORTS like 1x100, got ${JSON.stringify(natPool)}`, 'plan');
      if (!(ctTw > 0)) usageExit(`--conntrack-time-wait: expected seconds > 0, got ${ctTw}`, 'plan');
      const inputs: NatLimitInputs = {
        poolAddresses: Number(m![1]),
        poolPorts: Number(m![2]),
        destinations: resolved.inputs.destinations,
        // Each source address is translated to one pool address (nat-limit.ts).
        sources: resolved.inputs.sources,
        conntrackTimeWaitSec: ctTw,
        // An RST close leaves the router's entry in CLOSE (10 s), not TIME_WAIT.
        rst: resolved.inputs.closer === 'rst',
        newConnPerSec: plan.newConnPerSec,
      };
      nat = { inputs, limit: computeNatLimit(inputs) };
    }
    process.stdout.write(
      argv.json
        ? jsonText({ ...resolved, plan, ...(nat ? { nat } : {}) })
        : `${renderPlan(resolved.inputs, resolved.sources, plan)}${nat ? renderNatLimit(nat.inputs, nat.limit) : ''}\n`,
    );
  },
};
