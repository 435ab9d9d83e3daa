// One run, inside its environment: server + load driver + observers → result.json.
// This is the only place that knows all three; each of them knows nothing of the others.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Scenario } from '../scenario/index.js';
import { DEFAULT_SYSCTLS } from '../scenario/sysctls.js';
import { serverResetsByDesign } from '../scenario/close-semantics.js';
import { prepareEnvironment } from '../environment/prepare.js';
import { startServerProcess, type ServerProcess } from '../server/process.js';
import { startOwnServer, withTarget } from '../server/own-server.js';
import { targetListenerProblem } from '../server/external-target.js';
import type { RestartOutcome } from '../server/restart.js';
import type { ServerStats } from '../server/echo-server.js';
import { startSamplerHere, startSamplerWorker } from '../observe/index.js';
import { waitForServerToSettle } from './settle.js';
import { parsePortRange } from '../scenario/port-range.js';
import { applyFaults } from '../environment/faults.js';
import { readFaultCounts } from '../observe/faults.js';
import { runClock, sleep } from '../util/clock.js';
import { chooseEngine, joinLoads, prewarmEngine, releaseWarmThreads, runTcpLoad, type LoadOutcome, type TcpLoadPlan } from '../driver/tcp-load.js';
import type { HttpLoadPlan } from '../driver/http-plan.js';
import type { Clock } from '../util/clock.js';
import type { ServerConfig } from '../server/protocol.js';
import { LoadStats } from '../metrics/load-stats.js';
import { PortTracker } from '../metrics/port-tracker.js';
import { CUT_AT_STOP } from '../driver/shape/bounds.js';
import type { DriverCost, RunResult, ServerFacts } from '../result/model.js';
import { buildResult } from '../result/build.js';
import { VERSION } from '../version.js';
import { setInterruptedBy, type RunJob } from './job.js';
import { loadStartedNote, startProgress, type Progress, type ProgressTarget } from './progress.js';
import { say } from '../util/say.js';
import { httpPoolConnections, loadCount, workUnit } from '../scenario/work.js';
import { markFailed, watchServer } from './server-death.js';

/** The server cuts idle connections after this long so a peer that never closes cannot hang the run (the client's own is client.idleTimeout). */
const IDLE_TIMEOUT_MS = 10_000;
/** After Ctrl-C, in-flight connections get this long to finish before they are cut. */
const INTERRUPT_GRACE_MS = 1_000;
/** After a stopped load, how long the observers keep watching the closes the stop made. */
const STOP_SETTLE_MS = 250;

/** client.portRange as the engine takes it, [low, high], parsed by the one range parser. */
function portRangeOf(text: string | null): [number, number] | null {
  const range = text === null ? null : parsePortRange(text);
  return range === null ? null : [range.low, range.high];
}

export function tcpLoadPlan(scenario: Scenario, ports: number[], count = scenario.connections): TcpLoadPlan {
  const { client } = scenario;
  return {
    connection: {
      host: scenario.server.host,
      requestBytes: scenario.payload.request,
      responseBytes: scenario.payload.response,
      first: scenario.close.first,
      mode: scenario.close.client,
      lingerSeconds: scenario.close.lingerSeconds,
      // Client first (or both): its own wait before closing; server first: how long after the
      // exchange the server's FIN comes, which the client waits for without calling it idle.
      delayMs: scenario.close.delay,
      readDelayMs: client.readDelay,
      connectTimeoutMs: scenario.connectTimeout,
      idleTimeoutMs: client.idleTimeout,
    },
    endpoints: {
      ports,
      sourceAddresses: client.sourceAddresses,
      bind: client.bind,
      localPorts: portRangeOf(client.localPorts),
      reuseAddr: client.reuseAddr,
      bindAddressNoPort: client.bindAddressNoPort,
      portRange: portRangeOf(client.portRange),
    },
    count,
    durationMs: scenario.duration,
    concurrency: scenario.concurrency,
    rate: scenario.rate,
    stages: scenario.stages,
    maxInFlight: scenario.maxInFlight,
    interruptGraceMs: INTERRUPT_GRACE_MS,
    gracefulStopMs: scenario.gracefulStop,
    threads: scenario.threads,
  };
}

