// Charts over the load's time axis (seconds since the load began, on the one clock the driver
// and the observers share): TCP states by side, connection rates, errors by errno, client ports
// held against the range, kernel counters as rates. With several results each series is
// labelled with its variant and all of them share the axis.
import type { RunResult } from '../../result/model.js';
import { clientPortPool, clientPortRanges, clientPortsHeld, offeredStarts } from '../../result/figures.js';
import { runLabels } from '../../result/provenance.js';
import { sideCensus } from '../../result/lab.js';
import { countersWhere } from '../../observe/counters.js';
import { chartFrom, extent, LOAD_TIME_LABEL, secs, styleAt, type ChartPart, type ChartSpec, type LineStyle, type Marker } from './chart-spec.js';

type Part = ChartPart;



/**
 * The widest gap (s) across which two census points of a run are joined by a line. The census
 * comes every census interval, more often while the counts move (src/observe/sampler.ts), and
 * less often when its cost defers it: where two looks are no farther apart than 1.5 cheap sample
 * intervals, or a fiftieth of the run's time axis (a few pixels), a line between them is what
 * was measured; farther apart it would be a guess, so those points are markers only.
 */
export function censusMaxGapSeconds(r: RunResult): number {
  const t = r.series.kernel.t.length > 0 ? r.series.kernel.t : r.series.census.t;
  const spanMs = t.length > 1 ? t[t.length - 1]! - t[0]! : 0;
  return Math.max(1.5 * r.scenario.sample, spanMs / 50) / 1000;
}

/** In a comparison every label names its run; in a single report that would be noise. */
function labeller(results: RunResult[]): (r: RunResult, what: string) => string {
  const labels = runLabels(results);
  return results.length > 1 ? (r, what) => `${what} · ${labels.get(r)!}` : (_r, what) => what;
}

function exhaustionMarkers(results: RunResult[]): Marker[] {
  const labels = runLabels(results);
  return results
    .filter((r) => r.summary.ports.exhaustedAtMs !== null)
    .map((r) => ({
      x: secs(r.load.startMs, [r.summary.ports.exhaustedAtMs!])[0]!,
      label: results.length > 1 ? `ports ran out (${labels.get(r)!})` : 'ports ran out',
    }));
}

/**
 * Where the census reads the socket table (observe/tcp-source.ts): netlink sock_diag, what `ss`
 * reads, or /proc/net/tcp{,6} without the native layer (a newcomer audit: the caption named
 * /proc alone for runs that read sock_diag).
 */
const CENSUS_SOURCE = "a census of the kernel's socket table (netlink sock_diag, as ss reads it; /proc/net/tcp and tcp6 without the native layer)";

// LISTEN is the server's one listening socket: a flat line at 1 that says nothing.
const STATE_ORDER = ['TIME_WAIT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING', 'SYN_SENT', 'SYN_RECV'];

function statesChart(results: RunResult[]): ChartSpec {
  const label = labeller(results);
  const parts: Part[] = [];
  // sockstat has no sides; in a comparison it would double the lines without telling variants apart.
  const sockstat = results.length === 1;
  for (const r of results) {
    for (const side of ['client', 'server'] as const) {
      // Each side at its own hosts' looks (a routed lab's hosts look at different moments).
      const census = sideCensus(r, side);
      const states = Object.keys(census.states)
        .filter((s) => s !== 'LISTEN' && (census.states[s] ?? []).some((n) => n > 0))
        .sort((a, b) => rank(a) - rank(b));
      for (const state of states) {
        parts.push({ x: secs(r.load.startMs, census.t), label: label(r, `${side} ${state}`), values: census.states[state]!, maxGap: censusMaxGapSeconds(r) });
      }
    }
    if (sockstat) parts.push({ x: secs(r.load.startMs, r.series.kernel.t), label: SOCKSTAT_LABEL, values: r.series.kernel.tw });
  }
  // The caption says only what is drawn: the sockstat line is promised only where there is one.
  return chartFrom(
    {
      id: 'states',
      title: 'TCP states by side',
      description: sockstat
        ? `Sockets in each TCP state on the client and the server side over time, from ${CENSUS_SOURCE}, with /proc/net/sockstat tw sampled more often.`
        : `Sockets in each TCP state on the client and the server side over time, from ${CENSUS_SOURCE}.`,
      notes: [
        sockstat
          ? `The census is taken every census interval, and more often while the counts move; its points are joined only where they are close together, elsewhere they are markers (a line would guess what happened between two looks). "${SOCKSTAT_LABEL}" is read every sample interval and also counts orphaned FIN_WAIT2 sockets. The listening socket is left out.`
          : 'The census is taken every census interval, and more often while the counts move; its points are joined only where they are close together, elsewhere they are markers. The listening socket is left out. Each run\'s own report also draws /proc/net/sockstat tw.',
      ],
      kind: 'time',
      xLabel: LOAD_TIME_LABEL,
      yLabel: 'sockets',
      markers: exhaustionMarkers(results),
    },
    parts,
  );
}

