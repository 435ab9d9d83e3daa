// Harness run inside a namespace the test made (`unshare -n node local-port-range-run.js …`):
// one run exactly as `twstorm run` does inside its namespace (the scenario's sysctls written
// here), then the kernel's own list of the client's TIME_WAIT sockets (ss, iproute2): their
// local ports, so the test can hold the per-socket range and the reserved ports against what
// the kernel actually handed out. Prints one JSON line.
import { execFileSync } from 'node:child_process';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { executeRun } from '../../src/run/execute.js';
import { countTimeWaitExactly } from '../helpers/exact-counts.js';

const [scenarioPath, overridesJson] = process.argv.slice(2);
const scenario = countTimeWaitExactly(await loadScenarioFile(scenarioPath!, JSON.parse(overridesJson ?? '[]') as string[]));
const result = await executeRun(
  { scenario, variant: null, isolation: 'netns', how: 'test harness (unshare -n)', resultPath: '', progress: false },
  new AbortController().signal,
);
// Client side of each connection: destination port = the server's. TIME_WAIT lasts 60 s, so
// every connection that was made is still listed. A row (one state asked for, so no state
// column): Recv-Q Send-Q Local:Port Peer:Port.
const ports = execFileSync('ss', ['-Htan', 'state', 'time-wait', `( dport = :${result.server.port} )`], { encoding: 'utf8' })
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => Number(l.trim().split(/\s+/)[2]!.split(':').at(-1)));
process.stdout.write(`${JSON.stringify({ result, ports })}\n`);
