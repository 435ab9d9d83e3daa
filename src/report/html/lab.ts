// The routed lab in the single-run report: client hosts, the router and the server host side by
// side (each read in its own namespace, so TIME_WAIT per side is counted, not guessed), then how
// TIME_WAIT lived in each over time — the hosts' sockets for 60 s, the router's conntrack entries
// for its own nf_conntrack_tcp_timeout_time_wait (120 s by default) — and the router's conntrack
// by TCP state. Everything from the result goes through `html` (safe.ts): host names, addresses,
// errno keys and counter names are escaped like every other field.
import { conntrackTimeWait, labOf, sideCensus, type LabFacts, type LabHostSummary } from '../../result/lab.js';
import type { RunResult } from '../../result/model.js';
import { TROUBLE_COUNTERS } from '../../observe/counters.js';
import { CONNTRACK_TROUBLE } from '../../observe/conntrack.js';
import { int } from '../../util/format.js';
import { chartFrom, LOAD_TIME_LABEL, secs, type ChartSpec } from './chart-spec.js';
import { html, type Html } from './safe.js';
import { censusMaxGapSeconds } from './timeline.js';
import { byCodeUnit } from '../../util/order.js';

const STATE_ORDER = ['TIME_WAIT', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSE'];
const rank = (s: string): number => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : STATE_ORDER.length);
/** The lab's charts (single-run report only): empty for a result without `lab`. */
export function labCharts(results: RunResult[]): ChartSpec[] {
  if (results.length !== 1) return [];
  const r = results[0]!;
  const lab = labOf(r);
  if (!lab) return [];
  const samples = lab.router.conntrack.samples;
  // Census and conntrack samples are sparse: joined only where close together (timeline.ts).
  // The router's conntrack and the server host's census are taken every census interval (the
  // router's each after a `conntrack -L`, whose own time adds to the gap), not at the client's
  // sample rate: two of their looks up to two intervals apart are consecutive, and a line.
  const maxGap = censusMaxGapSeconds(r);
  const labGap = Math.max(maxGap, (2 * r.scenario.census) / 1000);
  const charts: ChartSpec[] = [];
  // The client hosts' own looks: at the server host's, the client count would be a held one (sideCensus).
  const clientCensus = sideCensus(r, 'client');
  // A census records a state once a socket was in it: a client host that never held TIME_WAIT (the
  // server closed first) has no column, and is 0 at every look, drawn as the server host's 0 is.
  // Left out, the chart of "each place" lost its client line while its note still named it.
  const clientTw = clientCensus.states['TIME_WAIT'] ?? clientCensus.t.map(() => 0);
  // The result's time series are the client hosts' added up (result/build-lab.ts); their peaks
  // one by one are in the client hosts' card.
  const clientHosts = lab.hosts.filter((h) => h.role === 'client');
  const clientLine = clientHosts.length === 1 ? `${clientHosts[0]!.name} TIME_WAIT (sockets)` : `client hosts TIME_WAIT (sockets, ${clientHosts.length} hosts added)`;
  charts.push(
    chartFrom(
      {
        id: 'lab-time-wait',
        title: 'TIME_WAIT in each place: client host, router, server host',
        description:
          'TIME_WAIT sockets in the client hosts and in the server host (each from its own namespace\'s census), and TIME_WAIT entries in the router\'s conntrack table, over time.',
        notes: [
          `${clientHosts.length === 1 ? `The client line is ${clientHosts[0]!.name}'s census.` : `The client line adds the ${clientHosts.length} client hosts' censuses; each host's peak is in the table above.`} The hosts keep TIME_WAIT for a fixed 60 s; the router keeps its entry for its own nf_conntrack_tcp_timeout_time_wait (120 s unless the scenario sets it).`,
        ],
        kind: 'time',
        xLabel: LOAD_TIME_LABEL,
        yLabel: 'sockets / entries',
        markers: [],
      },
      [
        { x: secs(r.load.startMs, clientCensus.t), label: clientLine, values: clientTw, maxGap },
        { x: secs(r.load.startMs, samples.map((s) => s.t)), label: 'router conntrack TIME_WAIT (entries)', values: samples.map((s) => s.states['TIME_WAIT'] ?? 0), maxGap: labGap },
        {
          x: secs(r.load.startMs, lab.serverCensus.map((s) => s.t)),
          label: 'server host TIME_WAIT (sockets)',
          values: lab.serverCensus.map((s) => s.states['TIME_WAIT'] ?? 0),
          maxGap: labGap,
        },
      ],
    ),
  );
  const states = [...new Set(samples.flatMap((s) => Object.keys(s.states)))].sort((a, b) => rank(a) - rank(b) || byCodeUnit(a, b));
  const trouble = CONNTRACK_TROUBLE.filter((k) => samples.some((s) => (s.stats?.[k as keyof typeof s.stats] ?? 0) > 0));
  charts.push(
    chartFrom(
      {
        id: 'lab-conntrack',
        title: 'Router conntrack: entries by TCP state',
        description: `The router's conntrack table over time, entries by TCP state (conntrack -L)${trouble.length > 0 ? ', and the connections it refused or dropped (/proc/net/stat/nf_conntrack, cumulative)' : ''}.`,
        notes: states.length === 0 ? ['The router tracked no TCP connection during the samples.'] : [],
        kind: 'time',
        xLabel: LOAD_TIME_LABEL,
        yLabel: 'entries',
        markers: [],
      },
      [
        { x: secs(r.load.startMs, samples.map((s) => s.t)), label: 'all entries', values: samples.map((s) => Object.values(s.states).reduce((a, b) => a + b, 0)), maxGap: labGap },
        ...states.map((state) => ({ x: secs(r.load.startMs, samples.map((s) => s.t)), label: state, values: samples.map((s) => s.states[state] ?? 0), maxGap: labGap })),
        ...trouble.map((k) => ({
          x: secs(r.load.startMs, samples.map((s) => s.t)),
          label: k,
          values: samples.map((s) => (s.stats ? (s.stats[k as keyof typeof s.stats] ?? 0) : null)),
          maxGap: labGap,
        })),
      ],
    ),
  );
  return charts;
}