export const SOCKSTAT_LABEL = 'sockstat tw (both sides)';

const rank = (state: string): number => {
  const i = STATE_ORDER.indexOf(state);
  return i < 0 ? STATE_ORDER.length : i;
};

function perSecond(r: RunResult, column: string): number[] {
  const d = r.series.driver;
  const scale = 1000 / d.intervalMs;
  return (d.columns[column] ?? d.t.map(() => 0)).map((n) => n * scale);
}

/** Driver buckets are plotted at their midpoint, where the rate they hold was measured. */
function bucketMidpoints(r: RunResult): number[] {
  const d = r.series.driver;
  return secs(r.load.startMs, d.t.map((t) => t + d.intervalMs / 2));
}

const isHttp = (r: RunResult): boolean => r.scenario.protocol === 'http';

function ratesChart(results: RunResult[]): ChartSpec {
  const label = labeller(results);
  const parts: Part[] = [];
  let anyOffered = false;
  for (const r of results) {
    const x = bucketMidpoints(r);
    // HTTP: requests beside connections is the whole story of keep-alive (many requests, few
    // connections) versus churn (one connection per request). The driver records them as
    // requestsOk / requestsFailed (metrics/load-stats.ts).
    if (isHttp(r)) {
      parts.push({ x, label: label(r, 'requests ok/s'), values: perSecond(r, 'requestsOk') });
      if ((r.summary.requests?.failed ?? 0) > 0 || r.series.driver.columns['requestsFailed'] !== undefined) {
        parts.push({ x, label: label(r, 'requests failed/s'), values: perSecond(r, 'requestsFailed') });
      }
    }
    parts.push({ x, label: label(r, 'new connections/s'), values: perSecond(r, 'established') });
    // Under http a connection "completes" when its socket closes without an error, not after one exchange.
    parts.push({ x, label: label(r, isHttp(r) ? 'connections closed/s' : 'completions/s'), values: perSecond(r, 'completed') });
    if (r.summary.connections.failed > 0) parts.push({ x, label: label(r, 'failures/s'), values: perSecond(r, 'failed') });
    // Open loop: the schedule asked for (rate and stages) beside what was made, per driver
    // interval as the made lines are, so a load that fell behind or ran out of ports shows as
    // a gap under the ramp, not as a ramp of its own.
    const offered = offeredStarts(r);
    if (offered !== null) {
      anyOffered = true;
      const d = r.series.driver;
      const perSec = 1000 / d.intervalMs;
      parts.push({ x, label: label(r, `offered ${isHttp(r) ? 'requests' : 'connections'}/s`), values: d.t.map((t) => offered(t, t + d.intervalMs) * perSec) });
    }
  }
  const http = results.some(isHttp);
  return chartFrom(
    {
      id: 'rates',
      title: http ? 'Requests and new connections per second' : 'New connections and completions per second',
      description: http
        ? 'HTTP requests answered (and failed) per second next to TCP connections established and closed per second, per driver sample interval.'
        : 'Connections established and request/response exchanges completed per second, per driver sample interval.',
      notes: [
        ...(http ? ['With keep-alive the requests line sits far above new connections/s; when every request opens a connection the two lines coincide.'] : []),
        ...(anyOffered
          ? ['Offered: what the open loop\'s rate and stages made due in each interval (every client host\'s, up to the count and the duration); the driver starts late ones as soon as it can, so a gap under it is starts made late or never.']
          : []),
      ],
      kind: 'time',
      xLabel: LOAD_TIME_LABEL,
      yLabel: 'per second',
      markers: exhaustionMarkers(results),
    },
    parts,
  );
}