export function httpLoadPlan(scenario: Scenario, port: number): HttpLoadPlan {
  const { http } = scenario;
  return {
    host: scenario.server.host,
    port,
    client: http.client,
    poolConnections: httpPoolConnections(scenario),
    count: http.requests,
    durationMs: scenario.duration,
    concurrency: scenario.concurrency,
    rate: scenario.rate,
    stages: scenario.stages,
    maxInFlight: scenario.maxInFlight,
    connectTimeoutMs: scenario.connectTimeout,
    idleTimeoutMs: scenario.client.idleTimeout,
    interruptGraceMs: INTERRUPT_GRACE_MS,
    gracefulStopMs: scenario.gracefulStop,
    path: http.path,
    requestsPerConnection: http.requestsPerConnection,
    threads: scenario.threads,
    portRange: portRangeOf(scenario.client.portRange),
  };
}

/** The bundled server the scenario's protocol needs, as the server child is told to run it. */
export function serverConfig(scenario: Scenario): ServerConfig {
  const { host, port, ports, backlog, reuseAddr, reusePort, listeners } = scenario.server;
  const common = { host, port, ports, backlog, reuseAddr, reusePort, listeners, idleTimeoutMs: IDLE_TIMEOUT_MS, maxOpenFiles: scenario.server.maxOpenFiles };
  if (scenario.protocol === 'http') {
    const { http } = scenario;
    return {
      kind: 'http',
      ...common,
      policy: http.policy,
      keepAliveTimeoutMs: http.keepAliveTimeout,
      maxRequestsPerConnection: http.maxRequestsPerConnection,
      closeAfter: http.closeAfter,
      bodyBytes: http.body,
      serviceDelayMs: http.serviceDelay,
    };
  }
  return {
    kind: 'echo',
    ...common,
    // close.delay is a wait, not idleness, on the server too: the client's FIN (or its own
    // close) comes that long after the exchange (a review: close.delay 11 s let the server's
    // 10 s idle cut close first, and TIME_WAIT moved to the server).
    idleTimeoutMs: IDLE_TIMEOUT_MS + scenario.close.delay,
    requestBytes: scenario.payload.request,
    responseBytes: scenario.payload.response,
    close: {
      first: scenario.close.first,
      mode: scenario.close.server,
      delayMs: scenario.close.first === 'client' ? 0 : scenario.close.delay,
      lingerSeconds: scenario.close.lingerSeconds,
    },
  };
}

function runLoad(
  scenario: Scenario,
  ports: number[],
  stats: LoadStats,
  clock: Clock,
  signal: AbortSignal,
  count?: number,
  beforeGo?: () => Promise<void>,
): Promise<LoadOutcome> {
  switch (scenario.protocol) {
    case 'http':
      // Loaded on demand: undici is the heaviest module a run process can load, and TCP runs
      // (most of them) never touch it.
      return import('../driver/http-load.js').then(({ runHttpLoad }) => runHttpLoad(httpLoadPlan(scenario, ports[0]!), stats, clock, signal, beforeGo));
    case 'tcp':
      return runTcpLoad(tcpLoadPlan(scenario, ports, count), stats, clock, signal, beforeGo);
  }
}

/**
 * The load, and with `server.restart` its second act: stop the server, try to listen again,
 * resume. Connections of the resumed load are refused (ECONNREFUSED) while nothing listens.
 * An abort (Ctrl-C, or the server child dying) ends whichever phase is under way.
 */
