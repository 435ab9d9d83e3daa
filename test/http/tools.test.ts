// The bundled HTTP server speaks plain HTTP/1.1: curl and wrk (when installed) get correct
// answers, keep-alive where the policy keeps connections, a new connection per request where
// it closes. Runs in a fresh namespace, loopback only; wrk is bounded to one second.
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runNodeInNetns } from '../helpers/netns.js';
import type { ServerStats } from '../../src/server/echo-server.js';

const HELPER = fileURLToPath(new URL('./tools-run.js', import.meta.url));

interface ToolsOutput {
  curl: boolean;
  wrk: boolean;
  get?: string;
  keepaliveReuse?: string;
  closeReuse?: string;
  sized?: string;
  head?: string;
  notFound?: string;
  post?: string;
  wrkKeepalive?: string;
  wrkClose?: string;
  keepaliveStats: ServerStats;
  closeStats: ServerStats;
}

function runTools(): Promise<ToolsOutput> {
  return runNodeInNetns<ToolsOutput>(HELPER, [], { timeoutMs: 60_000 });
}

/** "1234 requests in 1.00s" and the error lines of wrk's report. */
function wrkReport(text: string): { requests: number; non2xx: number; socketErrors: boolean } {
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  return { requests, non2xx, socketErrors: /Socket errors:/.test(text) };
}

describe('the bundled HTTP server with curl and wrk', async () => {
  const out = await runTools();

  it('curl: GET / is a 200 with a 64-byte body and keep-alive', () => {
    assert.ok(out.curl, 'curl is not installed (Debian package curl; .ci/run installs it)');
    const get = out.get!;
    assert.match(get, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(get, /\r\ncontent-length: 64\r\n/i);
    assert.match(get, /\r\nconnection: keep-alive\r\n/i);
    const body = get.split('\r\n\r\n')[1];
    assert.equal(body, 'twstorm-http-'.repeat(5).slice(0, 64));
    assert.equal(out.sized, '200 100000');
    assert.match(out.head!, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out.head!, /content-length: 64/i);
    assert.equal(out.notFound, '404');
    assert.equal(out.post, '405');
  });

  it('curl: keepalive reuses one connection for three requests; close-after needs three', () => {
    assert.ok(out.curl, 'curl is not installed (Debian package curl; .ci/run installs it)');
    assert.equal(out.keepaliveReuse, '200 64 1\n200 64 0\n200 64 0\n');
    assert.equal(out.closeReuse, '200 64 1\n200 64 1\n200 64 1\n');
    assert.ok(out.closeStats.closedFin >= 3, `server-first closes ${out.closeStats.closedFin}`);
  });

  it('wrk: a second of load, every response 2xx, no socket errors, on both policies', () => {
    assert.ok(out.wrk, 'wrk is not installed (Debian package wrk; .ci/run installs it)');
    const keep = wrkReport(out.wrkKeepalive!);
    assert.ok(keep.requests > 100, out.wrkKeepalive);
    assert.equal(keep.non2xx, 0, out.wrkKeepalive);
    assert.equal(keep.socketErrors, false, out.wrkKeepalive);
    const close = wrkReport(out.wrkClose!);
    assert.ok(close.requests > 100, out.wrkClose);
    assert.equal(close.non2xx, 0, out.wrkClose);
    // wrk reconnects after every `Connection: close` response, one connection per request.
    assert.ok(out.closeStats.accepted >= close.requests, `accepted ${out.closeStats.accepted} < ${close.requests} requests`);
    // Keep-alive carries wrk's requests on its 4 connections (curl's 6 above beside them; 11 in
    // all was seen, wrk reconnecting one). Counted, not timed: 'keep-alive is faster' failed a CI
    // run on a busy machine (3,160/s vs 3,220/s), and speed belongs to npm run bench.
    assert.ok(out.keepaliveStats.accepted <= 20, `keep-alive accepted ${out.keepaliveStats.accepted} connections`);
    assert.ok(keep.requests > 4 * out.keepaliveStats.accepted, `${keep.requests} requests on ${out.keepaliveStats.accepted} connections`);
  });
});
