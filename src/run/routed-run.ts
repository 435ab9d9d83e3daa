// A run in the routed lab (`environment.topology: routed`), from inside the run's namespace,
// which is the router:
//   build the lab → NAT / conntrack in the router → the server in the server host →
//   one driver per client host (a copy of the run process entered into that host's namespace,
//   loading the server host as an external target) → observers in the server host (census,
//   counters) and in the router (conntrack) → one result with a breakdown per host.
// Every client host's figures come from its own namespace, so TIME_WAIT per side and per host
// is read, not guessed from port numbers.
import { spawn } from 'node:child_process';
import { defaultMaxListeners, setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Scenario } from '../scenario/index.js';
import { DEFAULT_SYSCTLS, inWriteOrder, routerSysctls } from '../scenario/sysctls.js';
import { setInterruptedBy, stopMessage, type FromRun, type RunJob, type ToRun } from './job.js';
import type { RunResult, StopReason } from '../result/model.js';
import { startSamplerWorker, type KernelSample } from '../observe/index.js';
import { conntrackDeltas, watchConntrack } from '../observe/conntrack.js';
import { startServerProcess, type ServerProcess } from '../server/process.js';
import { startOwnServer } from '../server/own-server.js';
import type { ServerConfig } from '../server/protocol.js';
import { buildRoutedLab, TopologyError, type LabHost, type RoutedLab } from '../environment/topology/routed.js';
import { applyNat, enableConntrack, natPoolSize, type NatSpec } from '../environment/topology/nat.js';
import { natPool } from '../environment/topology/addresses.js';
import { applyConntrackLimit, readConntrackLimitDrops } from '../environment/topology/conntrack-limit.js';
import { writeSysctl } from '../environment/sysctl.js';
import { applyFaults } from '../environment/faults.js';
import { readFaultCounts } from '../observe/faults.js';
import { entryFile } from '../paths.js';
import { ownNodeEnv } from '../util/own-node-env.js';
import { waitForServerToSettle } from './settle.js';
import type { LabFacts, LabResult } from '../result/lab.js';
import { exhaustedAfterMs, peakOf } from '../result/figures.js';
import { parsePortRange } from '../scenario/port-range.js';
import { say } from '../util/say.js';
import { loadStartedNote } from './progress.js';
import type { ServerStats } from '../server/stats.js';
import { lostBytes } from '../result/build.js';
import { composeLabResult, serverHostSeries } from '../result/build-lab.js';
import { loadCount, workUnit } from '../scenario/work.js';
import { markFailed, watchServer } from './server-death.js';
import { endpoint } from '../util/format.js';
import { roundMs } from '../util/round.js';

const INSIDE_ENTRY = entryFile('cli/inside-entry.js');


function natSpec(scenario: Scenario): NatSpec | null {
  const nat = scenario.environment.router.nat;
  if (nat === null) return null;
  // Validated by the schema: a range parsePortRange reads.
  const { low, high } = parsePortRange(nat.ports)!;
  return { addresses: nat.addresses, ports: [low, high], randomFully: nat.randomFully };
}

/** The scenario a client host's run process gets: the server host as its external target. */
export function clientScenario(scenario: Scenario, serverAddress: string): Scenario {
  const env = scenario.environment;
  const text = endpoint(serverAddress, scenario.server.port);
  return {
    ...scenario,
    target: { text, host: serverAddress, port: scenario.server.port, loopback: false },
    allowRemoteTarget: true,
    server: { ...scenario.server, command: null },
    matrix: {},
    thresholds: {},
    // The router applies them, on the path between the hosts (executeRoutedRun).
    faults: [],
    environment: {
      ...env,
      isolation: 'host',
      topology: 'loopback',
      // Written by the lab into the client host; the run process only reads them back.
      sysctls: { ...env.sysctls, ...env.client.sysctls },
    },
  };
}

