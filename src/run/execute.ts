// One run, inside its environment: server + load driver + observers → result.json.
// This is the only place that knows all three; each of them knows nothing of the others.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DEFAULT_SYSCTLS, type Scenario } from '../scenario/index.js';
import { prepareEnvironment } from '../environment/prepare.js';
import { startServerProcess, type ServerProcess } from '../server/process.js';
import { startOwnServer, withTarget } from '../server/own-server.js';
import { executeRoutedRun } from '../environment/topology/lab-run.js';
import type { RestartOutcome } from '../server/restart.js';
import type { EchoServerStats } from '../server/echo-server.js';
import { startSamplerWorker } from '../observe/index.js';
import { runClock, sleep } from '../util/clock.js';
import { runTcpLoad, type LoadOutcome, type TcpLoadPlan } from '../driver/tcp-load.js';
import { runHttpLoad, type HttpLoadPlan } from '../driver/http-load.js';
import type { Clock } from '../util/clock.js';
import type { ServerConfig } from '../server/protocol.js';
import { initHistograms } from '../metrics/histograms.js';
import { LoadStats } from '../metrics/load-stats.js';
import { buildResult, type DriverCost, type RunResult, type ServerFacts } from '../metrics/result.js';
import { VERSION } from '../version.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RunJob } from './job.js';
import { startProgress } from './progress.js';

/** Idle connections are cut after this long so a peer that never closes cannot hang the run. */
const IDLE_TIMEOUT_MS = 10_000;
/** After Ctrl-C, in-flight connections get this long to finish before they are cut. */
const INTERRUPT_GRACE_MS = 1_000;

export function loadPlan(scenario: Scenario, ports: number[], count = scenario.connections): TcpLoadPlan {
  const { client } = scenario;
  return {
    connection: {
      host: scenario.server.host,
      requestBytes: scenario.payload.request,
      responseBytes: scenario.payload.response,
      first: scenario.close.first,
      mode: scenario.close.client,
      lingerSeconds: scenario.close.lingerSeconds,
      delayMs: scenario.close.first === 'server' ? 0 : scenario.close.delay,
      readDelayMs: client.readDelay,
      connectTimeoutMs: scenario.connectTimeout,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
    },
    endpoints: {
      ports,
      sourceAddresses: client.sourceAddresses,
      bind: client.bind,
      localPorts: client.localPorts === null ? null : (client.localPorts.split('-').map(Number) as [number, number]),
      reuseAddr: client.reuseAddr,
      bindAddressNoPort: client.bindAddressNoPort,
    },
    count,
    durationMs: scenario.duration,
    concurrency: scenario.concurrency,
    rate: scenario.rate,
    stages: scenario.stages,
    maxInFlight: scenario.maxInFlight,
    interruptGraceMs: INTERRUPT_GRACE_MS,
  };
}

export function httpLoadPlan(scenario: Scenario, port: number): HttpLoadPlan {
  const { http } = scenario;
  return {
    host: scenario.server.host,
    port,
    client: http.client,
    poolConnections: http.connections ?? scenario.concurrency,
    count: http.requests,
    durationMs: scenario.duration,
    concurrency: scenario.concurrency,
    rate: scenario.rate,
    stages: scenario.stages,
    maxInFlight: scenario.maxInFlight,
    connectTimeoutMs: scenario.connectTimeout,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    interruptGraceMs: INTERRUPT_GRACE_MS,
  };
}

/** The bundled server the scenario's protocol needs, as the server child is told to run it. */
export function serverConfig(scenario: Scenario): ServerConfig {
  const { host, port, ports, backlog, reuseAddr, reusePort, listeners } = scenario.server;
  const common = { host, port, ports, backlog, reuseAddr, reusePort, listeners, idleTimeoutMs: IDLE_TIMEOUT_MS };
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
): Promise<LoadOutcome> {
  switch (scenario.protocol) {
    case 'http':
      return runHttpLoad(httpLoadPlan(scenario, ports[0]!), stats, clock, signal);
    case 'tcp':
      return runTcpLoad(loadPlan(scenario, ports, count), stats, clock, signal);
  }
}

/**
 * The load, and with `server.restart` its second act: stop the server, try to listen again,
 * resume. Connections of the resumed load are refused (ECONNREFUSED) while nothing listens.
 */
