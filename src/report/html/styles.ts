// The page's CSS: readable at laptop width, no web fonts (system stack), and a print layout
// that keeps each chart on one page.
export const PAGE_CSS = `
:root { --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --bg:#fff; --alert:#a40e26; --ok:#116329; --accent:#0b5cad; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; color:var(--fg); background:var(--bg); }
header, main, footer { max-width:1120px; margin:0 auto; padding:0 20px; }
header { padding-top:16px; border-bottom:1px solid var(--line); }
h1 { font-size:1.5rem; margin:.2rem 0; }
h2 { font-size:1.2rem; margin:1.6rem 0 .6rem; border-bottom:1px solid var(--line); padding-bottom:.2rem; }
h3 { font-size:1rem; margin:.2rem 0; }
.meta, .note, figcaption p { color:var(--muted); font-size:.88rem; margin:.2rem 0; }
nav { margin:.4rem 0 .6rem; font-size:.9rem; }
nav a { margin-right:1rem; color:var(--accent); white-space:nowrap; }
.verdict { border:2px solid var(--fg); border-radius:6px; padding:12px 16px; margin:1rem 0; }
.verdict .headline { font-size:1.15rem; font-weight:600; margin:.2rem 0 .6rem; }
/* A word longer than a phone's line (an errno name, a path with no hyphen) breaks rather than
   push its list, or the page, wider than the window: minmax(0,…) lets the text column shrink. */
header, main, footer { overflow-wrap:break-word; }
.findings { display:grid; grid-template-columns:max-content minmax(0,1fr); gap:.3rem 1rem; margin:0; }
.findings dd { overflow-wrap:anywhere; }
.findings dt { font-weight:600; }
.findings dd { margin:0; }
.flag { display:inline-block; font-size:.75rem; font-weight:700; letter-spacing:.04em; padding:0 .35rem; border-radius:3px; margin-right:.35rem; border:1px solid currentColor; }
.flag.alert { color:var(--alert); }
.flag.ok { color:var(--ok); }
.change { margin-top:.8rem; padding:.6rem .8rem; border-left:6px solid var(--accent); background:#f0f6fc; }
.change strong { font-size:1.05rem; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(320px,1fr)); gap:12px; }
.cards .verdict { margin:0; }
.cards .findings { grid-template-columns:1fr; gap:0; }
.cards .findings dd { margin-bottom:.4rem; }
.cards .headline { font-size:1rem; }
caption { text-align:left; }
table { border-collapse:collapse; font-size:.88rem; margin:.4rem 0; }
th, td { border:1px solid var(--line); padding:.25rem .5rem; text-align:right; vertical-align:top; }
th:first-child, td:first-child, td.text, th.text { text-align:left; }
td.num { white-space:nowrap; }
table.comparison { width:100%; }
table.comparison th, table.comparison td { padding:.25rem .4rem; }
table.comparison td.text { min-width:7em; }
table.comparison th[scope=col] { vertical-align:bottom; }
/* The mark goes under its figure: beside it, it made every ranked column twice as wide. */
table.comparison .rank { display:block; }
table.comparison tbody.run { border-top:2px solid var(--line); }
table.comparison tr.one-change td { color:var(--fg); background:#f0f6fc; }
table.comparison tr.one-change .flag { color:var(--accent); }
thead th { background:#f6f8fa; }
/* A caption, or a sentence in a full-width row, is as wide as its table: when the table scrolls
   sideways (a phone; a wide comparison) it ran under the wrap's edge. Held to the visible width
   (100cqi: the wrap's) and to its left edge, it reads without scrolling. */
.table-wrap { overflow-x:auto; container-type:inline-size; }
.table-wrap caption, .table-wrap .in-view { position:sticky; left:0; max-width:100cqi; }
.table-wrap td .in-view { max-width:calc(100cqi - 1rem); }
.rank { font-weight:700; white-space:nowrap; }
.rank.best { color:var(--ok); }
.rank.worst { color:var(--alert); }
.charts { display:grid; grid-template-columns:1fr; gap:18px; }
.lab-sides { display:grid; grid-template-columns:1fr; gap:12px; margin:.6rem 0 1rem; }
/* The client hosts' table takes a row of its own: six columns of host, counts and errors need
   ~550 px, and a third of the 1,120 px page left its errors column behind a sideways scroll (an
   audit). The router and the server host share the row below. */
@media (min-width: 700px) { .lab-sides { grid-template-columns:minmax(0,1fr) minmax(0,1fr); } .lab-side[data-side="clients"] { grid-column:1 / -1; } }
.lab-side { border:1px solid var(--line); border-radius:6px; padding:8px 12px; min-width:0; }
.lab-side h3, .lab-side h4 { margin-top:.2rem; }
.lab-side h4 { font-size:1rem; margin-bottom:.2rem; }
.lab-side .findings { grid-template-columns:1fr; gap:0; }
.lab-side .findings dt { font-weight:600; }
.lab-side .findings dd { margin:0 0 .4rem; }
.lab-side table { font-size:.8rem; }
.lab-side th, .lab-side td { padding:.2rem .35rem; }
.lab-side .sub { display:block; color:var(--muted); font-weight:400; font-size:.75rem; }
table.lab-conntrack tr.alert th { color:var(--alert); }
.multiples > h3 { margin-top:.4rem; }
h4 { font-size:.92rem; margin:.2rem 0; }
figure.chart { margin:0; break-inside:avoid; page-break-inside:avoid; }
.plot { min-height:280px; }
/* Undrawn (no script ran), a chart's place is its one sentence, not an empty box. */
.plot:has(> p) { min-height:0; }
/* uPlot's legend is a <table>: the data-table rules above (borders, padding, right-aligned cells)
   made each entry a row of bordered cells. It is a legend, not data. */
.uplot .u-legend { font-size:.8rem; }
.u-legend th, .u-legend td { border:0; padding:2px 4px; text-align:left; background:none; }
.uplot .u-legend .u-marker { width:1.6em; height:0; border-width:3px !important; background:none !important; border-left:none !important; border-right:none !important; border-bottom:none !important; vertical-align:middle; }
details { margin:.6rem 0; }
summary { cursor:pointer; font-weight:600; }
pre { background:#f6f8fa; padding:.6rem; overflow-x:auto; font-size:.82rem; }
.alertbox { border:2px solid var(--alert); padding:.5rem .8rem; border-radius:4px; }
footer { color:var(--muted); font-size:.8rem; padding:1.5rem 20px; }
@media (min-width: 1000px) { .charts.two { grid-template-columns:1fr 1fr; } }
@media print {
  nav { display:none; }
  body { font-size:11pt; }
  header, main, footer { max-width:none; padding:0; }
  .charts.two { grid-template-columns:1fr; }
  details { display:block; }
  details > *:not(summary) { display:block; }
  h2 { break-after:avoid; }
  /* Paper does not scroll: a table wider than the page lost its right-hand columns. Smaller
     type, and headers and words (not figures) that may break, until it fits. */
  table { font-size:8pt; }
  th, td, table.comparison th, table.comparison td { padding:.15rem .25rem; }
  th, td.text { overflow-wrap:anywhere; }
  table.comparison td.text { min-width:0; }
}
`;
