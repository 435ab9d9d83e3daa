// How the bundled echo server closes first, on either engine: close() at once when it has read
// the whole request and nothing more (as nginx does, and the bench's C server), a lingering close
// (shutdown, read until the client's FIN) when the client sent more, so late bytes cannot turn
// its FIN into an RST.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runNodeInNetns } from '../helpers/netns.js';

const RUN = fileURLToPath(new URL('./server-close-run.js', import.meta.url));

interface Seen {
  afterResponse: { received: number; ended: boolean; open: number; states: string[] };
  error: string | null;
  afterClose: { open: number; states: string[] };
}

describe('bundled echo server, server closes first', () => {
  // The engine server on io_uring (the default where allowed) and on epoll, and Node's net.
  for (const engine of ['io_uring', 'epoll', 'net'] as const) {
    it(`${engine}: closes at once after a whole request, lingers after a longer one, and TIME_WAIT lands on the server either way`, async () => {
      const env = { ...process.env, TWSTORM_IO_URING: engine === 'epoll' ? 'off' : '' };
      const r = await runNodeInNetns<{ exact: Seen; more: Seen; stats: { closedFin: number; errors: Record<string, number>; io?: string; ioFallback?: string } }>(
        RUN,
        [engine === 'net' ? 'net' : 'native'],
        { env },
      );
      assert.equal(r.stats.io, engine === 'net' ? undefined : engine);
      assert.equal(r.stats.ioFallback, engine === 'epoll' ? 'TWSTORM_IO_URING=off' : undefined);
      // The whole request and no more: the descriptor is gone as soon as the response is out, and
      // the kernel finishes the close alone (an orphan in FIN_WAIT2 while the client holds its side).
      assert.deepEqual(r.exact.afterResponse, { received: 64, ended: true, open: 0, states: ['FIN-WAIT-2'] });
      // More than the request: the server keeps the socket (half-closed) and reads on.
      assert.deepEqual(r.more.afterResponse, { received: 64, ended: true, open: 1, states: ['FIN-WAIT-2'] });
      // Late bytes were read and dropped, not answered with an RST; both closes end in TIME_WAIT
      // on the server's side (it sent the first FIN).
      assert.equal(r.exact.error, null);
      assert.equal(r.more.error, null);
      assert.deepEqual(r.exact.afterClose, { open: 0, states: ['TIME-WAIT'] });
      assert.deepEqual(r.more.afterClose, { open: 0, states: ['TIME-WAIT'] });
      assert.equal(r.stats.closedFin, 2);
      assert.deepEqual(r.stats.errors, {});
    });
  }

  // A 1,024-byte request and 476 bytes more: the ring server's recv (1 KiB) could end exactly at
  // the request's end, and it once closed over the unread 476 bytes, an RST the client saw as
  // ECONNRESET. It asks for one byte more than the request lacks, so it sees them and lingers.
  it('io_uring: a request of a whole 1 KiB and more after it still gets the lingering close, not an RST', async () => {
    const r = await runNodeInNetns<{ exact: Seen; more: Seen; stats: { closedFin: number; errors: Record<string, number>; io?: string } }>(RUN, ['native', '1024'], {
      env: { ...process.env, TWSTORM_IO_URING: '' },
    });
    assert.equal(r.stats.io, 'io_uring');
    assert.deepEqual(r.exact.afterResponse, { received: 64, ended: true, open: 0, states: ['FIN-WAIT-2'] });
    assert.deepEqual(r.more.afterResponse, { received: 64, ended: true, open: 1, states: ['FIN-WAIT-2'] });
    assert.equal(r.more.error, null);
    assert.deepEqual(r.more.afterClose, { open: 0, states: ['TIME-WAIT'] });
    assert.deepEqual(r.stats.errors, {});
  });
});
