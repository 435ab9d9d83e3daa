// `twstorm states` reads the table through sock_diag; when the kernel refuses the dump, the
// census comes from /proc's text instead, as the sampler's does (src/states/census.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { takeCensus } from '../../src/states/census.js';
import { loadSockDiag, SockDiagError, SockDiagReader } from '../../src/sockets/sock-diag.js';

describe('states census when sock_diag refuses a dump', () => {
  it('falls back to /proc and still counts what is there', async () => {
    const loaded = loadSockDiag();
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.reason);
    // A listener of this process, on loopback: the census must find it whichever source it read.
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const dump = SockDiagReader.prototype.dump;
    let refused = 0;
    SockDiagReader.prototype.dump = function refuse(): number {
      refused++;
      throw new SockDiagError('the kernel refused the sock_diag dump: EPERM (a test)');
    };
    try {
      const census = await takeCensus();
      assert.ok(refused > 0, 'the census asked sock_diag first');
      assert.ok(census.states.LISTEN >= 1, `LISTEN ${census.states.LISTEN}`);
    } finally {
      SockDiagReader.prototype.dump = dump;
      server.close();
    }
  });
});
