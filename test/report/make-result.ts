// Hand-made RunResults for rule tests: a plain, healthy client-closes-first run with every
// figure spelled out, which each test bends with a small edit. Histograms are left empty
// (the verdict never reads them).
import type { RunResult } from '../../src/result/model.js';
import type { LabFacts } from '../../src/result/lab.js';
import type { Phase } from '../../src/metrics/load-stats.js';
import { verdict, type Finding, type FindingRule } from '../../src/report/verdict.js';

const emptyLatency = { count: 0, min: null, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };

const KERNEL_ZERO = {
  TcpActiveOpens: 1000, TcpPassiveOpens: 1000, TcpAttemptFails: 0, TcpEstabResets: 0, TcpOutRsts: 0, TcpRetransSegs: 0,
  TcpExtTW: 0, TcpExtTWRecycled: 0, TcpExtTWKilled: 0, TcpExtTCPTimeWaitOverflow: 0, TcpExtTCPAbortOnClose: 0,
  TcpExtTCPAbortOnLinger: 0, TcpExtTCPAbortOnData: 0, TcpExtTCPAbortOnTimeout: 0, TcpExtListenOverflows: 0,
  TcpExtListenDrops: 0, TcpExtTCPSynRetrans: 0,
};

export function makeResult(edit: (r: RunResult) => void = () => undefined): RunResult {
  const r: RunResult = {
    schema: 'twstorm/result@1',
    tool: { name: 'twstorm', version: '0.0.0-test' },
    scenario: {
      name: 'hand-made',
      description: 'A hand-made result.',
      protocol: 'tcp',
      connections: 1000,
      duration: 30_000,
      concurrency: 16,
      rate: null,
      maxInFlight: 10_000,
      connectTimeout: 5000,
      payload: { request: 64, response: 64 },
      close: { first: 'client', client: 'fin', server: 'fin', delay: 0 },
      server: { host: '127.0.0.1', port: 7000 },
      environment: { isolation: 'auto', sysctls: {} },
      sample: 100,
      census: 1000,
      tail: 2000,
      matrix: {},
      thresholds: {},
    } as unknown as RunResult['scenario'],
    variant: null,
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T00:00:03.000Z',
    interrupted: false,
    stoppedBy: 'count',
    load: { startMs: 0, endMs: 500 },
    environment: {
      isolation: 'netns',
      how: 'unshare -n (root)',
      notice: null,
      kernel: '6.1.0',
      node: 'v20.20.0',
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      timerHz: 250,
      sysctls: {
        'net.ipv4.ip_local_port_range': '32768 60999',
        'net.ipv4.tcp_max_tw_buckets': '131072',
        'net.ipv4.tcp_tw_reuse': '0',
        'net.core.somaxconn': '4096',
      },
      sysctlsRequested: { 'net.ipv4.tcp_tw_reuse': '0' },
    },
    server: { host: '127.0.0.1', port: 7000, stats: { accepted: 1000, replied: 1000, closedFin: 1000, closedRst: 0, open: 0, errors: {} } },
    summary: {
      durationMs: 500,
      connections: { attempted: 1000, established: 1000, completed: 1000, failed: 0, ratePerSec: 2000 },
      errors: {},
      serverErrors: {},
      timeWait: { peak: 1000, peakClient: 1000, peakServer: 0, end: 1000, sockstatPeak: 1000, reopened: 0 },
      ports: {
        distinct: 1000, reused: 0, reuses: 0, minReuseIntervalMs: null, medianReuseIntervalMs: null,
        exhaustedAtMs: null, peakInUse: 16, range: { low: 32768, high: 60999, size: 28232 },
      },
      latencyMs: { connect: emptyLatency, firstByte: emptyLatency, total: emptyLatency, close: emptyLatency },
      kernel: { ...KERNEL_ZERO },
      bytes: { sent: 64_000, received: 64_000, lost: 0 },
      driver: { cpuUserMs: 100, cpuSystemMs: 50, cpuMsPer1000: 150, eventLoopDelayMs: { p50: 1, p99: 2, max: 3 } },
    },
    errors: {},
    series: {
      driver: { intervalMs: 100, t: [0, 100, 200, 300, 400], columns: { established: [200, 200, 200, 200, 200], completed: [200, 200, 200, 200, 200] } },
      kernel: { t: [0, 1000, 2000], tw: [0, 1000, 1000], inuse: [1, 1, 1], counters: {} },
      census: { t: [0, 1000, 2000], client: { TIME_WAIT: [0, 1000, 1000] }, server: { LISTEN: [1, 1, 1] } },
    },
    histograms: { connect: '', firstByte: '', total: '', close: '', portReuseInterval: '' },
  };
  edit(r);
  return r;
}

