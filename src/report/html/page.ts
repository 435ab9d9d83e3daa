// The page template: one self-contained HTML document. Text (verdict, tables, environment) is
// rendered here as plain HTML so it reads, prints and is searchable without JavaScript; the
// charts are placeholders that client.ts fills from the embedded JSON.
import type { RunResult } from '../../metrics/result.js';
import { int, ms, seconds } from '../../util/format.js';
import type { Verdict } from '../verdict.js';
import type { ChartAssets } from './assets.js';
import type { ChartSpec } from './chart-spec.js';
import { CLIENT_JS } from './client.js';
import type { ComparisonTable } from './compare.js';
import { escapeHtml as h, inlineSafe, jsonForScript } from './escape.js';
import { HTTP_NO_CLOSE_LATENCY, type PercentileRow } from './latency.js';
import { PAGE_CSS } from './styles.js';
import { runLabel } from './timeline.js';

export interface PageModel {
  title: string;
  generatedAt: string;
  version: string;
  results: RunResult[];
  verdicts: Verdict[];
  comparison: ComparisonTable | null;
  timeline: ChartSpec[];
  latency: ChartSpec[];
  reuse: ChartSpec | null;
  percentiles: PercentileRow[];
  assets: ChartAssets;
}

export function renderPage(m: PageModel): string {
  const charts = [...m.timeline, ...m.latency, ...(m.reuse ? [m.reuse] : [])];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="twstorm ${h(m.version)}">
<title>${h(m.title)}</title>
<style>${inlineSafe(m.assets.css, 'style')}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
<h1>${h(m.title)}</h1>
${header(m)}
<nav aria-label="Sections"><a href="#verdict">Verdict</a><a href="#over-time">Over time</a><a href="#latency">Latency</a><a href="#ports">Ports</a><a href="#environment">Environment</a></nav>
</header>
<main>
${verdictSection(m)}
<section id="over-time" aria-labelledby="over-time-h">
<h2 id="over-time-h">Over time</h2>
<p class="note">All charts below share the run-time axis (seconds since the run started); moving the cursor over one moves it on all. Click a legend entry to hide or show that line.</p>
<div class="charts">${m.timeline.map(figure).join('\n')}</div>
${m.timeline.some((c) => c.id === 'errors') ? '' : '<p>No client errors: nothing to chart by errno.</p>'}
</section>
${latencySection(m)}
${portsSection(m)}
${environmentSection(m)}
</main>
<footer>Made by twstorm ${h(m.version)} on ${h(m.generatedAt)} from ${m.results.length === 1 ? 'one saved result' : `${m.results.length} saved results`}. Self-contained: opens offline, makes no network request. Charts: uPlot (MIT).</footer>
<script type="application/json" id="twstorm-data">${jsonForScript({ charts })}</script>
<script>${inlineSafe(m.assets.js, 'script')}</script>
<script>${inlineSafe(CLIENT_JS, 'script')}</script>
</body>
</html>
`;
}

function header(m: PageModel): string {
  const r = m.results[0]!;
  const env = r.environment;
  const where = env.isolation === 'netns' ? `network namespace (${env.how})` : `HOST network (${env.how})`;
  const runs =
    m.results.length === 1
      ? `Started ${r.startedAt}, load ran ${seconds(r.summary.durationMs)}, stopped by ${r.stoppedBy}.`
      : `${m.results.length} runs compared: ${m.results.map((x) => h(runLabel(x))).join('; ')}.`;
  return `<p class="meta">${h(r.scenario.description)}</p>
<p class="meta">${runs} ${h(where)} · Linux ${h(env.kernel)} · Node ${h(env.node)} · twstorm ${h(r.tool.version)}</p>`;
}

function verdictBlock(v: Verdict, title: string | null): string {
  const rows = v.findings
    .map(
      (f) =>
        `<dt>${h(f.label)}</dt><dd>${f.alert ? '<span class="flag alert">CHECK</span>' : ''}${h(f.text)}</dd>`,
    )
    .join('\n');
  return `<div class="verdict" data-rule-change="${h(v.change.rule)}">
${title ? `<h3>${h(title)}</h3>` : ''}
<p class="headline">${h(v.headline)}</p>
<dl class="findings">
${rows}
</dl>
<div class="change"><span class="flag ${v.change.rule === 'none' ? 'ok' : 'alert'}">${v.change.rule === 'none' ? 'OK' : 'CHANGE'}</span><strong>${h(v.change.change)}.</strong> ${h(v.change.why)}</div>
</div>`;
}

function verdictSection(m: PageModel): string {
  if (m.results.length === 1) {
    return `<section id="verdict" aria-labelledby="verdict-h"><h2 id="verdict-h">Verdict</h2>${verdictBlock(m.verdicts[0]!, null)}</section>`;
  }
  const t = m.comparison!;
  const cell = (c: { text: string; rank: 'best' | 'worst' | null }, i: number): string => {
    const mark = c.rank === 'best' ? ' <span class="rank best">▲ best</span>' : c.rank === 'worst' ? ' <span class="rank worst">▼ worst</span>' : '';
    const textual = i >= t.headers.length - 3 ? ' class="text"' : '';
    return `<td${textual}${c.rank ? ` data-rank="${c.rank}"` : ''}>${h(c.text)}${mark}</td>`;
  };
  return `<section id="verdict" aria-labelledby="verdict-h"><h2 id="verdict-h">Verdict: ${m.results.length} runs compared</h2>
<div class="table-wrap"><table class="comparison">
<caption class="note">Key figures per run. ▲ best and ▼ worst of each ranked column (lower is better, except conn/s${t.headers.includes('requests/s') ? ', requests/s and requests per connection' : ''}); nothing is marked where all runs agree.</caption>
<thead><tr>${t.headers.map((x, i) => `<th scope="col"${i >= t.headers.length - 3 ? ' class="text"' : ''}>${h(x)}</th>`).join('')}</tr></thead>
<tbody>
${t.rows.map((row) => `<tr><th scope="row">${h(row.run)}</th>${row.cells.map(cell).join('')}</tr>`).join('\n')}
</tbody></table></div>
<div class="cards">${m.verdicts.map((v, i) => verdictBlock(v, runLabel(m.results[i]!))).join('\n')}</div>
</section>`;
}

function figure(c: ChartSpec): string {
  const notes = c.notes.map((n) => `<p class="note">${h(n)}</p>`).join('');
  return `<figure class="chart" data-chart="${h(c.id)}">
<figcaption><h3>${h(c.title)}</h3><p>${h(c.description)}</p></figcaption>
<div class="plot" role="img" aria-label="${h(`${c.title}: ${c.series.map((s) => s.label).join(', ')}`)}"></div>
${notes}
</figure>`;
}

function latencySection(m: PageModel): string {
  const rows = m.percentiles
    .map((row) => {
      const f = row.figures;
      const cells = [int(f.count), ms(f.min), ms(f.p50), ms(f.p90), ms(f.p99), ms(f.p999), ms(f.max), ms(f.mean)];
      return `<tr>${m.results.length > 1 ? `<td>${h(row.run)}</td>` : ''}<th scope="row">${h(row.phase)}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const openLoop = m.results.some((r) => r.scenario.rate !== null)
    ? '<p class="note">Open loop (a fixed rate): connect, first-byte and total latencies count from when each connection was scheduled, so a driver that fell behind shows it.</p>'
    : '';
  const http = m.results.some((r) => r.scenario.protocol === 'http');
  const tcp = m.results.some((r) => r.scenario.protocol !== 'http');
  const phases = [
    tcp
      ? '<p class="note">connect: until connect() completed; first byte: until the first response byte; total: the whole request/response exchange; close: from the first close until the socket was closed.</p>'
      : '',
    http
      ? `<p class="note">HTTP${tcp ? ' runs' : ''}: connect is recorded only when a request opened a new connection; first byte: until the response headers arrived; total: until the body was read. ${h(HTTP_NO_CLOSE_LATENCY)}</p>`
      : '',
  ].join('');
  return `<section id="latency" aria-labelledby="latency-h">
<h2 id="latency-h">Latency</h2>
${phases}
${openLoop}
<div class="charts${m.latency.length > 1 ? ' two' : ''}">${m.latency.map(figure).join('\n')}</div>
${m.latency.length === 0 ? '<p>No connection completed a phase, so there is no latency to show.</p>' : ''}
<div class="table-wrap"><table class="percentiles">
<caption class="note">Milliseconds, from the HdrHistograms (3 significant digits).</caption>
<thead><tr>${m.results.length > 1 ? '<th scope="col">run</th>' : ''}<th scope="col">phase</th><th scope="col">count</th><th scope="col">min</th><th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th><th scope="col">p99.9</th><th scope="col">max</th><th scope="col">mean</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
</section>`;
}