function errorsChart(results: RunResult[]): ChartSpec | null {
  const label = labeller(results);
  const parts: Part[] = [];
  for (const r of results) {
    const x = bucketMidpoints(r);
    for (const column of Object.keys(r.series.driver.columns).filter((c) => c.startsWith('errors.')).sort()) {
      parts.push({ x, label: label(r, `${column.slice('errors.'.length)}/s`), values: perSecond(r, column) });
    }
  }
  if (parts.length === 0) return null;
  return chartFrom(
    {
      id: 'errors',
      title: 'Client errors per second, by errno',
      description: 'Client-side errors per second by their errno code, per driver sample interval.',
      notes: [],
      kind: 'time',
      xLabel: LOAD_TIME_LABEL,
      yLabel: 'errors per second',
      markers: exhaustionMarkers(results),
    },
    parts,
  );
}

function portsChart(results: RunResult[]): ChartSpec {
  const label = labeller(results);
  const parts: Part[] = [];
  for (const r of results) {
    const held = clientPortsHeld(r);
    parts.push({ x: secs(r.load.startMs, held.t), label: label(r, 'client ports held'), values: held.held, maxGap: censusMaxGapSeconds(r) });
    // The ports the client drew from: the ones it names, or the kernel's range.
    const { range, named } = clientPortPool(r);
    if (range) {
      const x = secs(r.load.startMs, [held.t[0] ?? 0, ...r.series.kernel.t.slice(-1), ...held.t.slice(-1)]);
      // A routed lab's client hosts each have the range, and the held line adds them all.
      const ranges = clientPortRanges(r);
      const what = named ? `named ports (${ranges > 1 ? `${ranges} × ` : ''}${range.size})` : ranges > 1 ? `port ranges (${ranges} × ${range.size})` : `port range (${range.size})`;
      parts.push({ x, label: label(r, what), values: x.map(() => range.size * ranges) });
    }
  }
  // The caption names the range the line is drawn at: a run with client.portRange or
  // client.localPorts draws that one, not ip_local_port_range (a 101-port client.portRange was
  // captioned as the namespace's 28,232-port range).
  const pools = [
    ...new Set(
      results.map((r) =>
        clientPortPool(r).named ? 'client.localPorts' : (r.scenario.client as { portRange?: string | null } | undefined)?.portRange != null ? 'client.portRange' : 'ip_local_port_range',
      ),
    ),
  ];
  return chartFrom(
    {
      id: 'ports',
      title: 'Client ports in use versus the port range',
      description: `Client-side sockets of any state (each holds an ephemeral port toward the server) against the size of ${pools.join(' or ')}.`,
      notes: [
        'Approximated from the census: every client-side socket, TIME_WAIT included, counts as one port held toward the one destination. Short-lived connections between two census samples are not seen; the driver\'s own peak is in the verdict.',
      ],
      kind: 'time',
      xLabel: LOAD_TIME_LABEL,
      yLabel: 'ports',
      markers: exhaustionMarkers(results),
    },
    parts,
  );
}

/** Always shown (they name the TIME_WAIT outcomes); the others only when they moved. */
const KERNEL_ALWAYS = countersWhere((c) => c.chart === 'always');
const KERNEL_IF_MOVED = countersWhere((c) => c.chart === 'if-moved');