/** `n` client errors `code` in `phase`, in both places a result keeps them (the summary and by phase). */
export function addErrors(r: RunResult, code: string, phase: Phase, n: number): void {
  r.summary.errors[code] = (r.summary.errors[code] ?? 0) + n;
  const into = (r.errors[code] ??= { total: 0, byPhase: {} });
  into.total += n;
  into.byPhase[phase] = (into.byPhase[phase] ?? 0) + n;
}

/**
 * The same run as HTTP: 1,000 requests through undici with `reset: true` against a server that
 * never closes first, so each request opened a connection and left a client TIME_WAIT.
 * `close`, `payload` and `connections` stay as the schema fills them: HTTP runs ignore them.
 */
export function makeHttpResult(edit: (r: RunResult) => void = () => undefined): RunResult {
  return makeResult((r) => {
    r.scenario.name = 'hand-made-http';
    r.scenario.protocol = 'http';
    r.scenario.connections = 5000;
    r.scenario.http = {
      requests: 1000,
      client: 'reset',
      path: '/',
      requestsPerConnection: 1,
      connections: null,
      policy: 'wait-client',
      keepAliveTimeout: 5000,
      maxRequestsPerConnection: 0,
      closeAfter: 1,
      body: 64,
      serviceDelay: { min: 0, max: 0 },
    };
    r.summary.requests = { total: 1000, ok: 1000, failed: 0, ratePerSec: 2000, perConnection: 1 };
    r.series.driver.columns['requestsOk'] = [200, 200, 200, 200, 200];
    edit(r);
  });
}

/** The finding of one rule in a result's verdict, or undefined when the rule said nothing. */
export const finding = (r: RunResult, rule: FindingRule): Finding | undefined => verdict(r).findings.find((f) => f.rule === rule);

/** No TIME_WAIT anywhere. */
/** Makes `r` a routed lab's result with `clients` client hosts and a server host (no NAT, an empty conntrack record). */
export function asLab(r: RunResult, clients: number): void {
  const lab: LabFacts = {
    topology: 'routed',
    hosts: [
      ...Array.from({ length: clients }, (_, i) => ({ name: `client${i + 1}`, role: 'client' as const, address: `198.18.${i + 1}.2` })),
      { name: 'server', role: 'server', address: '198.19.0.2' },
    ],
    router: { nat: null, conntrack: { samples: [], peakEntries: 0, peakTimeWait: 0, counters: {} } },
    serverCensus: [],
  };
  (r as RunResult & { lab: LabFacts }).lab = lab;
}

export const noTimeWait = { peak: 0, peakClient: 0, peakServer: 0, end: 0, sockstatPeak: 0, reopened: 0 };

/** `n` TIME_WAIT sockets on the server, none on the client, in the summary and the census. */
export const serverTimeWait = (x: RunResult, n: number): void => {
  x.summary.timeWait = { peak: n, peakClient: 0, peakServer: n, end: n, sockstatPeak: n, reopened: 0 };
  x.series.census.client = {};
  x.series.census.server = { LISTEN: [1, 1, 1], TIME_WAIT: [0, n, n] };
};