function portsSection(m: PageModel): string {
  const rows = m.results
    .map((r) => {
      const p = r.summary.ports;
      const cells = [
        p.range ? `${p.range.low}–${p.range.high} (${int(p.range.size)})` : '–',
        int(p.distinct),
        int(p.reused),
        int(p.reuses),
        ms(p.minReuseIntervalMs),
        ms(p.medianReuseIntervalMs),
        int(p.peakInUse),
        p.exhaustedAtMs === null ? 'never' : seconds(p.exhaustedAtMs),
      ];
      return `<tr>${m.results.length > 1 ? `<th scope="row">${h(runLabel(r))}</th>` : ''}${cells.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const exhausted = m.results
    .filter((r) => r.summary.ports.exhaustedAtMs !== null)
    .map(
      (r) =>
        `<p class="alertbox"><span class="flag alert">RAN OUT</span>${m.results.length > 1 ? `${h(runLabel(r))}: ` : ''}the port range ran out at ${h(seconds(r.summary.ports.exhaustedAtMs!))} into the run: the first connect() that failed with EADDRNOTAVAIL. ${int(r.summary.errors['EADDRNOTAVAIL'] ?? 0)} connects failed that way; the time charts mark the moment.</p>`,
    )
    .join('\n');
  return `<section id="ports" aria-labelledby="ports-h">
<h2 id="ports-h">Ports</h2>
${exhausted}
<div class="table-wrap"><table class="port-summary">
<thead><tr>${m.results.length > 1 ? '<th scope="col">run</th>' : ''}<th scope="col">range</th><th scope="col">distinct</th><th scope="col">ports reused</th><th scope="col">reuses</th><th scope="col">min interval (ms)</th><th scope="col">median interval (ms)</th><th scope="col">peak open at once</th><th scope="col">ran out at</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
<div class="charts">${m.reuse ? figure(m.reuse) : '<p>No client port was used twice, so there is no reuse interval to show. (With tcp_tw_reuse=0 a port in TIME_WAIT comes back only after 60 s.)</p>'}</div>
</section>`;
}

function environmentBlock(r: RunResult): string {
  const env = r.environment;
  const names = [...new Set([...Object.keys(env.sysctls), ...Object.keys(env.sysctlsRequested)])].sort();
  const sysctlRows = names
    .map((name) => {
      const inForce = env.sysctls[name];
      const asked = env.sysctlsRequested[name];
      const differs = asked !== undefined && inForce !== undefined && inForce !== null && String(asked) !== inForce;
      return `<tr><td class="text">${h(name)}</td><td class="text">${h(inForce ?? '–')}</td><td class="text">${h(asked ?? '(default)')}${differs ? ' <span class="flag alert">NOT IN FORCE</span>' : ''}</td></tr>`;
    })
    .join('\n');
  const s = r.server.stats;
  return `<dl class="findings">
<dt>Isolation</dt><dd>${env.isolation === 'netns' ? 'own network namespace' : '<span class="flag alert">HOST</span>host network'} (${h(env.how)})${env.notice ? ` — ${h(env.notice)}` : ''}</dd>
<dt>Kernel</dt><dd>Linux ${h(env.kernel)} (${h(env.platform)}/${h(env.arch)}, ${int(env.cpus)} CPUs)</dd>
<dt>Node</dt><dd>${h(env.node)}</dd>
<dt>twstorm</dt><dd>${h(r.tool.version)}</dd>
<dt>Run</dt><dd>${h(r.startedAt)} → ${h(r.endedAt)}, stopped by ${h(r.stoppedBy)}${r.interrupted ? ' <span class="flag alert">INTERRUPTED</span>' : ''}</dd>
<dt>Server</dt><dd>${h(r.server.host)}:${r.server.port}${r.scenario.protocol === 'http' ? ` (HTTP, policy ${h(r.scenario.http.policy)})` : ''}: accepted ${int(s.accepted)}, ${r.scenario.protocol === 'http' ? 'responses' : 'replied'} ${int(s.replied)}, closed first with FIN ${int(s.closedFin)}, with RST ${int(s.closedRst)}</dd>
<dt>Driver cost</dt><dd>CPU ${int(r.summary.driver.cpuUserMs + r.summary.driver.cpuSystemMs)} ms (${ms(r.summary.driver.cpuMsPer1000)} ms per 1,000 connections); event-loop delay p99 ${ms(r.summary.driver.eventLoopDelayMs.p99)} ms, max ${ms(r.summary.driver.eventLoopDelayMs.max)} ms</dd>
</dl>
<div class="table-wrap"><table class="sysctls"><thead><tr><th scope="col">sysctl</th><th scope="col">in force (read back)</th><th scope="col">scenario asked</th></tr></thead>
<tbody>
${sysctlRows}
</tbody></table></div>
<details><summary>Scenario as run (defaults and --set applied; durations in ms)</summary><pre>${h(JSON.stringify(r.scenario, null, 2))}</pre></details>`;
}

function environmentSection(m: PageModel): string {
  const body =
    m.results.length === 1
      ? environmentBlock(m.results[0]!)
      : m.results
          .map((r, i) => `<details${i === 0 ? ' open' : ''}><summary>${h(runLabel(r))}</summary>${environmentBlock(r)}</details>`)
          .join('\n');
  return `<section id="environment" aria-labelledby="environment-h"><h2 id="environment-h">Environment</h2>${body}</section>`;
}
