// Run inside a fresh namespace (unshare -n, as root): the bundled engine echo server alone, in
// this process, served to the C reference client (bench/c/churn-client.c), and the CPU this
// process spent per 1,000 connections — the server's own cost, which other load on a shared
// machine moves far less than a rate. For profiling the server path: `node --cpu-prof`.
//   node engine-server-cpu.js CLIENT_BIN MODE THREADS COUNT
// MODE: fin | rst | server (who closes and how, as in engine-churn.ts). Prints one JSON line.
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createEngineEchoServer } from '../src/engine/server-engine.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

const [clientBin, mode, threadsArg, countArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const count = Number(countArg);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
requireFreshNamespace('engine-server-cpu.js');
writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
const server = createEngineEchoServer(
  {
    host: '127.0.0.1',
    port: 7000,
    ports: 1,
    backlog: 4096,
    reuseAddr: true,
    reusePort: false,
    listeners: 1,
    requestBytes: 64,
    responseBytes: 64,
    close: { first: mode === 'server' ? 'server' : 'client', mode: 'fin', delayMs: 0, lingerSeconds: 0 },
    idleTimeoutMs: 10_000,
  },
  threads,
);
await server.listen();
const cpu = process.cpuUsage();
const { stdout } = await promisify(execFile)(clientBin!, ['7000', '2', '64', String(count), '64', '64', mode!]);
const used = process.cpuUsage(cpu);
await server.close();
const client = JSON.parse(stdout.trim().split('\n').at(-1)!) as { connections: number; ratePerSec: number };
const per1000 = (us: number): number => us / client.connections;
process.stdout.write(
  `${JSON.stringify({ mode, threads, connections: client.connections, ratePerSec: client.ratePerSec, cpuMsPer1000: per1000(used.user + used.system), userMsPer1000: per1000(used.user), systemMsPer1000: per1000(used.system) })}\n`,
);
