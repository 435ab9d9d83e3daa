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
import type { FromRun, RunJob, ToRun } from './job.js';
import type { RunResult, StopReason } from '../result/model.js';
import { startSamplerWorker, type KernelSample } from '../observe/index.js';
import { watchConntrack, type ConntrackSample } from '../observe/conntrack.js';
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
import { roundMs } from '../util/round.js';
import type { LabFacts, LabResult } from '../result/lab.js';
import { peakOf } from '../result/figures.js';
import { parsePortRange } from '../scenario/port-range.js';
import { say } from '../util/say.js';
import { int } from '../util/format.js';
import { formatSeconds } from './progress.js';
import { addDriverCosts, addedLife, addErrorCounts, addHistograms, addMaps, addRequests, addSeries, establishedBeforeExhaustion, exactEnds, firstExhaustion, addedTimeWait, loadWindow, minOf } from '../result/add.js';
import { mergeConnectFill } from '../result/merge.js';
import { contributorsLastClose } from '../result/peak-time.js';
import { timeWaitLanding } from '../scenario/close-semantics.js';
import type { ServerStats } from '../server/stats.js';
import { censusSeries, kernelSeries, lostBytes } from '../result/build.js';
import { loadCount, workUnit } from '../scenario/work.js';
import { markFailed, watchServer } from './server-death.js';

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
  const text = serverAddress.includes(':') ? `[${serverAddress}]:${scenario.server.port}` : `${serverAddress}:${scenario.server.port}`;
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

function runClientHost(
  lab: RoutedLab,
  host: LabHost,
  job: RunJob,
  signal: AbortSignal,
): Promise<{ host: LabHost; result: RunResult | null; stderr: string; code: number | null }> {
  return (async () => {
    // The result comes back over the channel (resultPath null): a scratch file would need a
    // directory on the host, which a SIGKILLed run could not remove.
    const hostJob: RunJob = { ...job, isolation: 'host', how: `routed lab, client host ${host.name}`, resultPath: null, progress: false };
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
    child.on('message', (message: FromRun) => {
      if (message.type === 'result') result = message.result;
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const stop = (): void => send({ type: 'stop' });
    signal.addEventListener('abort', stop, { once: true });
    // A Ctrl-C while the lab was being built has fired already: 'abort' comes only once, so the
    // driver is told now, and it writes its (empty) partial result at once, as a run on one
    // loopback does for a load that never started.
    if (signal.aborted) stop();
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(null));
      child.once('close', (c) => resolve(c));
    });
    signal.removeEventListener('abort', stop);
    return { host, result, stderr, code };
  })();
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);


/**
 * One result for the whole lab, by merge's rules (result/add.ts): counts add up across hosts
 * (connections, errors, kernel counters of the client namespaces), latencies come from the
 * added histograms, the time series add up on the run's clock with the server host's census
 * and sockstat among them, and TIME_WAIT, rates and the load window are read from those. `lab`
 * keeps every host.
 */
