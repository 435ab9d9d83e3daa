// Run inside a namespace the test made (`unshare -n node tools-run.js`): brings up lo, starts
// the bundled HTTP server as `twstorm run` does (a child process), and points curl and wrk at it
// over loopback. Prints one JSON document of what they saw. Every tool call is bounded.
import { execFileSync, spawnSync } from 'node:child_process';
import { bringUpLoopback } from '../../src/environment/namespace.js';
import { startServerProcess, type ServerProcess } from '../../src/server/process.js';
import type { HttpPolicy } from '../../src/server/http-server.js';
import { PLAIN_LISTEN } from '../../src/server/listen.js';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('tools-run.js');

bringUpLoopback();

const has = (tool: string): boolean => spawnSync(tool, ['--version'], { timeout: 5000 }).error === undefined;

async function server(policy: HttpPolicy): Promise<ServerProcess> {
  return startServerProcess({
    kind: 'http',
    host: '127.0.0.1',
    port: 0,
    backlog: 512,
    ...PLAIN_LISTEN,
    policy,
    keepAliveTimeoutMs: 5000,
    maxRequestsPerConnection: 0,
    closeAfter: 1,
    bodyBytes: 64,
    serviceDelayMs: { min: 0, max: 0 },
    idleTimeoutMs: 10_000,
  });
}

const curl = (args: string[]): string =>
  execFileSync('curl', ['-sS', '--max-time', '5', ...args], { encoding: 'utf8', timeout: 10_000 });

const out: Record<string, unknown> = { curl: has('curl'), wrk: has('wrk') };
const keepalive = await server('keepalive');
const closing = await server('close-after');
try {
  const base = `http://127.0.0.1:${keepalive.port}`;
  if (out['curl']) {
    out['get'] = curl(['-i', `${base}/`]);
    // One curl, three URLs: curl reuses its connection when the server keeps it open.
    const perUrl = '%{http_code} %{size_download} %{num_connects}\n';
    out['keepaliveReuse'] = curl(['-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', '-w', perUrl, `${base}/`, `${base}/`, `${base}/`]);
    const closeBase = `http://127.0.0.1:${closing.port}`;
    out['closeReuse'] = curl(['-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', '-w', perUrl, `${closeBase}/`, `${closeBase}/`, `${closeBase}/`]);
    out['sized'] = curl(['-o', '/dev/null', '-w', '%{http_code} %{size_download}', `${base}/bytes/100000`]);
    out['head'] = curl(['-I', `${base}/`]);
    out['notFound'] = curl(['-o', '/dev/null', '-w', '%{http_code}', `${base}/nope`]);
    out['post'] = curl(['-o', '/dev/null', '-w', '%{http_code}', '-d', 'x=1', `${base}/`]);
  }
  if (out['wrk']) {
    out['wrkKeepalive'] = execFileSync('wrk', ['-t1', '-c4', '-d1s', `${base}/`], { encoding: 'utf8', timeout: 15_000 });
    out['wrkClose'] = execFileSync('wrk', ['-t1', '-c4', '-d1s', `http://127.0.0.1:${closing.port}/`], { encoding: 'utf8', timeout: 15_000 });
  }
  out['keepaliveStats'] = await keepalive.stats();
  out['closeStats'] = await closing.stats();
} finally {
  await keepalive.stop().catch(() => undefined);
  await closing.stop().catch(() => undefined);
}
process.stdout.write(JSON.stringify(out));
