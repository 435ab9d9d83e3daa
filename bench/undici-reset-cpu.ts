// Run inside a fresh namespace (unshare -n, as root): twstorm's undici `reset` driver
// (runHttpLoad, as `twstorm run http-client-reset` runs it) or the bare undici loop of
// peer-undici.ts, against the bundled HTTP server, and the client's CPU per 1,000 requests —
// the figure that does not move with the other load on a shared machine. For profiling the
// undici path (`node --cpu-prof`) and for interleaved side-by-side runs.
//   node undici-reset-cpu.js twstorm|bare REQUESTS CONCURRENCY    prints one JSON line
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../src/scenario/index.js';
import { httpLoadPlan, serverConfig } from '../src/run/execute.js';
import { startServerProcess } from '../src/server/process.js';
import { LoadStats } from '../src/metrics/load-stats.js';
import { runHttpLoad } from '../src/driver/http-load.js';
import { runClock } from '../src/util/clock.js';
import { bareUndiciLoop } from './peer-undici.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

const [who, requestsArg, concurrencyArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
requireFreshNamespace('undici-reset-cpu.js');
writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
const scenario = await loadScenarioFile(fileURLToPath(new URL('../../scenarios/http-client-reset.yaml', import.meta.url)), [
  `http.requests=${requests}`,
  `concurrency=${concurrency}`,
  'duration=2m',
]);
const server = await startServerProcess(serverConfig(scenario));
const cpu = process.cpuUsage();
const t0 = performance.now();
let ok = 0;
if (who === 'bare') {
  const bare = await bareUndiciLoop(server.port, requests, concurrency);
  await bare.close();
  ok = bare.ok;
} else {
  const stats = new LoadStats(100);
  await runHttpLoad(httpLoadPlan(scenario, server.port), stats, runClock(performance.timeOrigin + performance.now()), new AbortController().signal);
  ok = stats.requests.ok;
}
const seconds = (performance.now() - t0) / 1000;
const used = process.cpuUsage(cpu);
await server.stop();
process.stdout.write(
  `${JSON.stringify({ who, requests, ok, ratePerSec: requests / seconds, cpuMsPer1000: (used.user + used.system) / requests, userMsPer1000: used.user / requests, systemMsPer1000: used.system / requests })}\n`,
);
