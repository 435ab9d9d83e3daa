// Test harness, run inside a namespace the test made (`unshare -n node netns-run.js ...`):
// executes one run exactly as `twstorm run` does inside its namespace, then asks the kernel
// directly (ss, from iproute2) how many sockets are in TIME_WAIT on each side, and the local
// ports of the client's, so tests can hold the tool's census and port tracking against the
// kernel's own list. Prints one JSON document.
//   netns-run.js --json <scenario JSON>      a scenario the test loaded (runInNetns: the
//                                            schema and YAML parser load once per test file,
//                                            not once per run)
//   netns-run.js <scenario file> [overrides JSON array]
import { execFileSync } from 'node:child_process';
import type { Scenario } from '../../src/scenario/index.js';
import { executeRun } from '../../src/run/execute.js';
import { countTimeWaitExactly } from './exact-counts.js';

const [first, second] = process.argv.slice(2);
// runInNetns has set tcp_rfc1337 in the JSON it hands over; a file is loaded here.
const scenario: Scenario =
  first === '--json'
    ? (JSON.parse(second!) as Scenario)
    : countTimeWaitExactly(await (await import('../../src/scenario/index.js')).loadScenarioFile(first!, JSON.parse(second ?? '[]') as string[]));
const result = await executeRun(
  { scenario, variant: null, isolation: 'netns', how: 'test harness (unshare -n)', resultPath: '', progress: false },
  new AbortController().signal,
);
const port = result.server.port;
// One row per socket (one state asked for, so no state column): Recv-Q Send-Q Local:Port Peer:Port.
const rows = (filter: string): string[] =>
  execFileSync('ss', ['-Htan', 'state', 'time-wait', filter], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '');
// The client side of each connection: destination port = the server's. TIME_WAIT lasts 60 s,
// so every connection the client closed first is still listed.
const client = rows(`( dport = :${port} )`);
const ss = { server: rows(`( sport = :${port} )`).length, client: client.length };
const clientPorts = client.map((l) => Number(l.trim().split(/\s+/)[2]!.split(':').at(-1)));
process.stdout.write(JSON.stringify({ result, ss, clientPorts }));
