// One run, inside its environment: server + load driver + observers → result.json.
// This is the only place that knows all three; each of them knows nothing of the others.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DEFAULT_SYSCTLS, type Scenario } from '../scenario/index.js';
import { prepareEnvironment } from '../environment/prepare.js';
import { startServerProcess, type ServerProcess } from '../server/process.js';
import { startSamplerWorker } from '../observe/index.js';
import { runClock } from '../driver/clock.js';
import { runTcpLoad, type LoadOutcome, type TcpLoadPlan } from '../driver/tcp-load.js';
import { runHttpLoad, type HttpLoadPlan } from '../driver/http-load.js';
import type { Clock } from '../driver/clock.js';
import type { ServerConfig } from '../server/protocol.js';
import { initHistograms } from '../metrics/histograms.js';
import { LoadStats } from '../metrics/load-stats.js';
import { buildResult, type DriverCost, type RunResult } from '../metrics/result.js';
import { VERSION } from '../version.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RunJob } from './job.js';
import { startProgress } from './progress.js';

/** Idle connections are cut after this long so a peer that never closes cannot hang the run. */
const IDLE_TIMEOUT_MS = 10_000;
/** After Ctrl-C, in-flight connections get this long to finish before they are cut. */
const INTERRUPT_GRACE_MS = 1_000;

export function loadPlan(scenario: Scenario, port: number): TcpLoadPlan {
  return {
    connection: {
      host: scenario.server.host,
      port,
      requestBytes: scenario.payload.request,
      responseBytes: scenario.payload.response,
      first: scenario.close.first,
      mode: scenario.close.client,
      delayMs: scenario.close.first === 'server' ? 0 : scenario.close.delay,
      connectTimeoutMs: scenario.connectTimeout,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
    },
    count: scenario.connections,
    durationMs: scenario.duration,
    concurrency: scenario.concurrency,
    rate: scenario.rate,
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
    maxInFlight: scenario.maxInFlight,
    connectTimeoutMs: scenario.connectTimeout,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    interruptGraceMs: INTERRUPT_GRACE_MS,
  };
}

/** The bundled server the scenario's protocol needs, as the server child is told to run it. */
export function serverConfig(scenario: Scenario): ServerConfig {
  const common = { host: scenario.server.host, port: scenario.server.port, backlog: 4096, idleTimeoutMs: IDLE_TIMEOUT_MS };
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
    },
  };
}

function runLoad(scenario: Scenario, port: number, stats: LoadStats, clock: Clock, signal: AbortSignal): Promise<LoadOutcome> {
  switch (scenario.protocol) {
    case 'http':
      return runHttpLoad(httpLoadPlan(scenario, port), stats, clock, signal);
    case 'tcp':
      return runTcpLoad(loadPlan(scenario, port), stats, clock, signal);
  }
}

export async function executeRun(job: RunJob, signal: AbortSignal): Promise<RunResult> {
  const { scenario } = job;
  await initHistograms();
  const environment = await prepareEnvironment(job.isolation, job.how, {
    ...DEFAULT_SYSCTLS,
    ...scenario.environment.sysctls,
  });
  if (environment.notice) process.stderr.write(`twstorm: ${environment.notice}\n`);

  const epochMs = performance.timeOrigin + performance.now();
  const clock = runClock(epochMs);
  const startedAt = new Date();
  let server: ServerProcess | undefined;
  let sampler: ReturnType<typeof startSamplerWorker> | undefined;
  try {
    server = await startServerProcess(serverConfig(scenario));
    sampler = startSamplerWorker({
      sampleMs: scenario.sample,
      censusMs: scenario.census,
      serverPorts: [server.port],
      epochMs,
    });
    // The baseline sample must come before the first SYN, or counter deltas miss the start.
    await sampler.ready;
    const stats = new LoadStats(scenario.sample);
    const progress = startProgress(stats, clock);
    const cost = measureCost();
    const load = await runLoad(scenario, server.port, stats, clock, signal).finally(() => progress.stop());
    const driver = cost.stop();
    // The tail lets the observers see the sockets settle after the last close (TIME_WAIT
    // appears only once both FINs are acknowledged).
    if (!signal.aborted) await abortableSleep(scenario.tail, signal);
    const samples = await sampler.stop();
    sampler = undefined;
    const port = server.port;
    const serverStats = await server.stop();
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
      server: { host: scenario.server.host, port, stats: serverStats },
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

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