async function runPhases(
  scenario: Scenario,
  server: ServerProcess,
  stats: LoadStats,
  clock: Clock,
  epochMs: number,
  signal: AbortSignal,
  beforeGo?: () => Promise<void>,
): Promise<{ load: LoadOutcome; restart: RestartOutcome | null }> {
  const first = await runLoad(scenario, server.ports, stats, clock, signal, undefined, beforeGo);
  const restartPlan = scenario.server.restart;
  if (restartPlan === null || signal.aborted) return { load: first, restart: null };
  note(`restart phase: the server stops listening and tries again for up to ${restartPlan.timeout / 1000} s`);
  const restart = await server.restart({ epochMs, timeoutMs: restartPlan.timeout, retryEveryMs: restartPlan.retryEvery }, signal);
  for (const attempt of restart.attempts) {
    if (attempt.code !== null) stats.series.add(`serverErrors.${attempt.code}`, attempt.tMs);
  }
  if (restartPlan.resume === 0 || signal.aborted) return { load: { ...first, endMs: clock() }, restart };
  const second = await runLoad(scenario, server.ports, stats, clock, signal, restartPlan.resume);
  return { load: joinLoads(first, second), restart };
}

/** One line on stderr about where the run is; tests and CI logs wait on these. */
function note(text: string): void {
  say(`${text}`);
}

/** What ends the load, for the progress line and the "load started" note. */
function progressTarget(scenario: Scenario): ProgressTarget {
  return { count: loadCount(scenario), unit: workUnit(scenario), durationMs: scenario.duration };
}

/**
 * Why a run that went through is still a failure: nothing it measured is the phenomenon. Every
 * connection failing (ENETUNREACH, EMFILE, PEER_CLOSED_EARLY…) means the setup, not the storm,
 * was measured; the figures are kept, marked.
 */
export function failureOf(stats: LoadStats, interrupted: boolean, scenario: Scenario): string | null {
  if (interrupted) return null;
  if (stats.attempted === 0) return 'the load driver attempted no connection';
  // Every connection reset by the server that was asked to reset it is the phenomenon measured.
  if (stats.errors.size > 0 && [...stats.errors.keys()].every((code) => code === 'ECONNRESET') && serverResetsByDesign(scenario)) return null;
  const top = [...stats.errors]
    .sort((a, b) => b[1].total - a[1].total)
    .slice(0, 3)
    .map(([code, count]) => `${code} ${count.total}`)
    .join(', ');
  // Cut by the run's own gracefulStop: say what to change, not only that it happened.
  const cut = stats.errors.get(CUT_AT_STOP)?.total ?? 0;
  const hint = cut > 0 ? `; ${cut} were still in flight when gracefulStop ran out after duration: raise gracefulStop or duration, or shorten the scenario's delays` : '';
  if (stats.failed >= stats.attempted) return `every connection failed (${stats.attempted} attempted${top ? `: ${top}` : ''})${hint}`;
  if (stats.requests.total > 0 && stats.requests.ok === 0) return `every HTTP request failed (${stats.requests.total} attempted${top ? `: ${top}` : ''})${hint}`;
  return null;
}

/**
 * `beforeLoad`: awaited just before the first connection, once the server listens, the
 * observers took their baseline and the engine's threads have loaded (a routed lab's client
 * host waits there for the lab's 'go'; its threads' start-up would otherwise come after it).
 */
export async function executeRun(job: RunJob, signal: AbortSignal, beforeLoad?: () => Promise<void>): Promise<RunResult> {
  if (job.scenario.environment.topology === 'routed') {
    // Loaded on demand: the lab (nftables, conntrack, topology) is for routed runs only.
    const { executeRoutedRun } = await import('./routed-run.js');
    return executeRoutedRun(job, signal, serverConfig);
  }
  try {
    return await executeHere(job, signal, beforeLoad);
  } finally {
    releaseWarmThreads();
  }
}

