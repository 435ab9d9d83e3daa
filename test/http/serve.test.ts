// `twstorm serve --protocol http`: the bundled HTTP server alone on host loopback, answered by
// undici, stopped with Ctrl-C (SIGINT) which prints its counts. The process is killed by PID if
// anything goes wrong.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { request, type Dispatcher } from 'undici';

const BIN = fileURLToPath(new URL('../../../bin/twstorm.js', import.meta.url));

it('serve --protocol http answers GET / and closes after each response with --policy close-after', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--protocol', 'http', '--port', '0', '--policy', 'close-after', '--body', '10'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const deadline = Date.now() + 10_000;
    while (!/http:\/\/127\.0\.0\.1:\d+\//.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(stdout)?.[0];
    assert.ok(url, `no URL in: ${stdout}`);
    for (let i = 0; i < 2; i++) {
      const res: Dispatcher.ResponseData = await request(url);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['connection'], 'close');
      assert.equal(await res.body.text(), 'twstorm-ht');
    }
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.match(stdout, /connections 2, responses 2, server-first closes fin 2 \/ rst 0, errors: none/);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
