// http.client: raw against the bundled HTTP server, held against the kernel's counts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns } from '../helpers/netns.js';

const SMALL = ['tail=300ms', 'census=200ms', 'matrix={}'];

describe('raw HTTP client (engine)', () => {
  it('Connection: close: one connection per request, the server closes first and keeps every TIME_WAIT', async () => {
    const out = await runInNetns('http-connection-close', ['http.client=raw', 'http.requests=1500', ...SMALL]);
    const { summary, environment } = out.result;
    assert.equal(environment.engine, 'native');
    assert.deepEqual(summary.requests && { ...summary.requests, ratePerSec: 0 }, { total: 1500, ok: 1500, failed: 0, ratePerSec: 0, perConnection: 1 });
    assert.equal(summary.connections.established, 1500);
    assert.equal(summary.kernel['TcpActiveOpens'], 1500);
    // One TIME_WAIT per 4-tuple on the server: a client port that came back while the server
    // still held its TIME_WAIT reopened it (RFC 1122 4.2.2.13), counted in `reopened`.
    // On a mismatch, say which count moved: the kernel's TIME_WAITs made (TcpExtTW), the ports
    // the engine's table saw and reused, the census — so a rare miss names its side.
    const why = JSON.stringify({ tw: summary.kernel['TcpExtTW'], ports: summary.ports, timeWait: summary.timeWait, kernel: summary.kernel });
    assert.deepEqual(out.ss, { client: 0, server: 1500 - (summary.timeWait.reopened ?? 0) }, why);
    assert.equal(summary.latencyMs.total.count, 1500);
    assert.deepEqual(summary.errors, {});
  });

  it('ten requests per connection: a tenth of the connections, the client closes them', async () => {
    const out = await runInNetns('http-keepalive', ['http.client=raw', 'http.requestsPerConnection=10', 'http.requests=1500', ...SMALL]);
    const { summary } = out.result;
    assert.equal(summary.requests?.ok, 1500);
    assert.equal(summary.connections.established, 150);
    assert.equal(out.result.server.stats.replied, 1500);
    assert.deepEqual(out.ss, { client: 150, server: 0 });
    assert.equal(summary.kernel['TcpActiveOpens'], 150);
  });

  it('a refused connect is a failed request, as undici counts it', async () => {
    // A server that stops listening after 20 connections: the connects after it are refused.
    // An audit: the engine counted a request failed only when connect() failed at once, not
    // when the refusal came later (ECONNREFUSED 94 beside 61 requests, 1 of them failed).
    const server = "const s = require('http').createServer((q, r) => r.end('ok')); let n = 0; s.on('connection', () => { if (++n === 20) s.close(); }); s.listen(7000, process.env.TWSTORM_SERVER_HOST)";
    const out = await runInNetns('http-keepalive', [
      'http.client=raw', 'http.requestsPerConnection=2', 'http.requests=200', 'duration=1s', 'server.port=7000',
      `server.command=${JSON.stringify([process.execPath, '-e', server])}`, ...SMALL,
    ]);
    const { summary, errors } = out.result;
    const refused = errors['ECONNREFUSED']?.byPhase.connect ?? 0;
    assert.ok(refused > 0, JSON.stringify(errors));
    assert.ok(summary.requests!.failed >= refused, `${summary.requests!.failed} failed requests, ${refused} refused connects`);
    assert.equal(summary.requests!.total, summary.requests!.ok + summary.requests!.failed);
  });
});