/** A run in this process's namespace: a fresh one, or the host's with isolation host. */
async function executeHere(job: RunJob, signal: AbortSignal, beforeLoad?: () => Promise<void>): Promise<RunResult> {
  // With `target:` the driver connects to the target, not to server.host:port.
  const scenario = withTarget(job.scenario);
  // The engine's threads load while the environment, server and observers start.
  const onEngine = (scenario.protocol === 'tcp' || scenario.http.client === 'raw') && chooseEngine().name === 'native';
  if (onEngine) {
    // The plan the load will get (its port is not known yet, and does not bound the threads).
    const plan = scenario.protocol === 'http' ? httpLoadPlan(scenario, 0) : tcpLoadPlan(scenario, []);
    prewarmEngine({ ...plan, threads: plan.threads ?? null });
  }
  const environment = await prepareEnvironment(job.isolation, job.how, {
    ...DEFAULT_SYSCTLS,
    ...scenario.environment.sysctls,
  });
  if (scenario.target) {
    const unserved = await targetListenerProblem(scenario.target);
    environment.notice = [
      `EXTERNAL TARGET ${scenario.target.text}: no server was started; the host's own sockets on port ${scenario.target.port} are counted as the server side, and every other host socket in the census too.`,
      unserved,
      environment.notice,
    ].filter((part) => part).join(' ');
  }
  if (environment.notice) say(`${environment.notice}`);

  const epochMs = performance.timeOrigin + performance.now();
  const clock = runClock(epochMs);
  const startedAt = new Date();
  let server: (ServerProcess & { facts?(): ServerFacts['own'] }) | undefined;
  let sampler: ReturnType<typeof startSamplerWorker> | undefined;
  try {
    // No result file (a routed lab's client host): only an external target comes here then, and it keeps no log.
    // A stop during the user's server start-up ends the wait for its port: the load then stops
    // at once and the partial result is written, as with the bundled server.
    const own = await startOwnServer(scenario, job.resultPath ?? '', { signal });
    server = own ?? (await startServerProcess(serverConfig(scenario)));
    await applyFaults(scenario.faults, server.ports, job.isolation);
    const target = progressTarget(scenario);
    let live: Progress | undefined;
    // The load on engine threads leaves this thread waiting: the sampler runs here, not in an
    // isolate of its own (sampler-thread.ts).
    sampler = (onEngine ? startSamplerHere : startSamplerWorker)({
      sampleMs: scenario.sample,
      censusMs: scenario.census,
      serverPorts: server.ports,
      epochMs,
      // Live samples cost a message per tick: only when a progress line shows them.
      ...(job.progress ? { onSample: (sample) => live?.timeWait(sample.sockstat.tw) } : {}),
    });
    // The baseline sample must come before the first SYN, or counter deltas miss the start.
    await sampler.ready;
    // The load stops on Ctrl-C and when the server child dies (server-death.ts).
    const watch = watchServer(server.died, signal);
    let driverFailure: string | null = null;
    // The port table counts 4-tuples per server port the driver connects to (HTTP: one).
    const stats = new LoadStats(scenario.sample, 'established', new PortTracker(undefined, scenario.protocol === 'tcp' ? server.ports.length : 1));
    live = startProgress(stats, clock, target, { enabled: job.progress });
    const cost = measureCost();
    if (!watch.load.aborted) {
      note(loadStartedNote(target));
    }
    const loadStartMs = clock();
    const { load, restart } = await runPhases(scenario, server, stats, clock, epochMs, watch.load, beforeLoad)
      .catch((err: Error): { load: Omit<LoadOutcome, 'stoppedBy'> & Pick<RunResult, 'stoppedBy'>; restart: RestartOutcome | null } => {
        // A driver that could not start or broke down: what it counted so far is kept, marked.
        driverFailure = `the load driver failed: ${err.message}`;
        return { load: { started: stats.attempted, stoppedBy: 'error', startMs: loadStartMs, endMs: clock() }, restart: null };
      })
      .finally(() => live?.stop());
    const loadEndedAt = performance.now();
    const driver = cost.stop();
    // The tail lets the observers see the sockets settle after the last close (TIME_WAIT
    // appears only once both FINs are acknowledged).
    if (!watch.load.aborted) {
      await sleep(scenario.tail, signal);
      // Only the bundled server counts what it holds; close.server never holds on purpose.
      if (!own) await waitForServerToSettle(server, scenario.close.server === 'never', signal);
    } else {
      // Stopped: no tail, but the closes the stop itself made (the cut connections' FINs and
      // RSTs, the server's answers) take a few loopback round trips to reach the kernel's
      // counters and states. Without this wait the last sample came ~7 ms after the cut: an
      // audit's result said TcpExtTW 1 beside the census's 64 TIME_WAIT. A second Ctrl-C
      // still ends the process at once (cli/interrupt.ts).
      await sleep(STOP_SETTLE_MS);
    }
    const samples = await sampler.stop();
    sampler = undefined;
    const faults = await readFaultCounts(scenario.faults);
    const { port, ports } = server;
    const handle = server;
    // A server child that died (killed with the process group, crashed) must not cost the
    // result: the driver's and the kernel's figures stand on their own.
    const serverStats = await server.stop().catch((err: Error): ServerStats => {
      say(`the server's own counts are lost: ${err.message}`);
      return { accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: { SERVER_UNAVAILABLE: 1 } };
    });
    server = undefined;
    const deathFailure = await watch.settle();
    // Interrupted: the stop ended the load. One that came after the load had ended cut only the
    // watching (the tail, a user's server slow to stop): the figures are whole and the result
    // says so (an audit: all 300 connections completed, then Ctrl-C, and the result read
    // "interrupted … the figures cover only the part that ran"); the command still exits 130.
    // A stop that also took the server down (SIGTERM to the whole group) may arrive after the
    // server's death had ended the load: when it explains the death (server-death.ts), it did.
    const stoppedAt = watch.stoppedAtMs();
    const interrupted = stoppedAt !== null && (stoppedAt < loadEndedAt || (watch.died() && deathFailure === null));
    // A driver that broke because the server died (a restart phase that found no server) is
    // judged by the server's death: a stop signal may explain both.
    const failed = deathFailure ?? (watch.died() ? null : driverFailure) ?? failureOf(stats, interrupted, scenario);
    const result = buildResult({
      version: VERSION,
      scenario,
      variant: job.variant,
      startedAt,
      endedAt: new Date(),
      // Ctrl-C wins over whatever phase was under way (a restart that was cut short included);
      // a load cut short by anything else (the server child died) stopped on an error.
      stoppedBy: interrupted ? 'interrupted' : load.stoppedBy === 'interrupted' ? 'error' : load.stoppedBy,
      load,
      environment,
      server: { host: scenario.server.host, port, ports, stats: serverStats, restart, ...(handle.facts ? { own: handle.facts() } : {}) },
      stats,
      samples,
      driver,
    });
    if (faults.length > 0) result.faults = faults;
    if (result.interrupted) setInterruptedBy(result, signal.reason);
    // Which engine made the load (src/driver/tcp-load.ts): recorded beside the environment.
    if (load.engine) {
      const { name, threads, fallback, perThread, io, ioFallback } = load.engine;
      Object.assign(result.environment, { engine: name, threads, ...(fallback ? { engineFallback: fallback } : {}), ...(io ? { engineIo: io } : {}), ...(ioFallback ? { engineIoFallback: ioFallback } : {}) });
      // Per-thread shares sit beside the driver's cost; not a threshold figure (an array).
      if (perThread) Object.assign(result.summary.driver, { threads: perThread });
    }
    return failed === null ? result : markFailed(result, failed);
  } finally {
    await sampler?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
  }
}

/** process.cpuUsage covers every thread of the process, so the observer worker is included. */
function measureCost(): { stop(): Omit<DriverCost, 'cpuMsPer1000'> } {
  const cpu = process.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return {
    stop() {
      delay.disable();
      const used = process.cpuUsage(cpu);
      const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
      return {
        cpuUserMs: Math.round(used.user / 1000),
        cpuSystemMs: Math.round(used.system / 1000),
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      };
    },
  };
}

