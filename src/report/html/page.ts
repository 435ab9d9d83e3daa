// The page template: one self-contained HTML document. Text (verdict, tables, environment) is
// rendered here as plain HTML so it reads, prints and is searchable without JavaScript; the
// charts are placeholders that client.ts fills from the embedded JSON. Every value is written
// through the `html` template (safe.ts), which escapes it; the CSP allows only the inline script
// and style written below.
import type { RunResult } from '../../result/model.js';
import { endpoint, int, ms, seconds } from '../../util/format.js';
import { stopReason } from '../stop-reason.js';
import { clientPortPool, costUnit, exhaustedAfterMs, rateBeforeExhaustion } from '../../result/figures.js';
import type { Verdict } from '../verdict.js';
import { firstToRunOut, portShortageWords, shortageCountWords } from '../verdict/words.js';
import type { ChartAssets } from './assets.js';
import type { ChartSpec } from './chart-spec.js';
import { CLIENT_JS } from './client.js';
import type { ComparisonTable } from './compare.js';
import { HTTP_NO_CLOSE_LATENCY, phasesOf, type PercentileRow } from './latency.js';
import { contentSecurityPolicy, html, inlineSafe, jsonForScript, trusted, type Html } from './safe.js';
import { PAGE_CSS } from './styles.js';
import { provenanceSection } from './provenance.js';
import { labSection } from './lab.js';
import { labOf } from '../../result/lab.js';

export interface PageModel {
  title: string;
  generatedAt: string;
  version: string;
  results: RunResult[];
  /** Each run's name beside the others (result/provenance.ts runLabels). */
  labels: Map<RunResult, string>;
  verdicts: Verdict[];
  comparison: ComparisonTable | null;
  timeline: ChartSpec[];
  latency: ChartSpec[];
  /** Sentences about the latency charts (lines merged because they were equal). */
  latencyNotes: string[];
  reuse: ChartSpec | null;
  /** connect() latency over time and over ports held, per run that recorded it (connect-fill.ts). */
  connect: { time: ChartSpec[]; held: ChartSpec[] };
  /** The routed lab's charts (single routed run; empty otherwise). */
  lab: ChartSpec[];
  percentiles: PercentileRow[];
  assets: ChartAssets;
}

export function renderPage(m: PageModel): string {
  const charts = [...m.timeline, ...m.lab, ...m.latency, ...(m.reuse ? [m.reuse] : []), ...m.connect.time, ...m.connect.held];
  const lab = labSection(m.results, chartGroups(m.lab), m.labels);
  const provenance = provenanceSection(m.results);
  const styles = [inlineSafe(m.assets.css, 'style'), PAGE_CSS];
  const scripts = [inlineSafe(m.assets.js, 'script'), inlineSafe(CLIENT_JS, 'script')];
  // The CSP <meta> comes first in <head>: a policy applies only to what the parser meets after it.
  // Its text is twstorm's own (hashes are base64: no quote can occur), written unescaped to stay readable.
  return html`<!doctype html>
<html lang="en">
<head>
<meta http-equiv="Content-Security-Policy" content="${trusted(contentSecurityPolicy(scripts, styles))}">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="twstorm ${m.version}">
<title>${m.title}</title>
${styles.map((s) => html`<style>${trusted(s)}</style>\n`)}</head>
<body>
<header>
<h1>${m.title}</h1>
${header(m)}
<nav aria-label="Sections"><a href="#verdict">Verdict</a>${provenance ? html`<a href="#provenance">Repeats and contributors</a>` : ''}${lab ? html`<a href="#lab">Lab</a>` : ''}<a href="#over-time">Over time</a><a href="#latency">Latency</a><a href="#ports">Ports</a><a href="#environment">Environment</a></nav>
</header>
<main>
${verdictSection(m)}
${provenance}
${lab}
<section id="over-time" aria-labelledby="over-time-h">
<h2 id="over-time-h">Over time</h2>
<p class="note">All charts below share one time axis, seconds since the load started (the verdict's "into the load"; negative before it); moving the cursor over one moves it on all. Click a legend entry (or Tab to it and press Enter) to hide or show that line.</p>
${chartGroups(m.timeline)}
${m.timeline.some((c) => c.id.startsWith('errors')) ? '' : html`<p>No client errors: nothing to chart by errno.</p>`}
</section>
${latencySection(m)}
${portsSection(m)}
${environmentSection(m)}
</main>
<footer>Made by twstorm ${m.version} on ${m.generatedAt} from ${m.results.length === 1 ? 'one saved result' : `${m.results.length} saved results`}. Self-contained: opens offline, makes no network request. Charts: uPlot (MIT).</footer>
<script type="application/json" id="twstorm-data">${trusted(jsonForScript({ charts }))}</script>
${scripts.map((s) => html`<script>${trusted(s)}</script>\n`)}</body>
</html>
`.value;
}

