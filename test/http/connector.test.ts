// The undici driver's connector accounting (src/driver/http-load.ts): every connection undici
// opens is counted once as established, with its local port, and once as completed — unless
// the socket died of an errno (here ECONNRESET from a server that resets each connection), in
// which case its request is a failure under the errno's name and the connection is not
// completed. undici ends every socket it is done with by an InformationalError, which must not
// count as a failure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runNodeInNetns } from '../helpers/netns.js';

const RUN = fileURLToPath(new URL('./connector-run.js', import.meta.url));

interface Counted {
  established: number;
  completed: number;
  requests: { total: number; ok: number; failed: number };
  errors: Record<string, number>;
  bytesReceived: number;
  bytesSent: number;
  ports: { distinct: number; peakInUse: number };
}

describe('undici connector accounting', () => {
  it('counts a connection completed when undici closes it, not when the peer reset it', async () => {
    const { answered, reset } = await runNodeInNetns<{ answered: Counted; reset: Counted }>(RUN);
    // 40 requests with reset: true, a connection each; every response is 40 bytes.
    assert.equal(answered.established, 40);
    assert.equal(answered.completed, 40);
    assert.deepEqual(answered.requests, { total: 40, ok: 40, failed: 0 });
    assert.deepEqual(answered.errors, {});
    assert.equal(answered.bytesReceived, 40 * 40);
    assert.ok(answered.bytesSent > 40 * 30, `bytes sent ${answered.bytesSent}`);
    assert.equal(answered.ports.distinct, 40, 'a fresh local port per connection (tcp_tw_reuse does not apply within 1 s)');
    assert.ok(answered.ports.peakInUse <= 4, `peak in use ${answered.ports.peakInUse} with 4 in flight`);

    assert.equal(reset.established, 40);
    assert.equal(reset.completed, 0, 'a socket that died of ECONNRESET is not a completed connection');
    assert.deepEqual(reset.requests, { total: 40, ok: 0, failed: 40 });
    assert.deepEqual(reset.errors, { ECONNRESET: 40 });
  });
});
