// close.server "never", run for real in a fresh namespace against both echo servers (the native
// engine and Node's `net`, TWSTORM_NATIVE_SOCKETS=off): every connection the server kept stays in
// CLOSE_WAIT until the run ends, and the counts agree from four sides — the census (sock_diag or
// /proc/net/tcp), the server's own accepts, the client's connections that waited in vain for the
// server's FIN, and the kernel after the run (ss: once the server stops it closes every leaked
// socket, and each client FIN_WAIT2 that gets that FIN becomes a TIME_WAIT).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNetns, type HarnessOutput } from '../helpers/netns.js';
import { verdict } from '../../src/report/verdict.js';
import type { RunResult } from '../../src/result/model.js';
import { engineThreads } from '../../src/server/echo-server.js';


function run(engine: 'native' | 'net', overrides: string[]): Promise<HarnessOutput> {
  const env = { ...process.env };
  if (engine === 'net') env['TWSTORM_NATIVE_SOCKETS'] = 'off';
  else delete env['TWSTORM_NATIVE_SOCKETS'];
  return runInNetns('close-wait-leak', overrides, 90_000, env);
}

const last = (column: number[] | undefined): number => column?.at(-1) ?? 0;

/** The census columns at the last sample, taken after the load ended (the tail). */
function censusAtEnd(result: RunResult): { closeWait: number; finWait2: number; timeWait: number } {
  const { census } = result.series;
  assert.ok((census.t.at(-1) ?? 0) >= result.load.endMs, 'the census sampled after the load');
  return {
    closeWait: last(census.server['CLOSE_WAIT']),
    finWait2: last(census.client['FIN_WAIT2']),
    timeWait: last(census.client['TIME_WAIT']) + last(census.server['TIME_WAIT']),
  };
}

describe('the server under its own fd limit', () => {
  it('runs at most one engine thread per 32 descriptors, so a many-core machine still starts it', () => {
    assert.equal(engineThreads(null, 64), 64);
    assert.equal(engineThreads(256, 64), 8);
    assert.equal(engineThreads(256, 2), 2);
    assert.equal(engineThreads(64, 64), 2);
  });
});

for (const engine of ['native', 'net'] as const) {
  describe(`close-wait-leak, ${engine} engine`, () => {
    it('below the fd limit: CLOSE_WAIT on the server = every connection, held until the run ends', async () => {
      // 120 connections, all at once, under the default fd limit: nothing is refused.
      const { result, ss } = await run(engine, ['connections=120', 'concurrency=120', 'server.maxOpenFiles=null']);
      assert.equal(result.environment.engine, engine);
      const stats = result.server.stats;
      assert.equal(stats.accepted, 120);
      assert.deepEqual(stats.errors, {});
      assert.equal(stats.closedFin + stats.closedRst, 0, 'the server never closed a connection during the run');
      const end = censusAtEnd(result);
      assert.equal(end.closeWait, 120);
      assert.equal(end.finWait2, 120, "every client socket orphaned in FIN_WAIT2, waiting for the server's FIN");
      assert.equal(end.timeWait, 0);
      // The client's side: every connection got its response and then waited in vain for the FIN.
      assert.equal(result.summary.connections.completed, 120);
      assert.equal(result.errors['ETIMEDOUT']?.byPhase.close, 120);
      // At stop the server closed all of them (open 0), and each FIN turned a client FIN_WAIT2 into TIME_WAIT.
      assert.equal(stats.open, 0);
      assert.deepEqual(ss, { client: 120, server: 0 });
      const v = verdict(result);
      const leak = v.findings.find((f) => f.rule === 'close-wait');
      assert.match(leak?.text ?? '', /^The server leaks sockets: 120 stayed in CLOSE_WAIT after the load ended/);
      assert.match(leak!.text, /never called close\(\)/);
      assert.equal(v.change.rule, 'close-on-eof');
      assert.equal(v.findings.find((f) => f.rule === 'assassination'), undefined);
    });

    it('past the fd limit: the leak fills RLIMIT_NOFILE and the rest is refused at accept()', async () => {
      const { result, ss } = await run(engine, []);
      const stats = result.server.stats;
      const attempted = result.summary.connections.attempted;
      assert.equal(attempted, 600);
      // Node's own descriptors come out of the same 256, so the server keeps fewer than that.
      assert.ok(stats.accepted > 100 && stats.accepted < 256, `accepted ${stats.accepted}`);
      const end = censusAtEnd(result);
      assert.equal(end.closeWait, stats.accepted, 'every connection the server kept is still in CLOSE_WAIT');
      assert.equal(result.errors['ETIMEDOUT']?.byPhase.close, stats.accepted);
      assert.equal(result.summary.connections.completed, stats.accepted);
      assert.equal(stats.open, 0);
      assert.equal(ss.client, stats.accepted);
      // Every handshake the kernel completed that the server did not keep was refused at the limit.
      const refused = (result.summary.kernel['TcpPassiveOpens'] ?? 0) - stats.accepted;
      assert.equal(refused, attempted - stats.accepted);
      const text = verdict(result).findings.find((f) => f.rule === 'close-wait')?.text ?? '';
      assert.match(text, new RegExp(`^The server leaks sockets: ${stats.accepted} stayed in CLOSE_WAIT`));
      // The client's side: each refused connection failed once, and with nothing else.
      assert.equal(result.summary.connections.failed, refused);
      const clientErrors = (codes: string[]): number => codes.reduce((n, code) => n + (result.errors[code]?.total ?? 0), 0);
      // The server wrote a response only on the connections it kept, and each arrived: an RST
      // threw nothing away (an audit: "19,136 response bytes lost", 299 × 64 never written).
      assert.equal(result.summary.bytes.lost, 0);
      if (engine === 'native') {
        // The engine counts each refusal; the client sees it reset.
        assert.equal(stats.errors['EMFILE'], refused);
        assert.equal(clientErrors(['ECONNRESET', 'EPIPE']), refused);
        // The kernel established every one (only a socket past SYN_SENT gets ECONNRESET): a reset
        // that came before the engine saw the handshake is no connect failure (an audit: 78
        // "connect ECONNRESET" beside TcpAttemptFails 0).
        assert.equal(result.summary.connections.established, attempted);
        assert.equal(result.errors['ECONNRESET']?.byPhase.connect, undefined);
        assert.match(text, new RegExp(`accept\\(\\) failed with EMFILE ${refused} times`));
      } else {
        // libuv takes the connection off the queue and closes it without telling Node: the
        // client reads EOF before any response (or an RST, when its request had arrived), and
        // only the kernel's count shows the refusals.
        assert.equal(stats.errors['EMFILE'], undefined);
        assert.equal(clientErrors(['PEER_CLOSED_EARLY', 'ECONNRESET', 'EPIPE']), refused);
        assert.match(text, new RegExp(`the kernel completed ${refused} more handshakes \\(TcpPassiveOpens\\) than the server accepted`));
      }
    });
  });
}
