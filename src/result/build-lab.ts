// One result for a whole routed lab (environment.topology: routed) from its client hosts' runs
// and the server host's samples, by merge's rules (add.ts); src/run/routed-run.ts runs the lab
// and hands its parts here, as execute.ts hands a run's to build.ts.
import type { Scenario } from '../scenario/index.js';
import type { RunResult, StopReason } from './model.js';
import type { KernelSample } from '../observe/index.js';
import type { LabFacts, LabResult } from './lab.js';
import { roundMs } from '../util/round.js';
import { addDriverCosts, addedLife, addErrorCounts, addHistograms, addMaps, addRequests, addSeries, establishedBeforeExhaustion, exactEnds, firstExhaustion, addedTimeWait, loadWindow, minOf } from './add.js';
import { mergeConnectFill } from './merge.js';
import { contributorsLastClose } from './peak-time.js';
import { timeWaitLanding } from '../scenario/close-semantics.js';
import { censusSeries, kernelSeries } from './build.js';
import { workUnit } from '../scenario/work.js';

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);


/**
 * One result for the whole lab, by merge's rules (result/add.ts): counts add up across hosts
 * (connections, errors, kernel counters of the client namespaces), latencies come from the
 * added histograms, the time series add up on the run's clock with the server host's census
 * and sockstat among them, and TIME_WAIT, rates and the load window are read from those. `lab`
 * keeps every host.
 */
export function composeLabResult(
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
      ? { requests: addRequests(s.map((x) => x.requests), established, addErrorCounts(clients.map((r) => r.errors)), (ok) => roundMs(ok / loadSeconds)) }
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
      how: `routed lab: ${clients.length} client host${clients.length === 1 ? '' : 's'} → router (the run's namespace, ${how}) → server host, a namespace each`,
      notice: null,
    },
    summary,
    errors,
    histograms,
    lab,
  };
}

/**
 * The server host's samples as series to add to the client hosts': its sockstat and its census
 * (every socket there is the server's). Its kernel counters stay in lab.hosts: the summary's
 * kernel counters are the client hosts', and the series must say what the summary says.
 */
export function serverHostSeries(samples: KernelSample[], intervalMs: number): Pick<RunResult, 'series'> {
  return {
    series: {
      driver: { intervalMs, t: [], columns: {} },
      kernel: { ...kernelSeries(samples), counters: {} },
      census: { ...censusSeries(samples), client: {} },
    },
  };
}
