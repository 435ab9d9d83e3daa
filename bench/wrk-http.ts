// Run inside a fresh namespace by bench.ts: wrk -H 'Connection: close' against the bundled HTTP
// server, configured as `twstorm run http-keepalive` configures it, for the raw client's peer.
//   node wrk-http.js SECONDS CONNECTIONS THREADS      prints { ratePerSec }
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../src/scenario/index.js';
import { serverConfig } from '../src/run/execute.js';
import { startServerProcess } from '../src/server/process.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

const [seconds, connections, threads] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
requireFreshNamespace('wrk-http.js');
writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
const scenario = await loadScenarioFile(fileURLToPath(new URL('../../scenarios/http-keepalive.yaml', import.meta.url)), []);
const server = await startServerProcess(serverConfig(scenario));
const { stdout } = await promisify(execFile)('wrk', [
  '-H', 'Connection: close', '-c', connections!, '-t', threads!, '-d', `${seconds}s`, `http://127.0.0.1:${server.port}/`,
]);
await server.stop();
const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
process.stdout.write(`${JSON.stringify({ ratePerSec: rate, non2xx })}\n`);