/** The scenario names of these results, each once, in order. */
export function scenarioNames(results: RunResult[]): string[] {
  return [...new Set(results.map((r) => r.scenario.name))];
}

/** Where a run ran, as the header says it. */
const whereOf = (r: RunResult): string => (r.environment.isolation === 'netns' ? `Network namespace (${r.environment.how})` : `HOST network (${r.environment.how})`);

function header(m: PageModel): Html {
  const r = m.results[0]!;
  // What the runs share is said once; what differs is said as such, never the first run's for
  // all (an audit: a lab's "routed lab: 2 client hosts" over four loopback runs).
  const shared = (what: string, of: (x: RunResult) => string): string => {
    const all = [...new Set(m.results.map(of))];
    return all.length === 1 ? all[0]! : `${all.length} different ${what} (see Environment)`;
  };
  const where = shared('networks', whereOf);
  const kernel = shared('kernels', (x) => `Linux ${x.environment.kernel}`);
  const node = shared('Node versions', (x) => `Node ${x.environment.node}`);
  const tool = shared('twstorm versions', (x) => `twstorm ${x.tool.version}`);
  const names = scenarioNames(m.results);
  const runs =
    m.results.length === 1
      ? html`Started ${r.startedAt}, load ran ${seconds(r.summary.durationMs)}; it stopped because ${stopReason(r)}.`
      : html`${m.results.length} runs compared: ${m.results.map((r) => m.labels.get(r)!).join('; ')}.`;
  const mixed =
    names.length > 1
      ? html`<p class="alertbox mixed-scenarios"><span class="flag alert">DIFFERENT SCENARIOS</span>These runs come from ${names.length} different scenarios (${names.join(', ')}). They may differ in more than one setting, so a difference below is not the effect of one change; compare variants of one scenario (a matrix) for that.</p>`
      : '';
  // Runs of different scenarios have different descriptions: none is printed for all of them.
  const description = names.length === 1 ? r.scenario.description : '';
  return html`${description ? html`<p class="meta">${description}</p>` : ''}
<p class="meta">${runs} ${where} · ${kernel} · ${node} · ${tool}</p>
${mixed}`;
}

function verdictBlock(v: Verdict, title: string | null): Html {
  const rows = v.findings.map(
    (f) => html`<dt>${f.label}</dt><dd>${f.alert ? html`<span class="flag alert">CHECK</span>` : ''}${f.text}</dd>\n`,
  );
  const ok = v.change.rule === 'none';
  return html`<div class="verdict" data-rule-change="${v.change.rule}">
${title === null ? '' : html`<h3>${title}</h3>`}
<p class="headline">${v.headline}</p>
<dl class="findings">
${rows}</dl>
<div class="change"><span class="flag ${ok ? 'ok' : 'alert'}">${ok ? 'OK' : 'CHANGE'}</span><strong>${v.change.change}.</strong> ${v.change.why}</div>
</div>`;
}

