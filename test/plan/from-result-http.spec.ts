// The model held against HTTP results: `close` and `connections` are not used under http, so
// the closer comes from the client mode and server policy, the rate is requests/s, and the
// measured requests per connection becomes the keep-alive share. Hand-made results and the
// committed real http-client-reset run; no namespace needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/result/model.js';
import { planFromResult } from '../../src/plan/index.js';
import { makeHttpResult, makeResult } from '../report/make-result.js';
import { timeWaitLanding } from '../../src/scenario/close-semantics.js';
import { verdict } from '../../src/report/verdict.js';
import { story } from '../../src/report/story.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/results/http-client-reset.json', import.meta.url));

describe('plan --from an HTTP result', () => {
  it('the real client-reset run: requests/s, client closer, TIME_WAIT peak predicted exactly', async () => {
    const result = JSON.parse(await readFile(FIXTURE, 'utf8')) as RunResult;
    const cmp = planFromResult(result);
    const requests = result.summary.requests!;
    assert.equal(cmp.inputs.rate, requests.ratePerSec);
    assert.equal(cmp.sources['rate'], 'measured: summary.requests.ratePerSec (closed loop)');
    assert.equal(cmp.inputs.closer, 'client');
    assert.match(cmp.sources['closer']!, /^result: scenario\.http \(client reset, policy wait-client\): TIME_WAIT on the client$/);
    assert.equal(cmp.inputs.keepAliveShare, 0);
    const tw = cmp.rows[1]!;
    assert.equal(tw.label, 'TIME_WAIT peak (client)');
    // 300 requests, one connection each, in a 500-port range: all 300 sit in TIME_WAIT.
    assert.equal(tw.predicted, result.scenario.http.requests);
    assert.equal(tw.measured, result.summary.timeWait.peakClient);
    assert.equal(cmp.rows[0]!.predicted, null, '300 requests cannot exhaust 500 ports');
    assert.equal(cmp.applicable, false);
  });

  it('sizes by http.requests, not the unused connections field', () => {
    const cmp = planFromResult(
      makeHttpResult((x) => {
        x.scenario.connections = 10;
        x.scenario.http.requests = 40_000;
        x.scenario.duration = 60_000;
        x.summary.requests = { total: 40_000, ok: 40_000, failed: 0, ratePerSec: 2000, perConnection: 1 };
      }),
    );
    // 40,000 connections at 2,000/s against 28,232 ports: they run out after 14.1 s.
    assert.equal(cmp.rows[0]!.predicted, 14116);
    assert.equal(cmp.rows[1]!.predicted, 28232);
    assert.equal(cmp.applicable, true);
  });

  it('open loop exhaustion: the offered requests/s, and the connections before the ports ran out', () => {
    const cmp = planFromResult(
      makeHttpResult((x) => {
        x.scenario.rate = 500;
        x.load = { startMs: 100, endMs: 5100 };
        x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
        x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: 1100, range: { low: 40000, high: 40499, size: 500 } };
        x.summary.connections.established = 500;
        x.summary.timeWait = { peak: 500, peakClient: 500, peakServer: 0, end: 500, sockstatPeak: 500 };
      }),
    );
    assert.equal(cmp.inputs.rate, 500);
    assert.equal(cmp.sources['rate'], 'result: scenario.rate (open loop: the offered requests/s)');
    assert.deepEqual(cmp.rows.map((r) => [r.predicted, r.measured]), [[1000, 1000], [500, 500], [500, 500]]);
  });

  it('keep-alive: requests per connection becomes the keep-alive share, so a pool predicts a pool\'s TIME_WAIT', () => {
    const cmp = planFromResult(
      makeHttpResult((x) => {
        x.scenario.http.client = 'keepalive';
        x.scenario.http.policy = 'keepalive';
        x.scenario.http.requests = 20_000;
        x.summary.connections.established = 64;
        x.summary.requests = { total: 20_000, ok: 20_000, failed: 0, ratePerSec: 10_000, perConnection: 312.5 };
        x.summary.timeWait = { peak: 64, peakClient: 64, peakServer: 0, end: 64, sockstatPeak: 64 };
      }),
    );
    assert.equal(cmp.inputs.keepAliveShare, 1 - 1 / 312.5);
    assert.match(cmp.sources['keepAliveShare']!, /312\.5 requests per connection/);
    assert.equal(cmp.inputs.rate, 10_000);
    assert.equal(cmp.rows[1]!.predicted, 64);
    assert.equal(cmp.rows[1]!.errorPct, 0);
    assert.equal(cmp.plan.fits, true);
  });

  it('a keep-alive pool that never churned opens nothing at steady state: its final close is its only TIME_WAIT', () => {
    // A capacity audit's run: a pool of 12 at 400 requests/s for 5 s, 166.7 requests per
    // connection, 12 TIME_WAIT; the plan said 144 at steady state (72 for a 10 s run).
    const pool = (established: number, policy: RunResult['scenario']['http']['policy'] = 'keepalive', requests = 2000) =>
      planFromResult(
        makeHttpResult((x) => {
          x.scenario.http.client = 'keepalive';
          x.scenario.http.policy = policy;
          x.scenario.http.requests = requests;
          x.scenario.concurrency = 12;
          x.scenario.rate = 400;
          x.scenario.duration = 5000;
          x.summary.connections.established = established;
          x.summary.requests = { total: requests, ok: requests, failed: 0, ratePerSec: 400, perConnection: requests / established };
          x.summary.timeWait = { peak: established, peakClient: established, peakServer: 0, end: established, sockstatPeak: established };
        }),
      );
    const still = pool(12);
    assert.equal(still.inputs.keepAliveShare, 1);
    assert.equal(still.plan.newConnPerSec, 0);
    assert.equal(still.plan.timeWait.steadyState, 0);
    assert.match(still.sources['keepAliveShare']!, /^measured: the pool's 12 connections served every request \(12 opened, none replaced\)/);
    assert.deepEqual([still.rows[1]!.predicted, still.rows[1]!.measured], [12, 12]);
    assert.ok(still.notes.some((n) => /never churned/.test(n)), still.notes.join('\n'));
    // A server with a request limit closes pooled connections at a steady load even when this
    // run ended first: the limit gives the share (close-after 100, or maxRequestsPerConnection 100).
    for (const limit of [(h: RunResult['scenario']['http']) => ((h.policy = 'close-after'), (h.closeAfter = 100)), (h: RunResult['scenario']['http']) => (h.maxRequestsPerConnection = 100)]) {
      const r = makeHttpResult((x) => {
        x.scenario.http.client = 'keepalive';
        x.scenario.http.policy = 'keepalive';
        limit(x.scenario.http);
        x.scenario.concurrency = 12;
        x.scenario.rate = 400;
        x.summary.connections.established = 12;
        x.summary.requests = { total: 1000, ok: 1000, failed: 0, ratePerSec: 400, perConnection: 1000 / 12 };
      });
      const limited = planFromResult(r);
      assert.equal(limited.inputs.keepAliveShare, 1 - 1 / 100);
      assert.ok(Math.abs(limited.plan.newConnPerSec! - 4) < 1e-9, `${limited.plan.newConnPerSec}`);
      assert.match(limited.sources['keepAliveShare']!, /^result: the server's request limit \((closeAfter|maxRequestsPerConnection) 100\)/);
      assert.ok(!limited.notes.some((n) => /never churned/.test(n)));
    }
    // Policy rst resets every connection after its response, so a pool that never reached its
    // size still opens one connection per request at steady state (it once read share 1).
    const rst = pool(10, 'rst', 10);
    assert.equal(rst.inputs.keepAliveShare, 0);
    assert.equal(rst.sources['keepAliveShare'], 'result: the server ends every connection after one request (policy rst): no request shares a connection');
    // A pool that replaced connections (208 opened for a pool of 12) churns as measured.
    const churned = pool(208);
    assert.equal(churned.inputs.keepAliveShare, 1 - 208 / 2000);
    assert.equal(churned.rows[1]!.predicted, 208);
    assert.ok(!churned.notes.some((n) => /never churned/.test(n)));
  });

  it('the closer follows the server policy: close-after → server, rst → no TIME_WAIT, a Connection: close race → client', () => {
    const closer = (edit: (h: RunResult['scenario']['http']) => void) =>
      planFromResult(
        makeHttpResult((x) => {
          x.scenario.close = { ...x.scenario.close, first: 'client', client: 'fin' };
          edit(x.scenario.http);
        }),
      );
    const server = closer((h) => {
      h.client = 'keepalive';
      h.policy = 'close-after';
    });
    assert.equal(server.inputs.closer, 'server');
    assert.equal(server.rows[1]!.label, 'TIME_WAIT peak (server)');
    const rst = closer((h) => (h.policy = 'rst'));
    assert.equal(rst.inputs.closer, 'rst');
    assert.equal(rst.rows[1]!.predicted, 0);
    assert.ok(rst.notes.some((n) => /server sends the RST/.test(n)));
    const race = closer((h) => {
      h.client = 'connection-close';
      h.policy = 'keepalive';
    });
    assert.equal(race.inputs.closer, 'client');
    assert.ok(race.notes.some((n) => /^the client asks for Connection: close \(connection-close\) and both sides close: the two FINs race/.test(n)), race.notes.join('\n'));
    // A keep-alive client against a request limit races too, and the note says why: it sent no
    // Connection: close (a capacity audit read "Connection: close against a keep-alive server").
    const limit = closer((h) => {
      h.client = 'keepalive';
      h.policy = 'keepalive';
      h.maxRequestsPerConnection = 10;
    });
    assert.ok(limit.notes.some((n) => /^the server closes after maxRequestsPerConnection and undici closes too: the two FINs race/.test(n)), limit.notes.join('\n'));
    assert.ok(!limit.notes.some((n) => /Connection: close/.test(n)), limit.notes.join('\n'));
  });
});

describe('a run against your own server (server.command): its close policy is its own', () => {
  // nginx with Connection: close closed first: every TIME_WAIT on the server, none on the client,
  // while the scenario's http.policy ("keepalive") describes only the bundled server.
  const nginx = () =>
    makeHttpResult((x) => {
      x.scenario.http.client = 'connection-close';
      x.scenario.http.policy = 'keepalive';
      (x.scenario.server as { command?: unknown }).command = 'nginx -c "$TWSTORM_SERVER_DIR/nginx.conf"';
      x.summary.timeWait = { ...x.summary.timeWait, peak: 1000, peakClient: 0, peakServer: 1000 };
    });

  it('plan --from takes who held TIME_WAIT from the run\'s census, not from the bundled server\'s policy', () => {
    const cmp = planFromResult(nginx());
    assert.equal(cmp.inputs.closer, 'server');
    assert.equal(cmp.sources['closer'], "measured: the run's census (your own server closes by its own policy): TIME_WAIT on the server");
    assert.ok(!cmp.rows.some((r) => r.label === 'TIME_WAIT peak (client)' && r.predicted !== 0 && r.measured === 0), JSON.stringify(cmp.rows));
  });

  it('plan --from follows the side that held most when your server left TIME_WAIT on both', () => {
    // An audit: python's http.server left client 32, server 468; the plan modelled a client closer
    // (500 TIME_WAIT predicted on the client) and advised letting the server close first.
    const mostlyServer = (client: number, server: number) =>
      planFromResult(makeHttpResult((x) => {
        x.scenario.http.client = 'keepalive';
        (x.scenario.server as { command?: unknown }).command = 'python3 -m http.server 7000';
        x.summary.timeWait = { ...x.summary.timeWait, peak: client + server, peakClient: client, peakServer: server };
      }));
    const cmp = mostlyServer(32, 468);
    assert.equal(cmp.inputs.closer, 'server');
    assert.equal(cmp.plan.timeWait.side, 'server');
    assert.ok(cmp.notes.some((n) => n.startsWith('your own server: TIME_WAIT on both sides (client 32, server 468 at the peak); the model follows the server')), cmp.notes.join('\n'));
    const row = cmp.rows.find((r) => r.label.startsWith('TIME_WAIT peak'))!;
    assert.equal(row.label, 'TIME_WAIT peak (server)');
    assert.equal(row.measured, 468);
    assert.equal(mostlyServer(300, 200).inputs.closer, 'client');
  });

  it('the verdict names your server, never the bundled server\'s policy, and predicts either side', () => {
    const v = verdict(nginx());
    const closer = v.findings.find((f) => f.rule === 'closer')!.text;
    assert.equal(closer, 'The scenario has HTTP client "connection-close" and your own server (server.command): its own close policy decides whether it closes first, so the FINs race and TIME_WAIT may land on either side, or both.');
    assert.doesNotMatch(closer, /policy "keepalive"/);
    assert.doesNotMatch(story(nginx()).join('\n'), /server policy/);
  });

  it('over TCP too: close.server is the bundled server\'s, and yours is taken to close with a FIN', () => {
    const tcp = makeResult((x) => {
      x.scenario.close = { ...x.scenario.close, first: 'server', server: 'rst' };
      (x.scenario.server as { command?: unknown }).command = ['./my-server'];
    });
    assert.equal(timeWaitLanding(tcp.scenario).side, 'server');
    const closer = verdict(tcp).findings.find((f) => f.rule === 'closer')!.text;
    assert.equal(closer, 'The scenario has the server close first with FIN against your own server (its close taken to be a FIN), so TIME_WAIT is expected on the server.');
    // The terminal's close sentence reads the same close: no "with RST" from the bundled server's setting.
    assert.doesNotMatch(story(tcp).join('\n'), /RST \(SO_LINGER 0\)/);
  });
});

describe('plan --from: an open loop that fell behind its schedule', () => {
  it('says so, with the rate it reached and the time to exhaustion at that rate', () => {
    // A helper's http-client-reset at 2,000 requests/s through 500 ports: undici's pool of 16
    // connections let 310/s through; 250 ms predicted, 1,585 ms measured, and nothing said why.
    const cmp = planFromResult(makeHttpResult((x) => {
      x.scenario.rate = 2000;
      x.scenario.concurrency = 16;
      x.scenario.http = { ...x.scenario.http, requests: 1500 };
      x.environment.sysctls['net.ipv4.ip_local_port_range'] = '40000 40499';
      x.summary.requests = { total: 1500, ok: 500, failed: 1000, ratePerSec: 309, perConnection: 1 };
      x.summary.connections = { ...x.summary.connections, attempted: 1500, established: 500, completed: 500, failed: 1000, ratePerSec: 309 };
      x.summary.ports = { ...x.summary.ports, distinct: 500, exhaustedAtMs: x.load.startMs + 1584.6, establishedBeforeExhaustion: 491 };
    }));
    assert.equal(cmp.rows[0]!.predicted, 250);
    assert.ok(
      cmp.notes.some((n) => n.startsWith('the run fell behind its schedule: it made 310 new connections/s until the ports ran out, where its rate asked 2,000 (undici keeps at most 16 connections in flight') && n.includes('run out after 1,614 ms')),
      cmp.notes.join('\n'),
    );
  });
});