function composeResult(
  scenario: Scenario,
  clients: RunResult[],
  lab: LabFacts,
  serverSeries: Pick<RunResult, 'series'>,
  stoppedBy: StopReason,
  startedAt: Date,
  how: string,
): LabResult {
  const base = clients[0]!;
  // Each client host's series, load window and exhaustion time are on its own run clock (its
  // process started later than this one); the router's and server host's samples are on this
  // run's. Each host's is moved onto this clock, so every chart of the report shows one moment
  // at one x, and the hosts' series add up there as a merge's shards do (result/add.ts).
  const offsets = clients.map((r) => Date.parse(r.startedAt) - startedAt.getTime());
  const window = loadWindow(clients, offsets);
  // The lab's load ran from the first host's start to the last one's end: its duration and
  // rates are over that window, as a merge's are (a helper's 2-host lab: 6,750/s as the sum of
  // the hosts' rates, 3,273/s over the window it really took, 1.19 s, not the longest host's 0.62 s).
  const loadSeconds = Math.max(0.001, (window.endMs - window.startMs) / 1000);
  const serverHost = lab.hosts.find((h) => h.role === 'server');
  const s = clients.map((r) => r.summary);
  // The hosts' figures add up as a merge's do (result/add.ts): histograms bucket by bucket, with
  // each host's exact min and max kept.
  const added = (pick: (r: RunResult) => string) => addHistograms(clients.map(pick));
  const parts = { connect: added((r) => r.histograms.connect), firstByte: added((r) => r.histograms.firstByte), total: added((r) => r.histograms.total), close: added((r) => r.histograms.close) };
  const reuse = added((r) => r.histograms.portReuseInterval);
  const life = addedLife(clients);
  const histograms = {
    connect: parts.connect.encoded,
    firstByte: parts.firstByte.encoded,
    total: parts.total.encoded,
    close: parts.close.encoded,
    portReuseInterval: reuse.encoded,
    ...(life !== null ? { life: life.encoded } : {}),
  };
  const reuseP50 = reuse.percentiles.p50;
  const latency = (which: keyof typeof parts) => exactEnds(parts[which].percentiles, s.map((x) => x.latencyMs[which]));
  const established = sum(s.map((x) => x.connections.established));
  const summary: RunResult['summary'] = {
    ...base.summary,
    durationMs: roundMs(window.endMs - window.startMs),
    connections: {
      attempted: sum(s.map((x) => x.connections.attempted)),
      established,
      completed: sum(s.map((x) => x.connections.completed)),
      failed: sum(s.map((x) => x.connections.failed)),
      ratePerSec: roundMs(established / loadSeconds),
    },
    errors: addMaps(s.map((x) => x.errors)),
    kernel: addMaps(s.map((x) => x.kernel)),
    // Every host's bytes (client1's alone before a review); what was lost is bounded by what the
    // server host wrote once its counts are in (executeRoutedRun).
    bytes: { sent: sum(s.map((x) => x.bytes.sent)), received: sum(s.map((x) => x.bytes.received)), lost: sum(s.map((x) => x.bytes.lost)) },
    // Each client host has its own port space: the hosts' ports add up.
    ports: {
      ...base.summary.ports,
      distinct: sum(s.map((x) => x.ports.distinct)),
      reused: sum(s.map((x) => x.ports.reused)),
      reuses: sum(s.map((x) => x.ports.reuses)),
      peakInUse: sum(s.map((x) => x.ports.peakInUse)),
      // Every host's reuse intervals, as the reuse chart draws them (the added histogram).
      minReuseIntervalMs: minOf(s.map((x) => x.ports.minReuseIntervalMs)),
      medianReuseIntervalMs: reuseP50,
    },
    latencyMs: {
      connect: latency('connect'),
      firstByte: latency('firstByte'),
      total: latency('total'),
      close: latency('close'),
      ...(life !== null && life.latency.count > 0 ? { life: life.latency } : {}),
    },
    // Every host's requests and driver cost, as a merge adds them (result/add.ts); the hosts
    // ran at once, so their request rates add.
    ...(s.every((x) => x.requests !== undefined)
      ? { requests: addRequests(s.map((x) => x.requests), established, (ok) => roundMs(ok / loadSeconds)) }
      : {}),
    driver: addDriverCosts(s.map((x) => x.driver), workUnit(scenario) === 'requests' ? sum(s.map((x) => x.requests?.total ?? 0)) : sum(s.map((x) => x.connections.attempted))),
  };
  const errors: RunResult['errors'] = addErrorCounts(clients.map((r) => r.errors));
  // The server host's sockstat and census join them (its samples are on this run's clock), as
  // the summary's TIME_WAIT does: left out, a server-first lab drew no server TIME_WAIT line and
  // a sockstat line at 0 beside a summary of 2,000 (a figures audit).
  const series = addSeries([...clients, serverSeries], [...offsets, 0]);
  const exhaustedAtMs = firstExhaustion(clients, offsets);
  // The lab's TIME_WAIT from the added curves (the server host's among them), by merge's rule:
  // the peaks are the sum's, not the sum of each host's peak at its own moment. `end` is every
  // host's own: the server host holds the TIME_WAIT of a server-first close.
  summary.timeWait = addedTimeWait(series, s.map((x) => x.timeWait), serverHost?.timeWaitEnd ?? 0, contributorsLastClose(clients, offsets, window.endMs));
  summary.ports = {
    ...summary.ports,
    exhaustedAtMs: exhaustedAtMs === null ? null : roundMs(exhaustedAtMs),
    establishedBeforeExhaustion: establishedBeforeExhaustion(clients),
  };
  // The connect-fill cells and their cliff stay client1's: each host fills a port range of its
  // own, and the cliff is read in ports held of one range (added across hosts, the held counts
  // would pass one range's cliff hosts-times too early). They are moved onto the run's clock as
  // the series are: left on client1's own, a helper's cliff marker sat 1.43 s before any load.
  const connectFill = mergeConnectFill([base], [offsets[0]!], base.summary.ports.range, timeWaitLanding(base.scenario).clientHoldsPorts);
  if (connectFill !== null) summary.connectFill = connectFill.summary;
  return {
    ...base,
    ...(base.load ? { load: { ...base.load, startMs: roundMs(window.startMs), endMs: roundMs(window.endMs) } } : {}),
    series,
    ...(connectFill !== null ? { connectFill: connectFill.data } : {}),
    scenario,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    interrupted: stoppedBy === 'interrupted',
    stoppedBy,
    environment: {
      ...base.environment,
      isolation: 'netns',
      how: `routed lab: ${clients.length} client host(s) → router (the run's namespace, ${how}) → server host, a namespace each`,
      notice: null,
    },
    summary,
    errors,
    histograms,
    lab,
  };
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
    // Each client host's driver speaks on its own stderr (kept for its failure); the run says
    // once what starts, as every run does ("load started", README).
    if (!watch.load.aborted) say(`load started: ${int(loadCount(scenario))} ${workUnit(scenario)} from each of ${lab.clients.length} client host${lab.clients.length === 1 ? '' : 's'} or ${formatSeconds(scenario.duration)}, whichever comes first`);
    const runs = await Promise.all(lab.clients.map((host) => runClientHost(lab, host, { ...job, scenario: derived }, watch.load)));
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
        ...runs.map((r) => ({ name: r.host.name, role: 'client' as const, address: env.ipv6 ? r.host.addresses.v6 : r.host.addresses.v4, summary: r.result!.summary })),
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
    };
    // A client host told to stop by the server's death, not by the user, stopped on an error
    // (as on one loopback, execute.ts).
    const hostStop = runs[0]!.result!.stoppedBy ?? 'count';
    // A stop after every host's load ended (while the server settled or stopped) cut only the
    // watching: the hosts' results say so (execute.ts), and the lab's follows them.
    const stoppedBy: StopReason = hostStop === 'interrupted' ? (signal.aborted ? 'interrupted' : 'error') : hostStop;
    const result = composeResult(scenario, runs.map((r) => r.result!), facts, serverHostSeries(serverSamples, runs[0]!.result!.series.driver.intervalMs), stoppedBy, startedAt, job.how);
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

/**
 * The server host's samples as series to add to the client hosts': its sockstat and its census
 * (every socket there is the server's). Its kernel counters stay in lab.hosts: the summary's
 * kernel counters are the client hosts', and the series must say what the summary says.
 */
function serverHostSeries(samples: KernelSample[], intervalMs: number): Pick<RunResult, 'series'> {
  return {
    series: {
      driver: { intervalMs, t: [], columns: {} },
      kernel: { ...kernelSeries(samples), counters: {} },
      census: { ...censusSeries(samples), client: {} },
    },
  };
}

/** insert_failed, drop, early_drop … over the run (last sample − first). */
function conntrackDeltas(samples: ConntrackSample[]): Record<string, number> {
  const first = samples.find((s) => s.stats !== null)?.stats ?? {};
  const last = [...samples].reverse().find((s) => s.stats !== null)?.stats ?? {};
  const out: Record<string, number> = {};
  for (const key of ['insert', 'insert_failed', 'drop', 'early_drop', 'invalid', 'clashres', 'search_restart']) {
    if (key in last) out[key] = (last[key] ?? 0) - (first[key] ?? 0);
  }
  return out;
}