function verdictSection(m: PageModel): Html {
  if (m.results.length === 1) {
    return html`<section id="verdict" aria-labelledby="verdict-h"><h2 id="verdict-h">Verdict</h2>${verdictBlock(m.verdicts[0]!, null)}</section>`;
  }
  const t = m.comparison!;
  const cell = (c: { text: string; rank: 'best' | 'worst' | null }, i: number): Html => {
    const mark =
      c.rank === 'best' ? html` <span class="rank best">▲ best</span>` : c.rank === 'worst' ? html` <span class="rank worst">▼ worst</span>` : '';
    return html`<td class="${t.textual[i] ? 'text' : 'num'}"${c.rank ? html` data-rank="${c.rank}"` : ''}>${c.text}${mark}</td>`;
  };
  const requestNote = t.headers.includes('requests/s')
    ? '; HTTP runs are ranked on requests/s, requests per connection and request latency, not on conn/s or connect latency (a keep-alive run needs few connections), and beside TCP runs each kind is ranked among its own'
    : '';
  return html`<section id="verdict" aria-labelledby="verdict-h"><h2 id="verdict-h">Verdict: ${m.results.length} runs compared</h2>
<div class="table-wrap"><table class="comparison">
<caption class="note">Key figures per run. ▲ best and ▼ worst of each ranked column, by the rule the compare gate uses: rates higher is better, the rest lower${requestNote}; TIME_WAIT is ranked per 1,000 units of work when the runs did different amounts; nothing is marked where all runs agree. Under each run's figures: the one change its verdict suggests.</caption>
<thead><tr><th scope="col">${t.headers[0]}</th>${t.headers.slice(1).map((x, i) => html`<th scope="col" class="${t.textual[i] ? 'text' : 'num'}">${x}</th>`)}</tr></thead>
${t.rows.map(
  // The change row spans the run column too, and its sentence is held to the visible width
  // (.in-view): under a run name spanning both rows it started a column in and ran past the edge
  // of a table that scrolls sideways (375 px). `headers` keeps it the run's for a screen reader.
  (row, i) => html`<tbody class="run"><tr><th scope="row" id="run-${i + 1}">${row.run}</th>${row.cells.map(cell)}</tr>
<tr class="one-change"><td class="text" colspan="${t.headers.length}" headers="run-${i + 1}"><div class="in-view"><span class="flag">ONE CHANGE</span>${row.change}</div></td></tr></tbody>\n`,
)}</table></div>
<div class="cards">${m.verdicts.map((v, i) => verdictBlock(v, m.labels.get(m.results[i]!)!))}</div>
</section>`;
}

/**
 * What a chart's place says until client.ts draws into it (and clears it): with JavaScript off
 * every chart was an empty 280 px box with nothing to say why.
 */
export const NO_SCRIPT = 'This chart is drawn by the page\'s script, which has not run (is JavaScript off?). The verdict and the tables below hold the figures; the result JSON holds every point.';

/** A chart; `heading` 4 for a panel under its group's h3 (a sibling h3 read as a new chart). */
function figure(c: ChartSpec, heading: 3 | 4 = 3): Html {
  const notes = c.notes.map((n) => html`<p class="note">${n}</p>`);
  const h = trusted(`h${heading}`);
  return html`<figure class="chart" data-chart="${c.id}">
<figcaption><${h}>${c.title}</${h}>${c.description ? html`<p>${c.description}</p>` : ''}</figcaption>
<div class="plot" role="img" aria-label="${`${c.title}: ${c.series.map((s) => s.label).join(', ')}`}"><p class="note">${NO_SCRIPT}</p></div>
${notes}
</figure>`;
}

/** Charts one after the other; a chart split per run (small multiples) shares one heading. */
function chartGroups(charts: ChartSpec[]): Html {
  const out: Html[] = [];
  for (let i = 0; i < charts.length; ) {
    const group = charts[i]!.group;
    if (group === undefined) {
      out.push(figure(charts[i]!));
      i++;
      continue;
    }
    const members: ChartSpec[] = [];
    while (i < charts.length && charts[i]!.group?.id === group.id) members.push(charts[i++]!);
    out.push(html`<div class="multiples" data-group="${group.id}">
<h3>${group.title}</h3><p class="note">${group.description}</p>
<div class="charts two">${members.map((c) => figure(c, 4))}</div>
${group.notes.map((n) => html`<p class="note">${n}</p>`)}
</div>`);
  }
  return html`<div class="charts">${out}</div>`;
}

