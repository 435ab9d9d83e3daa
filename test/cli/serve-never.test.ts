// `twstorm serve --close-mode never`: the bundled echo server as a CLOSE_WAIT leak on host
// loopback. After the client's FIN the server's socket must sit in CLOSE_WAIT (RFC 793 §3.5: the
// passive side stays there until its application calls close(), which this mode never does);
// `ss` is the kernel's word for it. A server that never closes cannot close first: exit 2.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { servePort, twstorm } from '../helpers/cli.js';

it('serve --close-mode never refuses --close-first server with exit 2', async () => {
  const bad = await twstorm(['serve', '--close-mode', 'never', '--close-first', 'server']).exit;
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /twstorm: --close-mode never needs --close-first client/);
});

it('serve --close-mode never leaves the server socket in CLOSE_WAIT after the client closes', async () => {
  const { child, exit } = twstorm(['serve', '--port', '0', '--close-mode', 'never', '--request', '5', '--response', '8']);
  const port = await servePort(child);
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  try {
    const data = await new Promise<string>((resolve, reject) => {
      let got = '';
      socket.on('connect', () => socket.write('hello'));
      socket.on('data', (d: Buffer) => {
        got += d;
        if (got.length >= 8) resolve(got);
      });
      socket.on('error', reject);
    });
    assert.equal(data.length, 8);
    socket.end(); // our FIN; the server reads EOF and, in this mode, never answers with its own
    const closeWait = (): string =>
      execFileSync('ss', ['-Htn', 'state', 'close-wait', `( sport = :${port} )`], { encoding: 'utf8' }).trim();
    const deadline = Date.now() + 10_000;
    while (closeWait() === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(closeWait().split('\n').length, 1, 'one server socket in CLOSE_WAIT');
  } finally {
    socket.destroy();
    child.kill('SIGINT');
  }
  const { code, stdout } = await exit;
  assert.equal(code, 0);
  assert.match(stdout, /accepted 1, replied 1/);
});