/** The section: empty unless the page is one routed run. `charts` are labCharts' placeholders. */
export function labSection(results: RunResult[], charts: Html, labels?: Map<RunResult, string>): Html | '' {
  if (results.length !== 1) return comparedLabs(results, labels);
  const r = results[0]!;
  const lab = labOf(r);
  if (!lab) return '';
  return html`<section id="lab" aria-labelledby="lab-h">
<h2 id="lab-h">Routed lab: client hosts, router, server</h2>
<p class="note">${LAB_NOTE}</p>
${labSides(r, lab, 'h3')}
${charts}
</section>`;
}

const LAB_NOTE = 'Each host is its own network namespace with its own sockets, counters and sysctls, so every figure below is read where it happened, not guessed from ports. Addresses are from the benchmarking ranges (RFC 2544, RFC 5180).';

// In a comparison, each routed run's hosts, router and server under its own label: the table of
// key figures adds every host's, and without this the per-host counts, the NAT pool and the
// router's conntrack failures (the figure a matrix over router.nat is about) were on no page
// of the comparison, while its connect() notes sent the reader to "the table of client hosts".
// No lab charts: each run's are in its own report.
function comparedLabs(results: RunResult[], labels: Map<RunResult, string> | undefined): Html | '' {
  const routed = results.flatMap((r) => {
    const lab = labOf(r);
    return lab ? [{ r, lab }] : [];
  });
  if (routed.length === 0) return '';
  return html`<section id="lab" aria-labelledby="lab-h">
<h2 id="lab-h">Routed lab: client hosts, router, server, per run</h2>
<p class="note">${LAB_NOTE} The charts of TIME_WAIT in each place and of the router's conntrack are in each run's own report.</p>
${routed.map(({ r, lab }) => html`<div class="lab-run"><h3>${labels?.get(r) ?? r.scenario.name}</h3>
${labSides(r, lab, 'h4')}
</div>
`)}</section>`;
}

type Heading = 'h3' | 'h4';

function labSides(r: RunResult, lab: LabFacts, h: Heading): Html {
  const clients = lab.hosts.filter((x) => x.role === 'client');
  const server = lab.hosts.find((x) => x.role === 'server');
  return html`<div class="lab-sides">
${clientsCard(clients, h)}
${routerCard(r, lab, h)}
${serverCard(server, lab, h)}
</div>`;
}

/** A card's heading at the level its place on the page gives it (h3 in a run's report, h4 under a run in a comparison). */
const heading = (h: Heading, text: string): Html => (h === 'h3' ? html`<h3>${text}</h3>` : html`<h4>${text}</h4>`);

function clientsCard(clients: LabHostSummary[], h: Heading): Html {
  const rows = clients.map((h) => {
    const s = h.summary;
    const host = html`<th scope="row">${h.name}<span class="sub">${h.address}</span></th>`;
    if (!s) return html`<tr>${host}<td class="text" colspan="5">no result from this host</td></tr>\n`;
    const errors = Object.entries(s.errors).map(([code, n]) => `${code} ${int(n)}`).join(', ') || '–';
    const range = s.ports.range ? `${s.ports.range.low}–${s.ports.range.high}` : '';
    return html`<tr>${host}<td class="num">${int(s.connections.established)}</td><td class="num">${int(s.connections.failed)}</td><td class="num">${int(s.timeWait.peakClient)}</td><td class="num">${int(s.ports.distinct)}${range ? html`<span class="sub">of ${range}</span>` : ''}</td><td class="text">${errors}</td></tr>\n`;
  });
  return html`<div class="lab-side" data-side="clients">
${heading(h, `Client hosts (${clients.length})`)}
<div class="table-wrap"><table class="lab-clients">
<thead><tr><th scope="col">host</th><th scope="col">established</th><th scope="col">failed</th><th scope="col">TIME_WAIT peak</th><th scope="col">ports used</th><th scope="col" class="text">errors</th></tr></thead>
<tbody>
${rows}</tbody>
</table></div>
</div>`;
}

