// The report's "Server" line (and the terminal's, where they say the same): only the bundled server keeps counts of its own; and its change line. For a user's
// server.command or an external target its zeros are not facts (an audit: nginx served 2,000
// connections and closed each first, and the report said "accepted 0, responses 0").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { renderTerminalSummary } from '../../src/report/terminal.js';
import type { RunResult } from '../../src/result/model.js';
import { addErrors, makeHttpResult, makeResult } from './make-result.js';

async function serverLine(result: RunResult): Promise<string> {
  const page = await renderHtmlReport([result], { generatedAt: new Date(0) });
  const line = /<dt>Server<\/dt><dd>(.*?)<\/dd>/s.exec(page)?.[1];
  assert.ok(line !== undefined, 'the report has a Server line');
  return line.replaceAll('&quot;', '"');
}

const nothingCounted = { accepted: 0, replied: 0, closedFin: 0, closedRst: 0, open: 0, errors: {} };

describe('HTML report: who served the run', () => {
  it("the bundled server: its own counts and, under HTTP, its policy", async () => {
    assert.equal(await serverLine(makeResult()), '127.0.0.1:7000: accepted 1,000, replied 1,000, closed first with FIN 1,000, with RST 0');
    assert.match(await serverLine(makeHttpResult()), /^127\.0\.0\.1:7000 \(HTTP, policy \S+\): accepted /);
  });

  it('an IPv6 server is written [address]:port, not with its port as a last group', async () => {
    // routed-client-closes-first-ipv6 read "2001:2:0:ff00::2:7000", itself an IPv6 address.
    const r = makeResult((x) => {
      x.server.host = '2001:2:0:ff00::2';
    });
    assert.match(await serverLine(r), /^\[2001:2:0:ff00::2\]:7000: accepted 1,000, /);
  });

  it('your own server (server.command): no bundled-server zeros, its command and log named', async () => {
    const r = makeHttpResult((x) => {
      x.server.stats = nothingCounted;
      x.server.own = { command: 'nginx -c site.conf', logPath: '/tmp/r.server.log', exit: null };
    });
    const line = await serverLine(r);
    assert.equal(line, '127.0.0.1:7000 (HTTP): your own server, "nginx -c site.conf" (its output: /tmp/r.server.log); the bundled server\'s counts do not apply, so the server\'s side is the kernel\'s (census)'.replaceAll("'", '&#39;'));
    assert.doesNotMatch(line, /accepted|policy/);
  });

  it('your own server whose log was cut: how much of its output was left out', async () => {
    const r = makeHttpResult((x) => {
      x.server.stats = nothingCounted;
      x.server.own = { command: 'noisy', logPath: '/tmp/r.server.log', logDropped: 414_000_000, exit: null };
    });
    assert.match(await serverLine(r), /\(its output: \/tmp\/r\.server\.log, of which 414,000,000 bytes were left out between its start and its end\)/);
    assert.match(renderTerminalSummary(r), /^!! your server wrote more than its log keeps: 414,000,000 bytes of its output were left out between the start and the end/m);
  });

  it('an external target: nothing was started', async () => {
    const r = makeResult((x) => {
      x.server.stats = nothingCounted;
      x.server.own = { target: '127.0.0.1:8080' };
    });
    const line = await serverLine(r);
    assert.match(line, /^127\.0\.0\.1:7000: an external target \(127\.0\.0\.1:8080\); nothing was started/);
    assert.doesNotMatch(line, /accepted/);
  });

  it('failed connections no rule explains are a CHANGE, never a green OK', async () => {
    // A review: the fallback change kept the id "none", and the page coloured it OK beside 60 failures.
    const page = await renderHtmlReport([makeResult((x) => addErrors(x, 'ETIMEDOUT', 'connect', 60))], { generatedAt: new Date(0) });
    assert.match(page, /data-rule-change="unexplained-failures">/);
    assert.match(page, /<span class="flag alert">CHANGE<\/span><strong>Find what failed the connections/);
    assert.match(await renderHtmlReport([makeResult()], { generatedAt: new Date(0) }), /<span class="flag ok">OK<\/span><strong>Nothing needs changing/);
  });
});

describe('HTML report: the header of a comparison', () => {
  it('says what the runs share once, and that they differ where they do, never the first run\'s for all', async () => {
    // An audit: a lab's "routed lab: 2 client hosts" headed a report of four loopback runs and it.
    const loopback = makeResult((r) => (r.environment.how = 'unshare -n (root)'));
    const lab = makeResult((r) => {
      r.environment.how = 'routed lab: 2 client hosts → router → server host';
      r.startedAt = '2026-01-01T00:00:05.000Z';
    });
    const meta = async (results: RunResult[]): Promise<string> => /<p class="meta">(\d+ runs compared:.*?)<\/p>/s.exec(await renderHtmlReport(results, { generatedAt: new Date(0) }))![1]!;
    const mixed = await meta([lab, loopback]);
    assert.match(mixed, / 2 different networks \(see Environment\) · Linux /);
    assert.doesNotMatch(mixed, /routed lab/);
    assert.match(await meta([loopback, structuredClone(loopback)]), / Network namespace \(unshare -n \(root\)\) · Linux /);
  });
});
