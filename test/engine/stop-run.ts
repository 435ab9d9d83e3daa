// Run inside a fresh namespace by stop.test.ts: the bundled server holds every connection open
// (it closes first, after a minute), the engine fills its slots, then the run is interrupted.
// Prints how long the engine took to return after the interrupt's grace ended, and the
// process's socket descriptors before and after (the server is a child process: only the
// engine's own descriptors are counted here).
import fs from 'node:fs';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { tcpLoadPlan, serverConfig } from '../../src/run/execute.js';
import { startServerProcess } from '../../src/server/process.js';
import { LoadStats } from '../../src/metrics/load-stats.js';
import { runTcpLoad } from '../../src/driver/tcp-load.js';
import { runClock } from '../../src/util/clock.js';
import { SCENARIOS } from '../helpers/netns.js';
import { execFileSync } from 'node:child_process';
import { requireFreshNamespace } from '../helpers/fresh-namespace.js';

requireFreshNamespace('stop-run.js');

const sockets = (): number =>
  fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;

execFileSync('ip', ['link', 'set', 'lo', 'up']);
const scenario = await loadScenarioFile(`${SCENARIOS}server-closes-first.yaml`, ['close.delay=60s', 'connections=100000', 'concurrency=40', 'threads=2', 'duration=60s']);
const server = await startServerProcess(serverConfig(scenario));
const before = sockets();
const stats = new LoadStats(100);
const clock = runClock(performance.timeOrigin + performance.now());
const controller = new AbortController();
const plan = { ...tcpLoadPlan(scenario, server.ports), interruptGraceMs: 100 };
const running = runTcpLoad(plan, stats, clock, controller.signal);
while (stats.established < 40) await new Promise((r) => setTimeout(r, 10));
const openDuring = sockets();
controller.abort();
const abortedAt = performance.now();
const outcome = await running;
const stopMs = performance.now() - abortedAt - plan.interruptGraceMs;
const after = sockets();
await server.stop().catch(() => undefined);
process.stdout.write(
  JSON.stringify({ stopMs, before, openDuring, after, stoppedBy: outcome.stoppedBy, engine: outcome.engine?.name, established: stats.established, completed: stats.completed, failed: stats.failed, attempted: stats.attempted }) + '\n',
);