function latencySection(m: PageModel): Html {
  const rows = m.percentiles.map((row) => {
    const f = row.figures;
    const cells = [int(f.count), ms(f.min), ms(f.p50), ms(f.p90), ms(f.p99), ms(f.p999), ms(f.max), ms(f.mean)];
    return html`<tr>${m.results.length > 1 ? html`<td>${row.run}</td>` : ''}<th scope="row">${row.phase}</th>${cells.map((c) => html`<td>${c}</td>`)}</tr>\n`;
  });
  // A ramp's schedule is no fixed rate (an audit: a ramp 100 → 1,000 → 200/s read "a fixed rate").
  const open = m.results.filter((r) => r.scenario.rate != null);
  const ramped = open.some((r) => ((r.scenario as { stages?: unknown[] }).stages ?? []).length > 0);
  const openLoop = open.length > 0
    ? html`<p class="note">Open loop (${ramped ? 'a rate ramping through stages' : 'a fixed rate'}): connect, first-byte and total latencies count from when each connection was scheduled, so a driver that fell behind shows it.</p>`
    : '';
  const http = m.results.some((r) => r.scenario.protocol === 'http');
  const tcp = m.results.some((r) => r.scenario.protocol !== 'http');
  // Any run that recorded it (tcp, and raw HTTP on the engine), whatever its protocol.
  const lifeNote = m.results.some((r) => phasesOf(r).some((p) => p.key === 'life'))
    ? html`<p class="note">life: each connection from its start until it was closed, the time it held its client port (the plan's connection life).</p>`
    : '';
  return html`<section id="latency" aria-labelledby="latency-h">
<h2 id="latency-h">Latency</h2>
${tcp ? html`<p class="note">connect: until connect() completed; first byte: until the first response byte; total: the whole request/response exchange; close: from the first close until the socket was closed.</p>` : ''}
${http ? html`<p class="note">HTTP${tcp ? ' runs' : ''}: connect is recorded only when a request opened a new connection; first byte: until the response headers arrived; total: until the body was read. ${HTTP_NO_CLOSE_LATENCY}</p>` : ''}
${lifeNote}
${openLoop}
${m.latencyNotes.map((n) => html`<p class="note latency-note">${n}</p>`)}
<div class="charts${m.latency.length > 1 ? ' two' : ''}">${m.latency.map((c) => figure(c))}</div>
${m.latency.length === 0 ? html`<p>No connection completed a phase, so there is no latency to show.</p>` : ''}
<div class="table-wrap"><table class="percentiles">
<caption class="note">Milliseconds, from the HdrHistograms (3 significant digits).</caption>
<thead><tr>${m.results.length > 1 ? html`<th scope="col">run</th>` : ''}<th scope="col">phase</th><th scope="col">count</th><th scope="col">min</th><th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th><th scope="col">p99.9</th><th scope="col">max</th><th scope="col">mean</th></tr></thead>
<tbody>
${rows}</tbody></table></div>
</section>`;
}

function portsSection(m: PageModel): Html {
  const rows = m.results.map((r) => {
    const p = r.summary.ports;
    const { range, named } = clientPortPool(r);
    const cells = [
      range ? `${range.low}–${range.high} (${int(range.size)}${named ? ', named' : ''})` : '–',
      int(p.distinct),
      int(p.reused),
      int(p.reuses),
      ms(p.minReuseIntervalMs),
      ms(p.medianReuseIntervalMs),
      int(p.peakInUse),
      p.exhaustedAtMs === null ? 'never' : seconds(exhaustedAfterMs(r)!),
    ];
    return html`<tr>${m.results.length > 1 ? html`<th scope="row">${m.labels.get(r)!}</th>` : ''}${cells.map((c) => html`<td>${c}</td>`)}</tr>\n`;
  });
  // The rate the load reached before it: a closed loop then only backs off, so its rate over
  // the whole load (the connections table) is mostly back-off.
  const beforeShortageWords = (r: RunResult): string => {
    const count = r.summary.ports.establishedBeforeExhaustion;
    const rate = rateBeforeExhaustion(r);
    if (count == null) return '';
    return `, ${shortageCountWords(r)}${rate === null ? '' : ` (${int(rate)} new connections/s)`}`;
  };
  const exhausted = m.results
    .filter((r) => r.summary.ports.exhaustedAtMs !== null)
    .map(
      (r) =>
        html`<p class="alertbox"><span class="flag alert">RAN OUT</span>${m.results.length > 1 ? `${m.labels.get(r)!}: ` : ''}the port range ran out ${seconds(exhaustedAfterMs(r)!)} into the load${firstToRunOut(r)}${beforeShortageWords(r)}, at the first failure for want of a port: ${portShortageWords(r)}. The time charts mark the moment.</p>\n`,
    );
  return html`<section id="ports" aria-labelledby="ports-h">
<h2 id="ports-h">Ports</h2>
${exhausted}<div class="table-wrap"><table class="port-summary">
<thead><tr>${m.results.length > 1 ? html`<th scope="col">run</th>` : ''}<th scope="col">range</th><th scope="col">distinct</th><th scope="col">ports reused</th><th scope="col">reuses</th><th scope="col">min interval (ms)</th><th scope="col">median interval (ms)</th><th scope="col">peak open at once</th><th scope="col">ran out at</th></tr></thead>
<tbody>
${rows}</tbody></table></div>
<div class="charts">${m.reuse ? figure(m.reuse) : html`<p>No client port was used twice, so there is no reuse interval to show. (With tcp_tw_reuse=0 a port in TIME_WAIT comes back only after 60 s.)</p>`}</div>
${m.connect.time.length > 0 ? html`<div class="charts">${[...m.connect.time, ...m.connect.held].map((c) => figure(c))}</div>
` : ''}</section>`;
}