/** A client host's driver: its outcome, when its load is ready to start, and its 'go'. */
interface ClientHostRun {
  /** Settles true when the host said 'ready', false when it ended without (the others need not wait for it). */
  ready: Promise<boolean>;
  go(): void;
  done: Promise<{ host: LabHost; result: RunResult | null; stderr: string; code: number | null }>;
}

function runClientHost(lab: RoutedLab, host: LabHost, job: RunJob, signal: AbortSignal): ClientHostRun {
  // The result comes back over the channel (resultPath null): a scratch file would need a
  // directory on the host, which a SIGKILLed run could not remove. Its load starts on the lab's
  // 'go' (startTogether), once every host is ready.
  const hostJob: RunJob = { ...job, isolation: 'host', how: `routed lab, client host ${host.name}`, resultPath: null, progress: false, startTogether: true };
  const [command, ...prefix] = lab.enter(host);
  // The job travels over the IPC channel, as for every run process (src/run/job.ts); the
  // channel is also its lifeline: the host's driver stops when this process goes.
  const child = spawn(command!, [...prefix, process.execPath, ...process.execArgv, INSIDE_ENTRY, '__inside'], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
    env: ownNodeEnv(),
  });
  const send = (message: ToRun): void => {
    if (child.connected) child.send(message, (err) => void err);
  };
  send({ type: 'job', job: hostJob });
  let result: RunResult | null = null;
  let readied: (said: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => (readied = resolve));
  child.on('message', (message: FromRun) => {
    if (message.type === 'result') result = message.result;
    else if (message.type === 'ready') readied(true);
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const stop = (): void => send(stopMessage(signal.reason));
  signal.addEventListener('abort', stop, { once: true });
  // A Ctrl-C while the lab was being built has fired already: 'abort' comes only once, so the
  // driver is told now, and it writes its (empty) partial result at once, as a run on one
  // loopback does for a load that never started.
  if (signal.aborted) stop();
  const done = (async () => {
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(null));
      child.once('close', (c) => resolve(c));
    });
    readied(false);
    signal.removeEventListener('abort', stop);
    return { host, result, stderr, code };
  })();
  return { ready, go: () => send({ type: 'go' }), done };
}

