// The routed lab in the HTML report, from a real small routed run (three client hosts behind a
// SNAT router, one server host, each its own namespace): client hosts across the page, router
// and server side by side below, TIME_WAIT in each place and the router's conntrack over time,
// drawn in Chromium under the page's CSP; and the same result with a payload in every string
// field runs nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabFacts } from '../../src/result/lab.js';
import type { RunResult } from '../../src/result/model.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { parseResult } from '../../src/result/read.js';
import { int } from '../../src/util/format.js';
import { killAllStarted, twstorm } from '../helpers/cli.js';
import { assertConntrackTimeWait } from '../helpers/netns.js';
import { inspectReport } from './browser.js';
import { poison } from './poison.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/results/', import.meta.url));

let dir: string;
let result: RunResult & { lab: LabFacts };

/** Where each side's box sits, and how far its table runs past its wrap (0: no sideways scroll). */
const SIDES_PROBE = `[...document.querySelectorAll('#lab .lab-side')].map((e) => { const r = e.getBoundingClientRect(); const w = e.querySelector('.table-wrap'); return { side: e.dataset.side, top: Math.round(r.top), left: Math.round(r.left), width: Math.round(r.width), over: w ? w.scrollWidth - w.clientWidth : 0 }; })`;

describe('HTML report of a routed-lab run', () => {
  // Inside the describe, not at the file's top: in-chromium.test.ts imports this file with
  // the other report files into one process, and a hook at the top would run the lab at once
  // (a root hook starts when registered) and fail every other file's suites if the run failed.
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'twstorm-html-lab-'));
    const out = path.join(dir, 'out');
    const exit = await twstorm(
      [
        'run', 'several-clients', '--out', out,
        '--set', 'connections=150', '--set', 'tail=300ms', '--set', 'census=200ms',
        '--set', 'environment.router.nat={"addresses":2,"ports":"40000-40999","randomFully":false}',
        // So an RST drawn by a busy server's late ACK cannot end a client host's TIME_WAIT before
        // it is counted (test/helpers/exact-counts.ts says how); the router's entry is another matter, below.
        '--set', 'environment.sysctls.net.ipv4.tcp_rfc1337=1',
      ],
      { timeoutMs: 120_000 },
    ).exit;
    assert.equal(exit.code, 0, exit.stderr);
    // Said once, as every run says it; and the kernel line says whose counters it sums: the
    // client hosts' opens and the server host's accepts, as a threshold reads them.
    assert.match(exit.stderr, /^twstorm: load started: 150 connections from each of 3 client hosts or \S+, whichever comes first$/m);
    assert.match(exit.stdout, /^kernel {8}\(client and server hosts\) ActiveOpens 450  PassiveOpens 450 /m);
    const json = (await readdir(out)).find((f) => f.endsWith('.json'))!;
    // Through the reader, as `twstorm report` takes it: a real lab passes the result schema.
    result = parseResult(JSON.parse(await readFile(path.join(out, json), 'utf8')), json) as typeof result;
    assert.equal(result.lab.hosts.length, 4);
  });
  after(async () => {
    killAllStarted();
    await rm(dir, { recursive: true, force: true });
  });

  it('client hosts across the page, router and server side by side below, TIME_WAIT per place and conntrack over time, drawn', async () => {
    const lab = result.lab;
    const page = await inspectReport(await renderHtmlReport([result]), { width: 1280, probe: SIDES_PROBE });
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.cspViolations, []);
    assert.deepEqual(page.requests, []);
    assert.equal(page.built, page.charts.length);
    for (const id of ['lab-time-wait', 'lab-conntrack']) {
      const chart = page.charts.find((c) => c.id === id);
      assert.ok(chart, `${id} is on the page`);
      assert.ok(chart.inked > 2000, `${id} is drawn (${chart.inked} inked pixels)`);
    }
    const sides = page.probe as Array<{ side: string; top: number; left: number; width: number; over: number }>;
    assert.deepEqual(sides.map((s) => s.side), ['clients', 'router', 'server']);
    const [clientsBox, routerBox, serverBox] = sides as [typeof sides[0], typeof sides[0], typeof sides[0]];
    // The client hosts' table on a row of its own, every column in view: a third of the page hid
    // its errors column behind a sideways scroll (an audit: 515-547 px wanted, 427 given).
    assert.equal(clientsBox.over, 0, `the client hosts' table scrolls sideways: ${JSON.stringify(sides)}`);
    assert.ok(clientsBox.top < routerBox.top && routerBox.top === serverBox.top && routerBox.left < serverBox.left, JSON.stringify(sides));
    assert.ok(clientsBox.width > routerBox.width + serverBox.width, JSON.stringify(sides));

    const text = page.text;
    assert.match(text, /Routed lab: client hosts, router, server/);
    assert.match(text, /The client line adds the 3 client hosts' censuses/, 'the lab chart says its client line is every host\'s');
    for (const host of lab.hosts.filter((h) => h.role === 'client')) {
      // Each client host's own figures, read in its namespace.
      const s = host.summary!;
      const row = [host.name, host.address, int(s.connections.established), int(s.connections.failed), int(s.timeWait.peakClient)];
      assert.match(text, new RegExp(row.map((x) => x.replace(/[.]/g, '\\.')).join('\\s+')), host.name);
    }
    assert.ok(text.includes(`SNAT to 2 address(es) (${lab.router.nat!.pool.join(', ')}) × ports 40000–40999: 2,000 tuples per destination`));
    assert.ok(text.includes(`${int(lab.router.conntrack.peakEntries)} entries, ${int(lab.router.conntrack.peakTimeWait)} in TIME_WAIT`));
    const server = lab.hosts.find((h) => h.role === 'server')!;
    // Every connection of the three hosts leaves a TIME_WAIT entry in the router, one fewer per
    // RST the server sent (assertConntrackTimeWait says why) — the likely cause of the 435 seen
    // once in a full suite run. The last samples say what state the missing entries were in.
    const lastSamples = JSON.stringify(lab.router.conntrack.samples.slice(-2).map((s) => s.states));
    assertConntrackTimeWait(lab.router.conntrack.peakTimeWait, 450, server.kernel!['TcpOutRsts'] ?? 0, `last samples ${lastSamples}`);
    // The kernel's count of handshakes, named as such: not what the server accepted.
    assert.match(text, new RegExp(`handshakes completed\\s*${int(server.kernel!['TcpPassiveOpens']!)} connections \\(TcpPassiveOpens in its namespace: one that completes after its client gave up counts`));
    assert.match(text, /Lab\s*Over time/, 'the section is in the navigation');
    // One clock for the whole page: the client hosts' series and loads are moved onto the run's
    // clock. The router took its first sample before any client driver was spawned, so on one
    // clock the first connection comes after it (left on a client host's own clock, ~1 s earlier).
    // The census starts with the server host's baseline, taken before the load. Not a bound on
    // the gap between baseline and load: a busy CI machine stretched it past 1 s. The 0.1: moved
    // series times are rounded to 0.1 ms, the moved load start is not.
    const router0 = lab.router.conntrack.samples[0]!.t;
    const census0 = result.series.census.t[0]!;
    const { intervalMs, columns } = result.series.driver;
    const firstConnection = ((columns['established'] ?? []).findIndex((n) => n > 0) + 1) * intervalMs;
    const order = `first router sample ${router0} ms, the first connection's interval ending at ${firstConnection} ms, the first census baseline ${census0} ms, the load ${result.load!.startMs} ms`;
    assert.ok(router0 < firstConnection && census0 <= result.load!.startMs + 0.1, order);
  });

  it('a payload in every string field of the lab result runs nothing', async () => {
    const { result: poisoned } = await poison(result, 'l');
    const page = await inspectReport(await renderHtmlReport([poisoned]), { width: 1280 });
    assert.deepEqual(page.executed, [], 'a payload ran');
    assert.deepEqual(page.injected, [], 'payload markup reached the DOM');
    assert.deepEqual(page.cspViolations, []);
    assert.match(page.text, /<\/script><script>__xss\('l\d+:script'\)/, 'payloads are shown as text');
    assert.ok(page.charts.some((c) => c.id === 'lab-conntrack'));
  });
});

// Apart from the lab's describe: a fixture needs no lab run, and waits for none.
describe('HTML report of a run without a routed lab', () => {
  it('a run without a routed lab has no lab section', async () => {
    const plain = JSON.parse(await readFile(path.join(FIXTURES, 'client-closes-first.json'), 'utf8')) as RunResult;
    const html = await renderHtmlReport([plain]);
    assert.doesNotMatch(html, /id="lab"/);
    assert.doesNotMatch(html, /href="#lab"/);
  });
});