async function runPhases(
  scenario: Scenario,
  server: ServerProcess,
  stats: LoadStats,
  clock: Clock,
  epochMs: number,
  signal: AbortSignal,
): Promise<{ load: LoadOutcome; restart: RestartOutcome | null }> {
  const first = await runLoad(scenario, server.ports, stats, clock, signal);
  const restartPlan = scenario.server.restart;
  if (restartPlan === null || signal.aborted) return { load: first, restart: null };
  const restart = await server.restart({ epochMs, timeoutMs: restartPlan.timeout, retryEveryMs: restartPlan.retryEvery });
  for (const attempt of restart.attempts) {
    if (attempt.code !== null) stats.series.add(`serverErrors.${attempt.code}`, attempt.tMs);
  }
  if (restartPlan.resume === 0 || signal.aborted) return { load: { ...first, endMs: clock() }, restart };
  const second = await runLoad(scenario, server.ports, stats, clock, signal, restartPlan.resume);
  return {
    load: { started: first.started + second.started, stoppedBy: second.stoppedBy, startMs: first.startMs, endMs: second.endMs },
    restart,
  };
}

export async function executeRun(job: RunJob, signal: AbortSignal): Promise<RunResult> {
  if (job.scenario.environment.topology === 'routed') {
    await initHistograms();
    return executeRoutedRun(job, signal, serverConfig);
  }
  // With `target:` the driver connects to the target, not to server.host:port.
  const scenario = withTarget(job.scenario);
  await initHistograms();
  const environment = await prepareEnvironment(job.isolation, job.how, {
    ...DEFAULT_SYSCTLS,
    ...scenario.environment.sysctls,
  });
  if (scenario.target) {
    environment.notice = `EXTERNAL TARGET ${scenario.target.text}: no server was started; the host's own sockets on port ${scenario.target.port} are counted as the server side, and every other host socket in the census too. ${environment.notice ?? ''}`.trim();
  }
  if (environment.notice) process.stderr.write(`twstorm: ${environment.notice}\n`);

  const epochMs = performance.timeOrigin + performance.now();
  const clock = runClock(epochMs);
  const startedAt = new Date();
  let server: (ServerProcess & { facts?(): ServerFacts['own'] }) | undefined;
  let sampler: ReturnType<typeof startSamplerWorker> | undefined;
  try {
    server = (await startOwnServer(scenario, job.resultPath)) ?? (await startServerProcess(serverConfig(scenario)));
    sampler = startSamplerWorker({
      sampleMs: scenario.sample,
      censusMs: scenario.census,
      serverPorts: server.ports,
      epochMs,
    });
    // The baseline sample must come before the first SYN, or counter deltas miss the start.
    await sampler.ready;
    const stats = new LoadStats(scenario.sample);
    const progress = startProgress(stats, clock);
    const cost = measureCost();
    const { load, restart } = await runPhases(scenario, server, stats, clock, epochMs, signal).finally(() => progress.stop());
    const driver = cost.stop();
    // The tail lets the observers see the sockets settle after the last close (TIME_WAIT
    // appears only once both FINs are acknowledged).
    if (!signal.aborted) await sleep(scenario.tail, signal);
    const samples = await sampler.stop();
    sampler = undefined;
    const { port, ports } = server;
    const handle = server;
    // A server child that died (killed with the process group, crashed) must not cost the
    // result: the driver's and the kernel's figures stand on their own.
    const serverStats = await server.stop().catch((err: Error): EchoServerStats => {
      process.stderr.write(`twstorm: the server's own counts are lost: ${err.message}\n`);
      return { accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: { SERVER_UNAVAILABLE: 1 } };
    });
    server = undefined;
    return buildResult({
      version: VERSION,
      scenario,
      variant: job.variant,
      startedAt,
      endedAt: new Date(),
      stoppedBy: load.stoppedBy,
      load,
      environment,
      server: { host: scenario.server.host, port, ports, stats: serverStats, restart, ...(handle.facts ? { own: handle.facts() } : {}) },
      stats,
      samples,
      driver,
    });
  } finally {
    await sampler?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
  }
}

export async function writeResult(result: RunResult, path: string): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 1)}\n`);
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

