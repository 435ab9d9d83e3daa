// Where the page's results came from, when that is more than one plain run: the spread of a
// repeat set (median, min–max of every headline figure) and the contributors of a merged
// result (one row per shard/host with its share of the work, ports and TIME_WAIT).
import type { RunResult } from '../../result/model.js';
import { mergedOf } from '../../result/provenance.js';
import { repeatSpreads } from '../../result/spread.js';
import { html, type Html } from './safe.js';
import { decimalFormat } from '../../util/format.js';

const n = decimalFormat(3);

/** Empty (no section at all) for plain runs. */
export function provenanceSection(results: RunResult[]): Html | '' {
  const parts = [...spreadTables(results), ...contributorTables(results)];
  if (parts.length === 0) return '';
  return html`<section id="provenance" aria-labelledby="provenance-h">
<h2 id="provenance-h">Repeats and contributors</h2>
${parts}
</section>`;
}

function spreadTables(results: RunResult[]): Html[] {
  return repeatSpreads(results).map(
    (set) => html`<div class="table-wrap"><table class="spread">
<caption>${set.key}: spread over ${set.runs} repeats, each in a fresh namespace</caption>
<thead><tr><th scope="col">figure</th><th scope="col">median</th><th scope="col">min – max</th><th scope="col">spread</th></tr></thead>
<tbody>
${set.rows.map((r) => html`<tr><th scope="row">${r.label}</th><td class="num">${n(r.median)}</td><td class="num">${n(r.min)} – ${n(r.max)}</td><td class="num">${r.spreadPct === null ? '' : `±${r.spreadPct}%`}</td></tr>\n`)}</tbody>
</table></div>\n`,
  );
}

function contributorTables(results: RunResult[]): Html[] {
  return results.flatMap((r) => {
    const merged = mergedOf(r);
    if (!merged) return [];
    const rows = merged.contributors.map((c, i) => {
      const range = c.ports.range ? `${c.ports.range.low}–${c.ports.range.high}` : '–';
      const errors = Object.entries(c.errors).map(([code, count]) => `${code} ${n(count)}`).join(', ') || '–';
      return html`<tr><th scope="row">${c.shard ? `shard ${c.shard.index + 1}/${c.shard.count}` : `#${i + 1}`}</th><td>${c.host}</td><td class="text">${c.file}</td><td class="num">${n(c.connections.attempted)}</td><td class="num">${c.requests === null ? '–' : n(c.requests)}</td><td>${range}</td><td class="num">${n(c.ports.distinct)}</td><td class="num">${n(c.timeWait.peakClient)} / ${n(c.timeWait.peakServer)}</td><td>${errors}</td></tr>\n`;
    });
    return [
      html`<div class="table-wrap"><table class="contributors">
<caption>${r.scenario.name}: merged from ${merged.contributors.length} results (counts added, histograms added exactly, series aligned on wall-clock time)</caption>
<thead><tr><th scope="col">part</th><th scope="col">host</th><th scope="col">file</th><th scope="col">connections</th><th scope="col">requests</th><th scope="col">port range</th><th scope="col">distinct ports</th><th scope="col">TIME_WAIT peak client / server</th><th scope="col">errors</th></tr></thead>
<tbody>
${rows}</tbody>
</table></div>
${merged.warnings.map((w) => html`<p class="note">⚠ ${w}</p>\n`)}`,
    ];
  });
}