export async function executeRoutedRun(
  job: RunJob,
  signal: AbortSignal,
  serverConfig: (scenario: Scenario) => ServerConfig,
): Promise<LabResult> {
  const { scenario } = job;
  const env = scenario.environment;
  if (env.router.conntrack?.max != null) {
    throw new TopologyError(
      'environment.router.conntrack.max: Linux lets only the host\'s network namespace change nf_conntrack_max (read-only in any other), and twstorm never changes host settings; leave it out, or emulate a full table with conntrack.limit',
    );
  }
  const startedAt = new Date();
  const epochMs = performance.timeOrigin + performance.now();
  const clock = (): number => performance.timeOrigin + performance.now() - epochMs;
  const base = { ...DEFAULT_SYSCTLS, ...env.sysctls };
  const lab = await buildRoutedLab({
    clients: env.clients,
    sysctls: { client: { ...base, ...env.client.sysctls }, server: { ...base, ...env.server.sysctls }, router: {} },
    signal,
  });
  let server: ServerProcess | undefined;
  let serverSampler: ReturnType<typeof startSamplerWorker> | undefined;
  let conntrack: ReturnType<typeof watchConntrack> | undefined;
  try {
    const nat = natSpec(scenario);
    // A rule that uses conntrack comes first: the router's netfilter sysctls apply to a live table.
    if (nat) await applyNat(nat, lab.server.addresses.routerIfname);
    else await enableConntrack();
    const limit = env.router.conntrack?.limit ?? null;
    if (limit !== null) await applyConntrackLimit(limit);
    // environment.sysctls are every host's, the router's too (its net.netfilter.* ones act there
    // alone: an audit set nf_conntrack_tcp_timeout_time_wait there and the router kept 120 s).
    for (const [key, value] of inWriteOrder(routerSysctls(env))) await writeSysctl(key, value);
    // After the sysctls: final-ack is told apart by the router's conntrack timeouts in force.
    await applyFaults(scenario.faults, [scenario.server.port], 'netns', 'forward');

    const serverAddress = env.ipv6 ? lab.server.addresses.v6 : lab.server.addresses.v4;
    const procRoot = `/proc/${lab.server.pid}`;
    const bindHost = env.ipv6 ? '::' : '0.0.0.0';
    const inServer = { ...scenario, server: { ...scenario.server, host: bindHost } };
    const userServer = await startOwnServer(inServer, job.resultPath ?? '', { enter: lab.enter(lab.server), procRoot, signal, reachedFromOutside: env.ipv6 ? 6 : 4 });
    server = userServer ?? (await startServerProcess(serverConfig(inServer), 10_000, lab.enter(lab.server)));
    serverSampler = startSamplerWorker({ sampleMs: scenario.sample, censusMs: scenario.census, serverPorts: [scenario.server.port], epochMs, root: procRoot });
    await serverSampler.ready;
    conntrack = watchConntrack(scenario.census, clock);

    const derived = clientScenario(scenario, serverAddress);
    // The client hosts' drivers stop on Ctrl-C and when the server dies, as on one loopback
    // (server-death.ts): a server host with nothing listening refuses every SYN with a RST, and
    // the drivers would record the rest of the load as ECONNREFUSED, measured.
    const watch = watchServer(server.died, signal);
    // One 'abort' listener per client host's driver (runClientHost): 64 hosts are not a leak.
    setMaxListeners(Math.max(defaultMaxListeners, lab.clients.length + 10), watch.load);
    // Each host's process takes its own time to start (0.3-1.2 s apart on 2 CPUs, measured):
    // started as each was ready, several-clients' first host had run out of ports before the
    // last one began, and no two hosts' loads met at the router. They start on one 'go'.
    const hosts = lab.clients.map((host) => runClientHost(lab, host, { ...job, scenario: derived }, watch.load));
    let releasedAtMs: number | undefined;
    void Promise.all(hosts.map((h) => h.ready)).then((said) => {
      releasedAtMs = roundMs(clock());
      // Each client host's driver speaks on its own stderr (kept for its failure); the run says
      // once what starts, as every run does ("load started", README), when it does: said as the
      // hosts' processes were spawned, it came 1-2 s before their loads on a busy machine, and a
      // Ctrl-C on it (an audit) found no connection made. Not when a host ended unready.
      if (!watch.load.aborted && said.every(Boolean)) say(loadStartedNote({ count: loadCount(scenario), unit: workUnit(scenario), durationMs: scenario.duration }, lab.clients.length));
      for (const h of hosts) h.go();
    });
    const runs = await Promise.all(hosts.map((h) => h.done));
    const failed = runs.find((r) => r.result === null);
    if (failed) {
      throw new TopologyError(
        `the driver in client host ${failed.host.name} ${failed.code === null ? 'could not start' : `exited with code ${failed.code}`} without a result: ${failed.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    // As on one loopback (src/run/settle.ts): the server host's census waits for the bundled
    // server to have closed what the client hosts' FINs asked it to.
    // Not once the load was cut short: a dead server has nothing to settle.
    if (!userServer && !watch.load.aborted) await waitForServerToSettle(server, scenario.close.server === 'never', signal);
    const serverSamples = await serverSampler.stop();
    serverSampler = undefined;
    const conntrackSamples = await conntrack.stop();
    conntrack = undefined;
    const limitFacts = limit === null ? {} : { limit: { max: limit, droppedSyns: await readConntrackLimitDrops() } };
    const faults = await readFaultCounts(scenario.faults);
    // The server host's own counts: the client hosts loaded it as an external target and counted none.
    const serverStats: ServerStats | null = await server.stop().catch(() => null);
    const own = (server as { facts?: () => unknown }).facts?.();
    server = undefined;
    const deathFailure = await watch.settle();

    const serverCensus = serverSamples.filter((x): x is KernelSample & { census: NonNullable<KernelSample['census']> } => x.census !== undefined);
    const first = serverSamples[0]?.counters ?? {};
    const last = serverSamples.at(-1)?.counters ?? {};
    const facts: LabFacts = {
      topology: 'routed',
      hosts: [
        ...runs.map((r) => {
          const afterMs = exhaustedAfterMs(r.result!);
          return {
            name: r.host.name,
            role: 'client' as const,
            address: env.ipv6 ? r.host.addresses.v6 : r.host.addresses.v4,
            summary: r.result!.summary,
            // To 0.1 ms, as every ms figure of a result: a difference of two rounded times is not.
            exhaustedAfterMs: afterMs === null ? null : roundMs(afterMs),
          };
        }),
        {
          name: 'server',
          role: 'server',
          address: serverAddress,
          timeWaitPeak: peakOf(serverCensus.map((x) => x.census.server['TIME_WAIT'] ?? 0)),
          timeWaitEnd: serverCensus.at(-1)?.census.server['TIME_WAIT'] ?? 0,
          sockstatPeak: peakOf(serverSamples.map((x) => x.sockstat.tw)),
          kernel: Object.fromEntries(Object.keys(last).map((k) => [k, (last[k] ?? 0) - (first[k] ?? 0)])),
        },
      ],
      router: {
        nat: nat ? { ...nat, pool: natPool(nat.addresses), tuples: natPoolSize(nat) } : null,
        conntrack: {
          samples: conntrackSamples,
          // peakOf, not Math.max(...): a census a sample per 100 ms overflows the stack as arguments in ~3.5 h.
          peakEntries: peakOf(conntrackSamples.map((x) => x.stats?.['entries'] ?? 0)),
          peakTimeWait: peakOf(conntrackSamples.map((x) => x.states['TIME_WAIT'] ?? 0)),
          counters: conntrackDeltas(conntrackSamples),
          ...limitFacts,
        },
      },
      serverCensus: serverCensus.map((x) => ({ t: x.census.t, states: x.census.server as Record<string, number> })),
      ...(releasedAtMs !== undefined ? { loadsReleasedAtMs: releasedAtMs } : {}),
    };
    // A client host told to stop by the server's death, not by the user, stopped on an error
    // (as on one loopback, execute.ts).
    const hostStop = runs[0]!.result!.stoppedBy ?? 'count';
    // A stop after every host's load ended (while the server settled or stopped) cut only the
    // watching: the hosts' results say so (execute.ts), and the lab's follows them.
    const stoppedBy: StopReason = hostStop === 'interrupted' ? (signal.aborted ? 'interrupted' : 'error') : hostStop;
    const result = composeLabResult(scenario, runs.map((r) => r.result!), facts, serverHostSeries(serverSamples, runs[0]!.result!.series.driver.intervalMs), stoppedBy, startedAt, job.how);
    if (result.interrupted) setInterruptedBy(result, signal.reason);
    // The client hosts loaded the server host as a target, so none could bound its lost bytes by
    // what the bundled server wrote (result/build.ts lostBytes): done here, with its counts.
    if (serverStats !== null && !userServer) {
      result.summary.bytes = { ...result.summary.bytes, lost: lostBytes(scenario, serverStats.replied, result.summary.bytes) };
    }
    const whole: LabResult = {
      ...result,
      ...(faults.length > 0 ? { faults } : {}),
      server: { host: serverAddress, port: scenario.server.port, ports: [scenario.server.port], stats: serverStats ?? result.server.stats, ...(own && typeof own === 'object' && 'command' in own ? { own: own as { command: string; logPath: string; exit: null } } : {}) },
    };
    return deathFailure === null ? whole : markFailed(whole, deathFailure);
  } finally {
    await conntrack?.stop().catch(() => undefined);
    await serverSampler?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await lab.teardown();
  }
}
