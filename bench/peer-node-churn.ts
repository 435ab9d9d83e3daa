// The peer the driver is measured against: the barest Node loop that does the same work
// (connect, send, read the echo, close first) against the same bundled server, with no
// histograms, no port tracking and no observers. Run inside a fresh namespace by bench.ts.
// Prints one JSON line: { connections, seconds, ratePerSec, cpuMsPer1000 }.
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startServerProcess } from '../src/server/process.js';
import { PLAIN_LISTEN } from '../src/server/listen.js';
import { requireFreshNamespace } from '../test/helpers/fresh-namespace.js';

const [countArg, concurrencyArg] = process.argv.slice(2);
const count = Number(countArg ?? 30000);
const concurrency = Number(concurrencyArg ?? 64);

execFileSync('ip', ['link', 'set', 'lo', 'up']);
requireFreshNamespace('peer-node-churn.js');
writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '1024 65535');
writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');

const server = await startServerProcess({
  kind: 'echo',
  host: '127.0.0.1',
  port: 7000,
  backlog: 4096,
  ...PLAIN_LISTEN,
  requestBytes: 64,
  responseBytes: 64,
  close: { first: 'client', mode: 'fin', delayMs: 0, lingerSeconds: 1 },
  idleTimeoutMs: 10_000,
});
const request = Buffer.alloc(64, 'q');
let started = 0;
const one = (): Promise<void> =>
  new Promise((resolve) => {
    let got = 0;
    const socket = net.connect({ host: '127.0.0.1', port: server.port, allowHalfOpen: true, noDelay: true }, () => socket.write(request));
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 64) socket.end();
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
  });
const worker = async (): Promise<void> => {
  while (started < count) {
    started++;
    await one();
  }
};
const cpu = process.cpuUsage();
const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - t0) / 1000;
const used = process.cpuUsage(cpu);
await server.stop();
process.stdout.write(
  `${JSON.stringify({ connections: count, seconds, ratePerSec: count / seconds, cpuMsPer1000: (used.user + used.system) / count })}\n`,
);