function kernelChart(results: RunResult[]): ChartSpec {
  const label = labeller(results);
  const parts: Part[] = [];
  for (const r of results) {
    const k = r.series.kernel;
    const moved = (name: string): boolean => (r.summary.kernel[name] ?? 0) > 0;
    // In a comparison, counters that stayed at zero would only multiply flat lines.
    const anyMoved = [...KERNEL_ALWAYS, ...KERNEL_IF_MOVED].some(moved);
    const names = [...KERNEL_ALWAYS.filter((n) => results.length === 1 || !anyMoved || moved(n)), ...KERNEL_IF_MOVED.filter(moved)];
    const x = secs(r.load.startMs, k.t.slice(1));
    for (const name of names) {
      const column = k.counters[name];
      if (!column) continue;
      const rates = column.slice(1).map((v, i) => {
        const dt = ((k.t[i + 1] ?? 0) - (k.t[i] ?? 0)) / 1000;
        return dt > 0 ? Math.max(0, (v - (column[i] ?? 0)) / dt) : null;
      });
      parts.push({ x, label: label(r, `${name.replace(/^Tcp(Ext)?/, '')}/s`), values: rates });
    }
  }
  return chartFrom(
    {
      id: 'kernel',
      title: 'Kernel TCP counters, per second',
      description: 'Rates of the kernel\'s TCP counters from /proc/net/snmp and /proc/net/netstat between consecutive samples.',
      // About the TW/s line only where one is drawn (it is drawn only when TcpExtTW moved): a run
      // whose connections all failed was told what TW/s counts under a chart without it.
      notes: parts.some((p) => p.label.startsWith('TW/s'))
        ? ['TW/s counts sockets entering TIME_WAIT (measured on Linux 6.18; older notes say ending); the live count is in the states chart.']
        : [],
      kind: 'time',
      xLabel: LOAD_TIME_LABEL,
      yLabel: 'per second',
      markers: exhaustionMarkers(results),
    },
    parts,
  );
}

/**
 * A comparison chart with more lines than this is drawn as small multiples, one panel per run:
 * past about six, overlaid lines and their legend can no longer be told apart.
 */
export const MAX_OVERLAID_LINES = 6;

type Builder = (results: RunResult[]) => ChartSpec | null;
const BUILDERS: Builder[] = [statesChart, ratesChart, errorsChart, portsChart, kernelChart];

export function timelineCharts(results: RunResult[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  for (const build of BUILDERS) {
    const overlaid = build(results);
    if (overlaid === null) continue;
    if (results.length === 1 || overlaid.series.length <= MAX_OVERLAID_LINES) charts.push(overlaid);
    else charts.push(...smallMultiples(overlaid, results, build));
  }
  // One x range for all: a synchronised cursor only means something if the axes agree.
  shareTimeAxis(charts);
  return charts;
}

/** Time charts share one x range, so the synchronised cursor means the same moment on each. */
export function shareTimeAxis(charts: ChartSpec[]): void {
  let lo = 0;
  let hi = -Infinity;
  for (const c of charts) {
    const e = extent(c.x);
    lo = Math.min(lo, e.min);
    hi = Math.max(hi, e.max);
  }
  if (hi > -Infinity) for (const c of charts) c.xRange = [lo, hi];
}

/**
 * One panel per run, under the overlaid chart's title: the same y maximum on every panel (equal
 * heights are equal values) and the same colour and dash for the same line in every panel.
 */
function smallMultiples(overlaid: ChartSpec, results: RunResult[], build: Builder): ChartSpec[] {
  const panels = results
    .map((r, i) => ({ r, i, chart: build([r]) }))
    .filter((p): p is { r: RunResult; i: number; chart: ChartSpec } => p.chart !== null);
  const styles = new Map<string, LineStyle>();
  let yMax = 0;
  for (const { chart } of panels) {
    for (const s of chart.series) {
      if (!styles.has(s.label)) styles.set(s.label, styleAt(styles.size));
      yMax = Math.max(yMax, extent(s.values).max);
    }
  }
  // The heading speaks for every panel: the panels' own caption when they share it (a run's
  // states draw sockstat, the overlaid chart does not), else the overlaid chart's, written for a
  // mix (HTTP beside TCP runs: the first panel's TCP caption stood under the HTTP title); and
  // every panel's notes, each once.
  const descriptions = new Set(panels.map((p) => p.chart.description));
  const description = descriptions.size === 1 ? [...descriptions][0]! : overlaid.description;
  const notes = [...new Set(panels.flatMap((p) => p.chart.notes))];
  const labels = runLabels(results);
  return panels.map(({ r, i, chart }) => ({
    ...chart,
    id: `${overlaid.id}-${i + 1}`,
    title: labels.get(r)!,
    // The group's heading carries the description; under each panel it would only repeat.
    description: '',
    notes: [],
    series: chart.series.map((s) => ({ ...s, style: styles.get(s.label)! })),
    yMax: yMax > 0 ? yMax : undefined,
    group: {
      id: overlaid.id,
      title: overlaid.title,
      description,
      notes: [
        ...notes,
        `One panel per run (${overlaid.series.length} lines would not read on one chart); every panel has the same axes and draws the same line the same way.`,
      ],
    },
  }));
}
