// Run inside a fresh namespace by bench.ts: the peer of `twstorm run http-client-reset` — the
// barest undici loop doing the same requests (`reset: true`, body read to its end, CONCURRENCY
// at a time) against the same bundled HTTP server, with no histograms, no port tracking and no
// observers. Both sides use the same scenario file and overrides, so the server is the same.
//   node peer-undici.js REQUESTS CONCURRENCY [--set k=v ...]    prints { ratePerSec }
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { loadScenarioFile } from '../src/scenario/index.js';
import { serverConfig } from '../src/run/execute.js';
import { startServerProcess } from '../src/server/process.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

/**
 * The bare loop: CONCURRENCY workers share one undici Pool, each request `reset: true` with its
 * body read to the end. Resolves when every request is answered, with the number answered 200
 * and the pool's close, left to the caller (outside the timed span here, inside it in
 * undici-reset-cpu.ts, which runs the same loop).
 */
export async function bareUndiciLoop(port: number, requests: number, concurrency: number): Promise<{ ok: number; close: () => Promise<void> }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  let started = 0;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (started < requests) {
      started++;
      const response = await pool.request({ path: '/', method: 'GET', reset: true });
      for await (const _chunk of response.body) void _chunk;
      if (response.statusCode === 200) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, close: () => pool.close() };
}

async function main(): Promise<void> {
  const [requestsArg, concurrencyArg, ...sets] = process.argv.slice(2);
  requireFreshNamespace('peer-undici.js');
  const requests = Number(requestsArg);
  const concurrency = Number(concurrencyArg);
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
  const overrides = sets.filter((s) => s !== '--set');
  const scenario = await loadScenarioFile(fileURLToPath(new URL('../../scenarios/http-client-reset.yaml', import.meta.url)), overrides);
  const server = await startServerProcess(serverConfig(scenario));
  const t0 = performance.now();
  const { ok, close } = await bareUndiciLoop(server.port, requests, concurrency);
  const seconds = (performance.now() - t0) / 1000;
  await close();
  await server.stop();
  process.stdout.write(`${JSON.stringify({ requests, ok, ratePerSec: requests / seconds })}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
