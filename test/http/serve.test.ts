// `twstorm serve --protocol http`: the bundled HTTP server alone on host loopback, answered by
// undici, stopped with Ctrl-C (SIGINT) which prints its counts. The process is killed by PID if
// anything goes wrong.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { request, type Dispatcher } from 'undici';
import { getTcpInfo } from '../../src/sockets/index.js';
import { startServe } from '../helpers/serve.js';

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));

it('serve --protocol http answers GET / and closes after each response with --policy close-after', async () => {
  const { server: child, served, port } = await startServe(BIN, ['--protocol', 'http', '--port', '0', '--policy', 'close-after', '--body', '10']);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 2; i++) {
      const res: Dispatcher.ResponseData = await request(url);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['connection'], 'close');
      assert.equal(await res.body.text(), 'twstorm-ht');
    }
    child.kill('SIGINT');
    assert.equal(await served.exit, 0);
    assert.match(served.out(), /connections 2, responses 2, server-first closes fin 2 \/ rst 0, errors: none/);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

it('serve --protocol http --policy close-after sends its FIN with the response: a client that closes at once cannot close first', async () => {
  // curl closes as soon as it has the whole response; the server's close() came a few JS calls
  // after its write, and curl was first on 23 of 40 connections (TIME_WAIT on curl's side). The
  // FIN now rides on the response's segment (TCP_CORK), so the client's socket is already in
  // CLOSE_WAIT when the last byte is read: the kernel's word, not the server's counts.
  const { server: child, served, port } = await startServe(BIN, ['--protocol', 'http', '--port', '0', '--policy', 'close-after']);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const states: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const state = await new Promise<string>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => socket.write('GET / HTTP/1.1\r\nHost: twstorm\r\n\r\n'));
        let got = '';
        socket.setEncoding('latin1').on('data', (chunk: string) => {
          got += chunk;
          const end = got.indexOf('\r\n\r\n');
          const length = /\r\ncontent-length: (\d+)\r\n/i.exec(got);
          if (end < 0 || length === null || got.length - end - 4 < Number(length[1])) return;
          const { stateName } = getTcpInfo(socket);
          socket.destroy();
          resolve(stateName);
        });
        socket.on('error', reject);
      });
      states[state] = (states[state] ?? 0) + 1;
    }
    assert.deepEqual(states, { CLOSE_WAIT: 200 });
    child.kill('SIGINT');
    assert.equal(await served.exit, 0);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
