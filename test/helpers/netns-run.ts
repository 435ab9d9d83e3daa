// Test harness, run inside a namespace the test made (`unshare -n node netns-run.js ...`):
// executes a run exactly as `twstorm run` does inside its namespace, then asks the kernel
// directly (ss, from iproute2) how many sockets are in TIME_WAIT on each side, and the local
// ports of the client's, so tests can hold the tool's census and port tracking against the
// kernel's own list. Prints one JSON document per run.
//   netns-run.js --serve                     warm: one run per line of JSON on stdin (a
//                                            scenario), one line of JSON back for each, each
//                                            run in a fresh namespace of its own (below)
//   netns-run.js --json <scenario JSON>      one run, of a scenario the test loaded
//   netns-run.js <scenario file> [overrides JSON array]
// Why warm: a test file makes dozens of runs, and a process per run spent ~0.4 CPU-s on Node's
// start, this bundle's load and the `unshare` and `ip` around them, a third of a small run's
// CPU. Each run still gets a namespace no run has used: unshareNetwork() moves the main thread,
// which starts the run's workers and server child, into a new one (src/sockets/netns.ts says
// what moves with it). The namespace of the run before lives on only while something refers to
// it (a thread, a process, an open descriptor; a TIME_WAIT socket does not): libuv's pool keeps
// the harness's first one, a linger closer thread the one it started in, and no later run uses
// either. Where unshareNetwork() cannot work, the harness says so and runInNetns falls back to a
// process per run.
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Scenario } from '../../src/scenario/index.js';
import { executeRun } from '../../src/run/execute.js';
import { unshareNetwork } from '../../src/sockets/netns.js';
import { countTimeWaitExactly } from './exact-counts.js';
import { FORCE_NO_NAMESPACE_ENV, REPLY_PREFIX, type NoNamespace } from './harness-protocol.js';
import { requireFreshNamespace } from './fresh-namespace.js';

requireFreshNamespace('netns-run.js');

async function runOne(scenario: Scenario): Promise<string> {
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
  return JSON.stringify({ result, ss, clientPorts, harnessPid: process.pid });
}

const [first, second] = process.argv.slice(2);
if (first === '--serve') {
  // Runs one at a time, in the order they came; stdin's end (the test process is gone) ends this.
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    let reply: string;
    // The fallback's test makes a harness that says it cannot (FORCE_NO_NAMESPACE_ENV).
    const forced = process.env[FORCE_NO_NAMESPACE_ENV];
    const fresh = forced === undefined ? unshareNetwork() : { ok: false as const, reason: forced };
    if (!fresh.ok) reply = JSON.stringify({ noNamespace: fresh.reason } satisfies NoNamespace);
    else {
      try {
        reply = await runOne(JSON.parse(line) as Scenario);
      } catch (err) {
        reply = JSON.stringify({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    }
    process.stdout.write(`${REPLY_PREFIX}${reply}\n`);
  }
  process.exit(0);
}
// runInNetns has set tcp_rfc1337 in the JSON it hands over; a file is loaded here.
const scenario: Scenario =
  first === '--json'
    ? (JSON.parse(second!) as Scenario)
    : countTimeWaitExactly(await (await import('../../src/scenario/index.js')).loadScenarioFile(first!, JSON.parse(second ?? '[]') as string[]));
process.stdout.write(await runOne(scenario));