function routerCard(r: RunResult, lab: LabFacts, h: Heading): Html {
  const nat = lab.router.nat;
  const ct = lab.router.conntrack;
  const timeWait = conntrackTimeWait(r);
  const timeouts = { ...(r.scenario.environment as { router?: { conntrack?: { timeouts?: Record<string, number> } | null } }).router?.conntrack?.timeouts };
  delete timeouts['time_wait'];
  const natText = nat
    ? html`SNAT to ${nat.pool.length} address(es) (${nat.pool.join(', ')}) × ports ${nat.ports[0]}–${nat.ports[1]}${nat.randomFully ? ' with random-fully' : ''}: ${int(nat.tuples)} tuples per destination`
    : 'none (routing only)';
  // Linux 6.x keeps the `insert` column but no longer counts in it (0 beside 2,000 entries
  // made, an audit): shown only when a kernel still does.
  const counters = Object.entries(ct.counters).filter(([k, n]) => !(k === 'insert' && n === 0)).map(([k, n]) => {
    const bad = CONNTRACK_TROUBLE.includes(k) && n > 0;
    return html`<tr${bad ? html` class="alert"` : ''}><th scope="row">${k}</th><td class="num">${int(n)}${bad ? html` <span class="flag alert">CHECK</span>` : ''}</td></tr>\n`;
  });
  // time_wait as it was in force, however it was set (result/lab.ts), marked when the kernel's default.
  const timeoutText = [...Object.entries(timeouts).map(([k, v]) => `${k} ${v} s`), `time_wait ${timeWait.seconds} s${timeWait.set ? '' : " (the kernel's default)"}`].join(', ');
  return html`<div class="lab-side" data-side="router">
${heading(h, 'Router')}
<dl class="findings">
<dt>NAT</dt><dd>${natText}</dd>
<dt>conntrack peak</dt><dd>${int(ct.peakEntries)} entries, ${int(ct.peakTimeWait)} in TIME_WAIT</dd>
${ct.limit ? html`<dt>conntrack table</dt><dd>full at ${int(ct.limit.max)} entries (conntrack.limit): ${int(ct.limit.droppedSyns)} SYNs dropped${ct.limit.droppedSyns > 0 ? html` <span class="flag alert">CHECK</span>` : ''}</dd>
` : ''}
<dt>conntrack timeouts</dt><dd>${timeoutText}</dd>
</dl>
<div class="table-wrap"><table class="lab-conntrack">
<caption>conntrack statistics over the run (/proc/net/stat/nf_conntrack)</caption>
<tbody>
${counters}</tbody>
</table></div>
</div>`;
}

function serverCard(server: LabHostSummary | undefined, lab: LabFacts, h: Heading): Html {
  if (!server) return html`<div class="lab-side" data-side="server">${heading(h, 'Server host')}<p>No server host in the result.</p></div>`;
  const kernel = server.kernel ?? {};
  const trouble = TROUBLE_COUNTERS.filter((k) => (kernel[k] ?? 0) > 0).map((k) => `${k} ${int(kernel[k]!)}`);
  const peaks = new Map<string, number>();
  for (const s of lab.serverCensus) for (const [state, n] of Object.entries(s.states)) if (state !== 'LISTEN') peaks.set(state, Math.max(peaks.get(state) ?? 0, n));
  const census = [...peaks].filter(([, n]) => n > 0).map(([state, n]) => `${state} ${int(n)}`).join(', ');
  return html`<div class="lab-side" data-side="server">
${heading(h, 'Server host')}
<dl class="findings">
<dt>address</dt><dd>${server.address}</dd>
<dt>handshakes completed</dt><dd>${int(kernel['TcpPassiveOpens'] ?? 0)} connections (TcpPassiveOpens in its namespace: one that completes after its client gave up counts, though no accept() takes it)</dd>
<dt>TIME_WAIT peak</dt><dd>${int(server.timeWaitPeak ?? 0)}</dd>
<dt>census peaks</dt><dd>${census || 'no connection socket seen at a census'}</dd>
<dt>trouble counters</dt><dd>${trouble.length > 0 ? trouble.join(', ') : 'none'}</dd>
</dl>
</div>`;
}