function environmentBlock(r: RunResult): Html {
  const env = r.environment;
  // A routed lab reads its sysctls back in the first client host; each host has its own.
  const lab = labOf(r)?.hosts.find((h) => h.role === 'client')?.name ?? null;
  const names = [...new Set([...Object.keys(env.sysctls), ...Object.keys(env.sysctlsRequested)])].sort();
  const sysctlRows = names.map((name) => {
    const inForce = env.sysctls[name];
    const asked = env.sysctlsRequested[name];
    const differs = asked !== undefined && inForce !== undefined && inForce !== null && String(asked) !== inForce;
    return html`<tr><td class="text">${name}</td><td class="text">${inForce ?? '–'}</td><td class="text">${asked ?? '(default)'}${differs ? html` <span class="flag alert">NOT IN FORCE</span>` : ''}</td></tr>\n`;
  });
  return html`<dl class="findings">
<dt>Isolation</dt><dd>${env.isolation === 'netns' ? 'own network namespace' : html`<span class="flag alert">HOST</span>host network`} (${env.how})${env.notice ? ` — ${env.notice}` : ''}</dd>
<dt>Kernel</dt><dd>Linux ${env.kernel} (${env.platform}/${env.arch}, ${int(env.cpus)} CPUs${env.timerHz != null ? `, HZ ${int(env.timerHz)}` : ''})</dd>
<dt>Node</dt><dd>${env.node}</dd>
<dt>twstorm</dt><dd>${r.tool.version}</dd>
<dt>Run</dt><dd>${r.startedAt} → ${r.endedAt}; it stopped because ${stopReason(r)}${r.interrupted ? html` <span class="flag alert">INTERRUPTED</span>` : ''}</dd>
<dt>Server</dt><dd>${serverWords(r)}</dd>
<dt>Driver cost</dt><dd>CPU ${int(r.summary.driver.cpuUserMs + r.summary.driver.cpuSystemMs)} ms (${r.summary.driver.cpuMsPer1000 === null ? `no ${costUnit(r)} made` : `${ms(r.summary.driver.cpuMsPer1000)} ms per 1,000 ${costUnit(r)}`}); event-loop delay p99 ${ms(r.summary.driver.eventLoopDelayMs.p99)} ms, max ${ms(r.summary.driver.eventLoopDelayMs.max)} ms</dd>
</dl>
<div class="table-wrap"><table class="sysctls"><thead><tr><th scope="col">sysctl</th><th scope="col">in force (read back${lab ? ` in ${lab}; the server host's own are in environment.server.sysctls` : ''})</th><th scope="col">scenario asked</th></tr></thead>
<tbody>
${sysctlRows}</tbody></table></div>
<details><summary>Scenario as run (defaults and --set applied; durations in ms)</summary><pre>${JSON.stringify(r.scenario, null, 2)}</pre></details>`;
}

/**
 * Who served the run. Only the bundled server keeps counts of its own (server.stats); for a
 * user's server.command or an external target they are zeros, not facts, and the server's
 * side is what the kernel shows (the census), as the terminal summary says too.
 */
function serverWords(r: RunResult): string {
  const isHttp = r.scenario.protocol === 'http';
  const where = `${endpoint(r.server.host, r.server.port)}${isHttp ? ' (HTTP)' : ''}`;
  const own = r.server.own;
  if (own !== undefined && 'target' in own) {
    return `${where}: an external target (${own.target}); nothing was started, and the host's sockets on that port are the server's side`;
  }
  if (own !== undefined) {
    const cut = own.logDropped ? `, of which ${int(own.logDropped)} bytes were left out between its start and its end` : '';
    return `${where}: your own server, "${own.command}" (its output: ${own.logPath}${cut}); the bundled server's counts do not apply, so the server's side is the kernel's (census)`;
  }
  const s = r.server.stats;
  return `${endpoint(r.server.host, r.server.port)}${isHttp ? ` (HTTP, policy ${r.scenario.http.policy})` : ''}: accepted ${int(s.accepted)}, ${isHttp ? 'responses' : 'replied'} ${int(s.replied)}, closed first with FIN ${int(s.closedFin)}, with RST ${int(s.closedRst)}`;
}

function environmentSection(m: PageModel): Html {
  const body =
    m.results.length === 1
      ? environmentBlock(m.results[0]!)
      : m.results.map((r, i) => html`<details${i === 0 ? trusted(' open') : ''}><summary>${m.labels.get(r)!}</summary>${environmentBlock(r)}</details>\n`);
  return html`<section id="environment" aria-labelledby="environment-h"><h2 id="environment-h">Environment</h2>${body}</section>`;
}
